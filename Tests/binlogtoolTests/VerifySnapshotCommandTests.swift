import BinlogFormat
import Foundation
import Testing

/// `binlogtool verify-snapshot` end to end on the real bgsave fixtures: JSON and text, exit
/// codes, dumps whose `info` offset was moved by K items, several DBs at once, and proof that
/// the dump is left byte for byte as it was.
@Suite struct VerifySnapshotCommandTests {
    static let v3Dump = CLI.fixture("bgsave/dump/20261120/db0")
    static let v4Dump = CLI.fixture("v4-bgsave/dump/20261121/db0")
    static let v3Binlog = CLI.fixture("bgsave/binlog/log_db0")
    static let v4Binlog = CLI.fixture("v4-bgsave/binlog/log_db0")

    /// Whether the build is meant to have RocksDB: always, unless `BINLOGTOOL_TESTS_WITHOUT_ROCKSDB=1`
    /// declares a build without it (then verify-snapshot exits 69 and says so). Never guessed from
    /// the binary, so a build that lost the trait fails these tests instead of skipping them.
    static let hasRocksDB = ProcessInfo.processInfo.environment["BINLOGTOOL_TESTS_WITHOUT_ROCKSDB"] != "1"

    @Test func theBinaryHasRocksDBExactlyWhenExpected() throws {
        let version = try CLI.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.contains(Self.hasRocksDB ? "RocksDB built in" : "built without RocksDB"), "\(version.stdout)")
    }

    static func json(_ result: CLIResult) throws -> [[String: Any]] {
        try result.lines.map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    static func point(_ object: Any?) -> String? {
        guard let o = object as? [String: Any], let f = o["filenum"] as? Int, let off = o["offset"] as? Int else { return nil }
        return "\(f):\(off)"
    }

    /// Logic id → (stored position, end) for every item of a binlog directory.
    static func positions(_ directory: String) throws -> [UInt64: (stored: ResumePoint, end: ResumePoint)] {
        let files = try BinlogDirectory(path: directory).files
        var stream = BinlogStream(
            files: files.map { entry in
                BinlogStream.File(fileNumber: entry.fileNumber) { () throws(BinlogIOError) -> any ByteSource in
                    try entry.openSource()
                }
            })
        var result: [UInt64: (stored: ResumePoint, end: ResumePoint)] = [:]
        while let record = try stream.next() {
            if case .item(let item) = record { result[item.header.logicID] = (item.header.stored, item.endResumePoint) }
        }
        return result
    }

    /// A writable copy of a dump, with its `info` offset replaced.
    static func dumpCopy(_ dump: String, offset: ResumePoint?, name: String = "db0", in root: URL) throws -> String {
        let target = root.appendingPathComponent(name).path
        try FileManager.default.copyItem(atPath: dump, toPath: target)
        try makeWritable(target)
        if let offset {
            var info = try BgsaveInfo.read(path: target + "/info")
            info.resumePoint = offset
            try Data(info.encoded()).write(to: URL(fileURLWithPath: target + "/info"))
        }
        return target
    }

    static func makeWritable(_ path: String) throws {
        let manager = FileManager.default
        try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        for relative in try manager.subpathsOfDirectory(atPath: path) {
            var isDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: path + "/" + relative, isDirectory: &isDirectory)
            try manager.setAttributes(
                [.posixPermissions: isDirectory.boolValue ? 0o755 : 0o644], ofItemAtPath: path + "/" + relative)
        }
    }

    /// FNV-1a-64 and size of every file under `root`, by relative path.
    static func fingerprint(_ root: String) throws -> [String: [UInt64]] {
        var result: [String: [UInt64]] = [:]
        for relative in try FileManager.default.subpathsOfDirectory(atPath: root) {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            if isDirectory.boolValue { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative))
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in data {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
            result[relative] = [UInt64(data.count), hash]
        }
        return result
    }

    // MARK: Real fixtures

    @Test(.enabled(if: hasRocksDB)) func v3DumpIsLaggingByOneItem() throws {
        let result = try CLI.run(["verify-snapshot", Self.v3Dump, "--binlog", Self.v3Binlog, "--format", "json"])
        #expect(result.status == 1, "\(result.stderr)")
        let reports = try Self.json(result)
        #expect(reports.count == 1)
        let report = try #require(reports.first)
        #expect(report["verdict"] as? String == "lagging")
        #expect(Self.point(report["recorded"]) == "7:262165")
        #expect(Self.point(report["corrected"]) == "8:129")
        #expect(report["corrected_logic_id"] as? Int == 11965)
        #expect(report["lagging"] as? [Int] == [11964])
        let committed = try #require(report["last_committed"] as? [String: Any])
        #expect(committed["logic_id"] as? Int == 11964)
        #expect(committed["filenum"] as? Int == 8 && committed["offset"] as? Int == 0 && committed["end"] as? Int == 129)
        let items = try #require(report["items"] as? [[String: Any]])
        let first = try #require(items.first)
        #expect(first["logic_id"] as? Int == 11964)
        #expect(first["decision"] as? String == "applied")
        #expect(first["unsafe_to_replay"] as? Bool == false)
        #expect((first["command"] as? String)?.hasPrefix("SET bgw:key:11729 v11729-") == true)
        #expect(first["filenum"] as? Int == 8 && first["offset"] as? Int == 0)
        #expect((first["evidence"] as? String)?.contains("bgw:key:11729: found \"v11729-") == true)
        #expect(items.dropFirst().allSatisfy { $0["decision"] as? String == "not-applied" })
        let location = try #require(report["location"] as? [String: Any])
        #expect(location["kind"] as? String == "item-end")
        #expect(location["next_logic_id"] as? Int == 11964)
    }

    @Test(.enabled(if: hasRocksDB)) func v4DumpIsConsistent() throws {
        let result = try CLI.run(["verify-snapshot", Self.v4Dump, "--binlog", Self.v4Binlog, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try Self.json(result).first)
        #expect(report["verdict"] as? String == "consistent")
        #expect(Self.point(report["recorded"]) == "6:159990")
        #expect(Self.point(report["corrected"]) == "6:159990")
        #expect((report["skip"] as? [Any])?.isEmpty == true)
        #expect((report["last_committed"] as? [String: Any])?["logic_id"] as? Int == 9513)
    }

    @Test(.enabled(if: hasRocksDB)) func textOutput() throws {
        let result = try CLI.run(["verify-snapshot", Self.v3Dump, "--binlog", Self.v3Binlog, "--window", "3"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("recorded   7:262165: the end of logic id 11963; next item: logic id 11964 at 8:0"))
        #expect(result.stdout.contains("verdict    lagging: 1 item after the offset already in the data (logic id 11964)"))
        #expect(result.stdout.contains("corrected  8:129: the stored position of logic id 11965"))
        #expect(result.stdout.contains("committed  logic id 11964 at 8:0-129: the last item in the data with every item before it"))
        #expect(result.stdout.contains("  applied     11964 8:0 after         SET bgw:key:11729"))
        #expect(result.stdout.contains("  not-applied 11965 8:129 after"))
        // The next step, with the paths given.
        #expect(
            result.stdout.contains(
                "next       position a replica at the corrected point 8:129 after logic id 11964 (logic id 11965 next), not at the recorded 7:262165 where Pika's manifest_generator puts it (the replica would apply logic id 11964 again): binlogtool prepare-replica \(Self.v3Dump) --binlog \(Self.v3Binlog) --out NEW_LOG_DIR, then run the commands it prints."
            ))
        #expect(result.stderr.isEmpty)
        let consistent = try CLI.run(["verify-snapshot", Self.v4Dump, "--binlog", Self.v4Binlog])
        #expect(consistent.status == 0)
        #expect(
            consistent.stdout.contains(
                "next       nothing to repair: a replica restored from this dump resumes at the recorded offset 6:159990 (logic id 9514 next), as Pika's manifest_generator positions it"
            ))
    }

    /// The committed `lz4 -9` copy of the 3.5.0 binlog (what `scripts/demo` runs on) gives the
    /// report of the plain files, and `rewrite --snapshot` on it resumes at the same point.
    @Test(.enabled(if: hasRocksDB)) func bundledLZ4BinlogGivesTheSameReport() throws {
        let lz4 = CLI.fixture("bgsave/binlog-lz4/log_db0")
        let names = try FileManager.default.contentsOfDirectory(atPath: lz4)
        #expect(names.filter { $0.hasSuffix(".lz4") }.count == 12)
        let plain = try CLI.run(["verify-snapshot", Self.v3Dump, "--binlog", Self.v3Binlog, "--format", "json"])
        let compressed = try CLI.run(["verify-snapshot", Self.v3Dump, "--binlog", lz4, "--format", "json"])
        #expect(compressed.status == 1, "\(compressed.stderr)")
        // The same report; the next step names the binlog given.
        #expect(compressed.stdout.replacingOccurrences(of: lz4, with: Self.v3Binlog) == plain.stdout)
        #expect(compressed.stdout.contains("prepare-replica \(Self.v3Dump) --binlog \(lz4) --out NEW_LOG_DIR"))
        let report = try #require(try Self.json(compressed).first)
        #expect(report["lagging"] as? [Int] == [11964])
        #expect(Self.point(report["corrected"]) == "8:129")

        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("fixed").path
        let rewrite = try CLI.run(["rewrite", lz4, "--snapshot", Self.v3Dump, "--out", out])
        #expect(rewrite.status == 0, "\(rewrite.stderr)")
        #expect(rewrite.stdout.contains("resume offset: 8:129 (the snapshot's corrected resume point; its info says 7:262165)"))
        #expect(rewrite.stdout.contains("items: 8270 read, 7443 written as logged, 827 replaced, 0 dropped"))
        let check = try CLI.run(["check", out])
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.contains("check: 8683 items in 1 file, 8:129 id=11965 .. 8:1051593 id=20647"))
    }

    /// A dump whose RocksDB data is damaged (bytes near the end of an SST: its index and footer)
    /// is bad data, exit 65, with RocksDB's reason and the file; nothing is written into the dump.
    @Test(.enabled(if: hasRocksDB)) func damagedSSTIsBadData() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let dump = try Self.dumpCopy(Self.v3Dump, offset: nil, in: root)
        let sst = try #require(
            try FileManager.default.contentsOfDirectory(atPath: dump + "/hashes").filter { $0.hasSuffix(".sst") }.sorted().first)
        let url = URL(fileURLWithPath: dump + "/hashes/" + sst)
        var bytes = Array(try Data(contentsOf: url))
        for i in (bytes.count - 200)..<(bytes.count - 150) { bytes[i] ^= 0x5a }
        try Data(bytes).write(to: url)
        let before = try Self.fingerprint(dump)
        let r = try CLI.run(["verify-snapshot", dump, "--binlog", Self.v3Binlog])
        #expect(r.status == 65)
        #expect(r.stderr.contains("RocksDB open failed for \(dump)/hashes: Corruption"))
        #expect(r.stderr.contains(sst))
        #expect(try Self.fingerprint(dump) == before)
    }

    // MARK: info moved by K items (copies of the dump)

    @Test(.enabled(if: hasRocksDB), arguments: [1, 5, 20])
    func infoMovedBackIsLagging(_ k: Int) throws {
        let positions = try Self.positions(Self.v3Binlog)
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let dump = try Self.dumpCopy(Self.v3Dump, offset: positions[UInt64(11964 - k)]!.stored, in: root)
        let result = try CLI.run(["verify-snapshot", dump, "--binlog", Self.v3Binlog, "--format", "json"])
        #expect(result.status == 1)
        let report = try #require(try Self.json(result).first)
        #expect(report["verdict"] as? String == "lagging")
        #expect(report["lagging"] as? [Int] == Array((11964 - k)...11964))
        #expect(Self.point(report["corrected"]) == "8:129")
    }

    @Test(.enabled(if: hasRocksDB), arguments: [1, 5, 20])
    func infoMovedForwardIsLeading(_ k: Int) throws {
        let positions = try Self.positions(Self.v4Binlog)
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let dump = try Self.dumpCopy(Self.v4Dump, offset: positions[UInt64(9513 + k)]!.end, in: root)
        let result = try CLI.run(["verify-snapshot", dump, "--binlog", Self.v4Binlog, "--format", "json"])
        #expect(result.status == 1)
        let report = try #require(try Self.json(result).first)
        #expect(report["verdict"] as? String == "leading")
        #expect(report["leading"] as? [Int] == Array(9514...(9513 + k)))
        #expect(Self.point(report["corrected"]) == "6:159990")
    }

    @Test(.enabled(if: hasRocksDB)) func severalDatabasesUnderOneLogRoot() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let dumps = root.appendingPathComponent("dump")
        try FileManager.default.createDirectory(at: dumps, withIntermediateDirectories: true)
        let db0 = try Self.dumpCopy(Self.v3Dump, offset: nil, name: "db0", in: dumps)
        let db1 = try Self.dumpCopy(Self.v4Dump, offset: nil, name: "db1", in: dumps)
        let log = root.appendingPathComponent("log")
        try FileManager.default.createDirectory(at: log, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: log.path + "/log_db0", withDestinationPath: Self.v3Binlog)
        try FileManager.default.createSymbolicLink(atPath: log.path + "/log_db1", withDestinationPath: Self.v4Binlog)
        let result = try CLI.run(["verify-snapshot", db0, db1, "--binlog", log.path, "--format", "json"])
        #expect(result.status == 1)
        let reports = try Self.json(result)
        #expect(reports.map { $0["verdict"] as? String } == ["lagging", "consistent"])
        #expect(reports.map { $0["dump"] as? String } == [db0, db1])
    }

    // MARK: Read only

    @Test(.enabled(if: hasRocksDB)) func theDumpIsNeverModified() throws {
        for (dump, binlog) in [(Self.v3Dump, Self.v3Binlog), (Self.v4Dump, Self.v4Binlog)] {
            let before = try Self.fingerprint(dump)
            let result = try CLI.run(["verify-snapshot", dump, "--binlog", binlog, "--window", "500", "--format", "json"])
            #expect(result.status == 0 || result.status == 1)
            #expect(try Self.fingerprint(dump) == before)
            #expect(!before.keys.contains { $0.hasSuffix("LOCK") })
        }
    }

    // MARK: Errors

    @Test func badCommandLines() throws {
        #expect(try CLI.run(["verify-snapshot", "--binlog", Self.v3Binlog]).status == 64)
        #expect(try CLI.run(["verify-snapshot", Self.v3Dump]).status == 64)
        let badVersion = try CLI.run(["verify-snapshot", Self.v3Dump, "--binlog", Self.v3Binlog, "--pika-version", "2.3"])
        #expect(badVersion.status == 64)
        #expect(badVersion.stderr.contains("--pika-version"))
        #expect(try CLI.run(["verify-snapshot", Self.v3Dump, "--binlog", Self.v3Binlog, "--window", "0"]).status == 64)
    }

    @Test(.enabled(if: hasRocksDB)) func versionContradictingTheLayout() throws {
        let result = try CLI.run(["verify-snapshot", Self.v3Dump, "--binlog", Self.v3Binlog, "--pika-version", "4.0.1"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("layout"))
    }

    @Test func missingInputs() throws {
        let noDump = try CLI.run(["verify-snapshot", "/nonexistent/db0", "--binlog", Self.v3Binlog])
        #expect(noDump.status == 66)
        #expect(noDump.stderr.contains("/nonexistent/db0"))
        let noBinlog = try CLI.run(["verify-snapshot", Self.v3Dump, "--binlog", "/nonexistent/log"])
        #expect(noBinlog.status == 66)
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let noInfo = try Self.dumpCopy(Self.v3Dump, offset: nil, in: root)
        try FileManager.default.removeItem(atPath: noInfo + "/info")
        let result = try CLI.run(["verify-snapshot", noInfo, "--binlog", Self.v3Binlog])
        #expect(result.status == 66)
        #expect(result.stderr.contains("info"))
    }

    @Test func unreadableInputs() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let dump = try Self.dumpCopy(Self.v3Dump, offset: nil, in: root)
        try Data("0s\n127.0.0.1\n9221\nseven\n262165\n".utf8).write(to: URL(fileURLWithPath: dump + "/info"))
        let badInfo = try CLI.run(["verify-snapshot", dump, "--binlog", Self.v3Binlog])
        #expect(badInfo.status == 65)
        #expect(badInfo.stderr.contains("binlog filenum"))
        // A directory without binlog files.
        let empty = root.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        #expect(try CLI.run(["verify-snapshot", Self.v3Dump, "--binlog", empty]).status == 65)
    }

    @Test func helpListsTheCommand() throws {
        let result = try CLI.run(["--help"])
        #expect(result.stdout.contains("verify-snapshot"))
        let own = try CLI.run(["verify-snapshot", "--help"])
        #expect(own.stdout.contains("--binlog"))
        #expect(own.stdout.contains("--window"))
    }
}

/// A dump part the user cannot read is "input unreadable" (66) with the OS reason and the exact
/// path, not "not a Pika snapshot" (65) (issue 12.9). Run as `nobody` when the tests run as root
/// (root reads anything); as the user itself otherwise.
@Suite struct UnreadableSnapshotTests {
    static func asUnprivileged(_ arguments: [String]) throws -> CLIResult {
        if getuid() == 0 {
            return try CLI.runProgram(
                "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", CLI.executable.path] + arguments)
        }
        return try CLI.run(arguments)
    }

    @Test(.enabled(if: VerifySnapshotCommandTests.hasRocksDB), arguments: ["strings", "strings/CURRENT", "strings/000009.sst"])
    func permissionDeniedIsExit66WithTheReason(_ part: String) throws {
        let root = try CLI.temporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.path)
        let dump = try VerifySnapshotCommandTests.dumpCopy(VerifySnapshotCommandTests.v3Dump, offset: nil, in: root)
        let binlog = root.appendingPathComponent("log_db0").path
        try FileManager.default.copyItem(atPath: VerifySnapshotCommandTests.v3Binlog, toPath: binlog)
        try VerifySnapshotCommandTests.makeWritable(binlog)
        // Readable by everyone, then one part closed to everyone but root.
        let readable = try Self.asUnprivileged(["verify-snapshot", dump, "--binlog", binlog, "--window", "50"])
        #expect(readable.status == 1, "\(readable.stderr)")
        #expect(readable.stdout.contains("lagging"))
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: dump + "/" + part)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dump + "/" + part) }
        let r = try Self.asUnprivileged(["verify-snapshot", dump, "--binlog", binlog, "--window", "50"])
        #expect(r.status == 66, "\(r.stderr)")
        #expect(r.stderr.contains("\(dump)/\(part): cannot be read: Permission denied"), "\(r.stderr)")
        #expect(!r.stderr.contains("not a Pika snapshot"))
    }
}

/// The real bgsave dump with its `strings` DB rewritten by RocksDB 9.8.4 in table format_version 6
/// (Fixtures/pika-real/rocksdb-9.8.4-strings): librocksdb 7.8.3 calls it corrupt; the tool says it
/// is a newer format, names both releases and what to do, and exits 69 (issue 12.11).
@Suite struct NewerRocksDBFormatTests {
    @Test(.enabled(if: VerifySnapshotCommandTests.hasRocksDB)) func newerTableFormatIsNotCorruption() throws {
        let root = try CLI.temporaryDirectory()
        let dump = try VerifySnapshotCommandTests.dumpCopy(VerifySnapshotCommandTests.v3Dump, offset: nil, in: root)
        try FileManager.default.removeItem(atPath: dump + "/strings")
        try FileManager.default.copyItem(atPath: CLI.fixture("rocksdb-9.8.4-strings/strings"), toPath: dump + "/strings")
        let r = try CLI.run(["verify-snapshot", dump, "--binlog", VerifySnapshotCommandTests.v3Binlog, "--window", "50"])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.contains("\(dump)/strings/000016.sst: written by RocksDB 9.8.4 in table format_version 6"), "\(r.stderr)")
        #expect(r.stderr.contains("which this build's librocksdb 7.8.3 cannot read"), "\(r.stderr)")
        #expect(r.stderr.contains("the data is not corrupt"))
        #expect(!r.stderr.contains("Corruption"))
        // The same dump with its own format_version 5 strings DB reads.
        let plain = try VerifySnapshotCommandTests.dumpCopy(VerifySnapshotCommandTests.v3Dump, offset: nil, name: "plain", in: root)
        let ok = try CLI.run(["verify-snapshot", plain, "--binlog", VerifySnapshotCommandTests.v3Binlog, "--window", "50"])
        #expect(ok.status == 1 && ok.stdout.contains("lagging"), "\(ok.stderr)")
    }
}
