import BinlogFormat
import Foundation
import Testing

/// The mistakes operators make, each with its exit code and a message naming the path (and the
/// offset or line) and what to do: a directory without binlogs, a dump without `info` or with a
/// broken one, a position past the binlog, a manifest of another layout, a missing librocksdb.
@Suite struct OperatorErrorTests {
    static let basic = CLI.fixture("basic/binlog/log_db0")
    static let v3Dump = CLI.fixture("bgsave/dump/20261120/db0")
    static let v3Binlog = CLI.fixture("bgsave/binlog/log_db0")

    static func scratch() throws -> URL { try CLI.temporaryDirectory() }

    // MARK: A directory with no binlog

    @Test func versionAndHelp() throws {
        let v = try CLI.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.hasPrefix("binlogtool 1.0.0 (binlogs of Pika v2.x-v4.0.1;"))
        #expect(v.stdout.contains(VerifySnapshotCommandTests.hasRocksDB ? "RocksDB built in" : "built without RocksDB"))
        let help = try CLI.run(["--help"])
        #expect(help.status == 0)
        for verb in ["dump", "check", "diff", "verify-snapshot", "rewrite"] {
            #expect(help.stdout.contains("binlogtool \(verb) "), "\(verb)")
        }
    }

    @Test func emptyDirectoryIsNotABinlog() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let empty = root.path
        for command in [["dump", empty], ["check", empty], ["dump", empty, "--stats"], ["diff", Self.basic, empty]] {
            let r = try CLI.run(command)
            #expect(r.status == 65, "\(command)")
            #expect(r.stderr == "binlogtool: \(empty): no binlog files (write2file<N>): the directory is empty\n", "\(command)")
            #expect(r.stdout.isEmpty)
        }
        if VerifySnapshotCommandTests.hasRocksDB {
            let r = try CLI.run(["verify-snapshot", Self.v3Dump, "--binlog", empty])
            #expect(r.status == 65)
            #expect(r.stderr.contains("\(empty): no binlog files"))
        }
    }

    /// What is there is listed, with a hint for the usual confusions.
    @Test(arguments: [
        (["info", "strings"], "this looks like a bgsave dump; its binlogs are in the server's log-path"),
        (["manifest"], "a manifest without binlog files: were they purged or moved?"),
        (["CURRENT", "MANIFEST-000005"], "this looks like a RocksDB data directory; binlogs are under log-path"),
        (["write2file", "write2file007", "notes.txt"], "found 3 entries: notes.txt, write2file, write2file007"),
    ])
    func directoryWithOtherFilesNamesThemAndHints(_ names: [String], _ hint: String) throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        for name in names { FileManager.default.createFile(atPath: root.appendingPathComponent(name).path, contents: Data()) }
        let r = try CLI.run(["check", root.path])
        #expect(r.status == 65)
        #expect(r.stderr.hasPrefix("binlogtool: \(root.path): no binlog files (write2file<N>) here or in log_<db>/ below; found \(names.count) entries: "))
        #expect(r.stderr.contains(hint), "\(r.stderr)")
    }

    // MARK: A snapshot directory without `info`, or with a broken one

    @Test(.enabled(if: VerifySnapshotCommandTests.hasRocksDB)) func snapshotDirectoryWithoutInfo() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let dump = try VerifySnapshotCommandTests.dumpCopy(Self.v3Dump, offset: nil, in: root)
        try FileManager.default.removeItem(atPath: dump + "/info")
        let r = try CLI.run(["verify-snapshot", dump, "--binlog", Self.v3Binlog])
        #expect(r.status == 66)
        #expect(r.stderr.hasPrefix("binlogtool: \(dump)/info: cannot open: "), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    /// Nine lines: Pika (v3.3+) refuses a 9th line; so does the tool, naming the line and the byte
    /// where it starts.
    @Test(.enabled(if: VerifySnapshotCommandTests.hasRocksDB)) func infoWithNineLines() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let dump = try VerifySnapshotCommandTests.dumpCopy(Self.v3Dump, offset: nil, in: root)
        let lines = ["0s", "127.0.0.1", "9221", "7", "262165", "0", "11963", "extra", "surplus"]
        let text = lines.joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: dump + "/info"))
        let line9 = lines.prefix(8).reduce(0) { $0 + $1.utf8.count + 1 }
        let r = try CLI.run(["verify-snapshot", dump, "--binlog", Self.v3Binlog])
        #expect(r.status == 65)
        #expect(
            r.stderr
                == "binlogtool: \(dump)/info:9: (byte \(line9)) extra line \"surplus\": an info file has at most 8 lines; "
                + "Pika would not resume from this info file\n")
        // Eight lines are what v3.3+ accepts (the 8th ignored): no error.
        try Data((lines.prefix(8).joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dump + "/info"))
        let eight = try CLI.run(["verify-snapshot", dump, "--binlog", Self.v3Binlog, "--window", "4", "--format", "json"])
        #expect(eight.status == 0 || eight.status == 1, "\(eight.stderr)")
    }

    @Test(.enabled(if: VerifySnapshotCommandTests.hasRocksDB)) func infoThatIsNotAnInfoFile() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let dump = try VerifySnapshotCommandTests.dumpCopy(Self.v3Dump, offset: nil, in: root)
        // Three lines: the file ends before line 4 (the binlog filenum).
        try Data("0s\n127.0.0.1\n9221\n".utf8).write(to: URL(fileURLWithPath: dump + "/info"))
        let short = try CLI.run(["verify-snapshot", dump, "--binlog", Self.v3Binlog])
        #expect(short.status == 65)
        #expect(short.stderr.contains("\(dump)/info:4: (byte 18) the file ends before this line (binlog filenum)"))
        // A binlog file copied over it: too large.
        try FileManager.default.removeItem(atPath: dump + "/info")
        try FileManager.default.copyItem(atPath: Self.basic + "/write2file1", toPath: dump + "/info")
        let binary = try CLI.run(["verify-snapshot", dump, "--binlog", Self.v3Binlog])
        #expect(binary.status == 65)
        #expect(binary.stderr.contains("\(dump)/info: 166177 bytes is too large for a bgsave info file"))
    }

    // MARK: A position beyond the last file

    @Test func startPositionBeyondTheLastFile() throws {
        let beyond = try CLI.run(["dump", Self.basic, "--start-position", "9:0"])
        #expect(beyond.status == 64)
        #expect(
            beyond.stderr
                == "binlogtool: start position 9:0 is beyond the last binlog file, write2file6 (\(Self.basic)/write2file6)\n")
        // In the last file, one byte past its end.
        let pastEnd = try CLI.run(["dump", Self.basic, "--start-position", "6:70545"])
        #expect(pastEnd.status == 64)
        #expect(pastEnd.stderr == "binlogtool: start position 6:70545 is past the last record (6:70544) of the binlog\n")
        // Exactly the end is a valid resume point: nothing follows it.
        let atEnd = try CLI.run(["dump", Self.basic, "--start-position", "6:70544"])
        #expect(atEnd.status == 0 && atEnd.stdout.isEmpty)
    }

    /// An `info` naming a file after the binlog's last: the offset is located "past the end", the
    /// verdict is not clean, and the end of the binlog is named.
    @Test(.enabled(if: VerifySnapshotCommandTests.hasRocksDB)) func infoBeyondTheLastFile() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let dump = try VerifySnapshotCommandTests.dumpCopy(
            Self.v3Dump, offset: ResumePoint(fileNumber: 15, offset: 100), in: root)
        let r = try CLI.run(["verify-snapshot", dump, "--binlog", Self.v3Binlog, "--window", "4"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("recorded   15:100: past the end (the binlog ends at 11:229610)"))
    }

    // MARK: A manifest of the other layout family

    /// A v2.x manifest (`pro_offset` at byte 0, `pro_num` at byte 20) beside the binlog: read as v2,
    /// not misread as v3 (where it would say file 70544), because its byte 20 holds the highest
    /// file number.
    @Test func v2ManifestIsNotReadAsV3() throws {
        let dir = try CLI.copyOfFixture("basic/binlog/log_db0")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let manifest = Manifest(layout: .v2_0, fileNumber: 6, offset: 70544).encoded(as: .v2_0)
        try Data(manifest).write(to: dir.appendingPathComponent("manifest"))
        let detection = ManifestDetection.detect(manifest, highestFileNumber: 6)
        #expect(detection.layout == .v2_0 && detection.isConfident)
        #expect(detection.reason.hasPrefix("u32 at byte 20 is 6, the highest binlog file number (write2file6), as in v2; u32 at byte 0 is 70544, not 6"))

        let check = try CLI.run(["check", dir.path])
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.contains("manifest: 6:70544 logic_id - term -"))
        let stats = try CLI.run(["dump", dir.path, "--stats"])
        #expect(stats.status == 0)
        #expect(stats.stdout.contains("manifest         6:70544 logic_id 0 term 0: consistent"))
    }

    /// When the bytes fit neither family for sure (here a stale `write2file7` above the manifest's
    /// file), the layout is a guess and `check` says so, with the bytes that decided it.
    @Test func uncertainManifestLayoutIsReported() throws {
        let dir = try CLI.copyOfFixture("basic/binlog/log_db0")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        try Data(Manifest(layout: .v2_0, fileNumber: 6, offset: 70544).encoded(as: .v2_0))
            .write(to: dir.appendingPathComponent("manifest"))
        try FileManager.default.copyItem(
            at: dir.appendingPathComponent("write2file6"), to: dir.appendingPathComponent("write2file7"))
        let r = try CLI.run(["check", dir.path, "--format", "json"])
        #expect(r.status == 1)
        let layout = try #require(r.lines.first { $0.contains(#""kind":"manifest-layout""#) })
        #expect(layout.contains("manifest layout is a guess: neither u32 at byte 0 (70544) nor u32 at byte 20 (6) equals the highest binlog file number 7; by content v2"))
        #expect(r.stdout.contains(#""manifest":{"filenum":6,"offset":70544"#))
    }

    // MARK: librocksdb missing at run time

    /// The tool links librocksdb dynamically (when built with the default "RocksDB" trait), so a
    /// machine without it cannot start the tool at all: the dynamic loader stops before `main` with
    /// status 127 and names the library. Simulated on a copy of the binary whose NEEDED entry names
    /// a soname that does not exist (same length, so the ELF stays valid).
    @Test func missingLibrocksdbStopsTheLoader() throws {
        var bytes = [UInt8](try Data(contentsOf: CLI.executable))
        let soname = Array("librocksdb.so.".utf8)
        guard let at = Self.find(soname, in: bytes) else {
            // Built with --disable-default-traits: no librocksdb to miss; verify-snapshot exits 69.
            let r = try CLI.run(["verify-snapshot", Self.v3Dump, "--binlog", Self.v3Binlog])
            #expect(r.status == 69)
            #expect(r.stderr.contains("built without it (--disable-default-traits)"))
            return
        }
        var end = at + soname.count
        while bytes[end] != 0 { end += 1 }
        let original = String(decoding: bytes[at..<end], as: UTF8.self)
        for i in (at + soname.count)..<end { bytes[i] = UInt8(ascii: "x") }
        let missing = String(decoding: bytes[at..<end], as: UTF8.self)

        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let copy = root.appendingPathComponent("binlogtool")
        try Data(bytes).write(to: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
        let r = try CLI.runProgram(copy.path, ["dump", Self.basic])
        #expect(r.status == 127)
        #expect(r.stderr.contains("error while loading shared libraries: \(missing): cannot open shared object file"))
        #expect(r.stdout.isEmpty)
        #expect(original.hasPrefix("librocksdb.so."))
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var i = 0
        while i <= haystack.count - needle.count {
            if haystack[i] == first && Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}
