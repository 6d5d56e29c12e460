import BinlogFormat
import Foundation
import Testing

/// `binlogtool prepare-replica` end to end on the real bgsave fixtures, compared byte for byte
/// with Pika's own `manifest_generator` (v3.5.0 and v4.0.1, `../shared/pika/`); the interleaved
/// case is the real v3.5.0 dump and binlog with one key renamed in one item (a faithful edit:
/// framing, positions and logic ids untouched); refusals on another server's dump, a leading
/// offset and an offset past the binlog's end; `rewrite --snapshot` refuses the same dumps.
@Suite(.enabled(if: VerifySnapshotCommandTests.hasRocksDB, "needs the RocksDB trait"))
struct PrepareReplicaCommandTests {
    typealias V = VerifySnapshotCommandTests
    static let pikaRoot = CLI.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/pika")

    /// Runs Pika's manifest_generator; a missing binary fails the test.
    static func manifestGenerator(_ version: String, dump: String, log: String) throws -> Int32 {
        let path = pikaRoot.appendingPathComponent("\(version)/manifest_generator").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "Pika's manifest_generator is missing at \(path)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = ["-d", dump, "-l", log]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// The files of a log directory, by name.
    static func files(_ directory: String) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            result[name] = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
        }
        return result
    }

    /// The time field of the one record header in a manifest_generator file (nil when none).
    static func recordTime(_ file: [UInt8]) -> UInt32? {
        guard file.count >= 8 else { return nil }
        let at = (file.count - 1) / 65_536 * 65_536
        return UInt32(file[at + 3]) | UInt32(file[at + 4]) << 8 | UInt32(file[at + 5]) << 16 | UInt32(file[at + 6]) << 24
    }

    /// `file` with its record header's time replaced.
    static func withTime(_ file: [UInt8], _ time: UInt32) -> [UInt8] {
        var copy = file
        let at = (file.count - 1) / 65_536 * 65_536
        for k in 0..<4 { copy[at + 3 + k] = UInt8(truncatingIfNeeded: time >> (8 * UInt32(k))) }
        return copy
    }

    /// The snapshot time binlogtool writes in the record: the exec time of the last item before
    /// the recorded offset (bgsave: logic id 11963, 2026-11-20T23:42:05Z).
    static let v3SnapshotTime: UInt32 = 1_795_218_125

    // MARK: Byte for byte with Pika's tool

    @Test func laggingDumpIsPositionedAtTheCorrectedPointInPikasBytes() throws {
        let root = try CLI.temporaryDirectory()
        let before = try V.fingerprint(V.v3Dump)
        let out = root.appendingPathComponent("replica/log/log_db0").path
        try FileManager.default.createDirectory(atPath: root.appendingPathComponent("replica/log").path, withIntermediateDirectories: true)
        let r = try CLI.run(["prepare-replica", V.v3Dump, "--binlog", CLI.fixture("bgsave/binlog"), "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("verdict lagging: recorded 7:262165"))
        #expect(r.stdout.contains("already in the data after it: logic id 11964"))
        #expect(
            r.stdout.contains(
                "resume point 8:129: after logic id 11964, the last item in the data; the master sends logic id 11965 first (the info file says 7:262165)"))
        #expect(r.stdout.contains("catch-up: none needed"))
        #expect(r.stdout.contains("`slaveof : 127.0.0.1:9221`"))
        #expect(r.stdout.contains("redis-cli -h 127.0.0.1 -p 9221 info server | grep run_id"))
        #expect(r.stdout.contains("`log-path : \(root.appendingPathComponent("replica/log").path)/`"))
        #expect(r.stdout.contains("cp -a \(V.v3Dump) REPLICA_DB_PATH/db0"))
        let ours = try Self.files(out)
        #expect(ours.keys.sorted() == ["manifest", "write2file8"])
        #expect(ours["write2file8"]?.count == 129)
        // No staging entry left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("replica/log").path) == ["log_db0"])

        // Pika's tool on the same dump with info moved to 8:129 writes the same bytes (its
        // clock in the one record header; binlogtool writes the snapshot's time there).
        let moved = try V.dumpCopy(V.v3Dump, offset: ResumePoint(fileNumber: 8, offset: 129), in: root)
        for version in ["v3.5.0", "v4.0.1"] {
            let pikaLog = root.appendingPathComponent("pika-\(version)").path
            #expect(try Self.manifestGenerator(version, dump: moved, log: pikaLog) == 0)
            let pika = try Self.files(pikaLog)
            #expect(pika.keys.sorted() == ["manifest", "write2file8"])
            let pikaFile = try #require(pika["write2file8"])
            let ourFile = try #require(ours["write2file8"])
            #expect(Self.recordTime(ourFile) == Self.v3SnapshotTime)
            #expect(Self.withTime(pikaFile, Self.v3SnapshotTime) == ours["write2file8"], "\(version)")
            #expect(pika["manifest"] == ours["manifest"], "\(version)")
        }
        // On the dump as it is, Pika's tool positions at the lagging info offset: another file
        // and offset, and nothing else differs in kind.
        let asIs = root.appendingPathComponent("pika-as-is").path
        #expect(try Self.manifestGenerator("v3.5.0", dump: V.v3Dump, log: asIs) == 0)
        let pika = try Self.files(asIs)
        #expect(pika.keys.sorted() == ["manifest", "write2file7"])
        #expect(pika["write2file7"]?.count == 262_165)
        #expect(Array(try #require(pika["manifest"])[0..<12]) == [7, 0, 0, 0, 0x15, 0, 4, 0, 0, 0, 0, 0])
        #expect(Array(try #require(ours["manifest"])[0..<12]) == [8, 0, 0, 0, 129, 0, 0, 0, 0, 0, 0, 0])
        // --catch-up given where none is needed: said so, no file.
        let unneeded = root.appendingPathComponent("unneeded.resp").path
        let again = try CLI.run([
            "prepare-replica", V.v3Dump, "--binlog", V.v3Binlog, "--out", root.appendingPathComponent("again").path,
            "--catch-up", unneeded,
        ])
        #expect(again.status == 0)
        #expect(again.stdout.contains("catch-up: none needed (the data holds every item before the resume point and none after it); \(unneeded) not written"))
        #expect(!FileManager.default.fileExists(atPath: unneeded))
        #expect(try V.fingerprint(V.v3Dump) == before)
    }

    @Test func consistentDumpIsPositionedExactlyWherePikasToolPutsIt() throws {
        let root = try CLI.temporaryDirectory()
        let out = root.appendingPathComponent("log_db0").path
        let r = try CLI.run(["prepare-replica", V.v4Dump, "--binlog", V.v4Binlog, "--out", out, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try V.json(r).first)
        #expect(report["verdict"] as? String == "consistent")
        #expect(V.point(report["resume_point"]) == "6:159990")
        #expect(V.point(report["recorded"]) == "6:159990")
        #expect(report["last_logic_id"] as? Int == 9513)
        #expect(report["next_logic_id"] as? Int == 9514)
        #expect(report["file"] as? String == "write2file6")
        #expect(report["file_bytes"] as? Int == 159_990)
        #expect(report["catch_up"] is NSNull)
        let master = try #require(report["master"] as? [String: Any])
        #expect(master["host"] as? String == "127.0.0.1" && master["port"] as? Int == 9221)
        #expect((report["next_steps"] as? [String])?.count == 3)
        let ours = try Self.files(out)
        let pikaLog = root.appendingPathComponent("pika").path
        #expect(try Self.manifestGenerator("v4.0.1", dump: V.v4Dump, log: pikaLog) == 0)
        let pika = try Self.files(pikaLog)
        #expect(pika.keys.sorted() == ["manifest", "write2file6"])
        let ourFile = try #require(ours["write2file6"])
        let time = try #require(Self.recordTime(ourFile))
        #expect(Self.withTime(try #require(pika["write2file6"]), time) == ours["write2file6"])
        #expect(pika["manifest"] == ours["manifest"])
    }

    // MARK: Items after the corrected point already in the data

    /// The real v3.5.0 bgsave dump and binlog, info moved back to 7:261946 (the end of logic id
    /// 11961) and logic id 11962 `RPUSH bgw:list 11727` renamed to `RPUSH bgw:lisx 11727` (one
    /// byte): the dump then holds 11963 and 11964 but not 11962 (no list bgw:lisx).
    static func interleavedCase(in root: URL) throws -> (dump: String, binlog: String) {
        let dump = try V.dumpCopy(V.v3Dump, offset: ResumePoint(fileNumber: 7, offset: 261_946), in: root)
        let binlog = root.appendingPathComponent("master/log_db0").path
        try FileManager.default.createDirectory(atPath: root.appendingPathComponent("master").path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: V.v3Binlog, toPath: binlog)
        try V.makeWritable(binlog)
        let file = URL(fileURLWithPath: binlog + "/write2file7")
        var bytes = try [UInt8](Data(contentsOf: file))
        let key = Array("bgw:list".utf8)
        let at = try #require((261_946..<262_028).first { Array(bytes[$0..<$0 + key.count]) == key })
        bytes[at + 7] = UInt8(ascii: "x")
        try Data(bytes).write(to: file)
        return (dump, binlog)
    }

    @Test func interleavedDumpNeedsTheCatchUpStream() throws {
        let root = try CLI.temporaryDirectory()
        let (dump, binlog) = try Self.interleavedCase(in: root)
        let before = try V.fingerprint(root.appendingPathComponent("master").path)
        let out = root.appendingPathComponent("log_db0").path

        // verify-snapshot says what to run.
        let verify = try CLI.run(["verify-snapshot", dump, "--binlog", binlog])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("skip       2 later items already applied: logic id 11963, 11964"))
        #expect(
            verify.stdout.contains(
                "next       position a replica at 8:129 after logic id 11964, the last item in the data, and first apply the 1 item before that point the data lacks (logic id 11962): binlogtool prepare-replica \(dump) --binlog \(binlog) --out NEW_LOG_DIR --catch-up CATCH_UP_FILE"))

        // Without --catch-up: refused, nothing written.
        let refused = try CLI.run(["prepare-replica", dump, "--binlog", binlog, "--out", out])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("2 item(s) after the corrected point 7:261946 are already in the data (logic id 11963, 11964)"))
        #expect(refused.stderr.contains("Give --catch-up FILE"))
        #expect(!FileManager.default.fileExists(atPath: out))

        let catchUp = root.appendingPathComponent("catch-up.resp").path
        let r = try CLI.run(["prepare-replica", dump, "--binlog", binlog, "--out", out, "--catch-up", catchUp, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try V.json(r).first)
        #expect(report["verdict"] as? String == "interleaved")
        #expect(V.point(report["corrected"]) == "7:261946")
        #expect(V.point(report["resume_point"]) == "8:129")
        #expect(report["last_logic_id"] as? Int == 11964)
        #expect(report["next_logic_id"] as? Int == 11965)
        let c = try #require(report["catch_up"] as? [String: Any])
        #expect(c["items"] as? Int == 1)
        #expect(c["commands"] as? Int == 2)
        #expect(c["logic_ids"] as? [Int] == [11962])
        #expect(c["skipped_logic_ids"] as? [Int] == [11963, 11964])
        let steps = try #require(report["next_steps"] as? [String])
        #expect(steps.contains { $0.contains("write-binlog : no") && $0.contains("redis-cli -p PORT --pipe < \(catchUp)") })
        // The push in Pika's idempotent form: push, then trim to the list's length after it.
        let stream = String(decoding: try Data(contentsOf: URL(fileURLWithPath: catchUp)), as: UTF8.self)
        #expect(
            stream
                == "*3\r\n$5\r\nRPUSH\r\n$8\r\nbgw:lisx\r\n$5\r\n11727\r\n*4\r\n$5\r\nltrim\r\n$8\r\nbgw:lisx\r\n$1\r\n0\r\n$1\r\n0\r\n")
        // The log directory: the same bytes as for the lagging dump's corrected point.
        let ours = try Self.files(out)
        #expect(ours.keys.sorted() == ["manifest", "write2file8"])
        #expect(Array(try #require(ours["manifest"])[0..<12]) == [8, 0, 0, 0, 129, 0, 0, 0, 0, 0, 0, 0])
        #expect(try V.fingerprint(root.appendingPathComponent("master").path) == before)

        // Text output says it.
        let text = try CLI.run([
            "prepare-replica", dump, "--binlog", binlog, "--out", root.appendingPathComponent("again").path, "--catch-up",
            root.appendingPathComponent("again.resp").path,
        ])
        #expect(text.status == 0)
        #expect(
            text.stdout.contains(
                "catch-up: wrote \(root.appendingPathComponent("again.resp").path): 1 item the data lacks before the resume point (logic id 11962), 2 commands in Pika's idempotent forms; 2 already in the data skipped (logic id 11963, 11964). Apply it before slaveof."
            ))
    }

    // MARK: Refusals

    /// Dumps that give no resume point in the v3 bgsave binlog.
    static func unusableDumps(in root: URL) throws -> [(name: String, dump: String, verdict: String, why: String)] {
        [
            // Another server's dump: the v4.0.1 run's dump against the v3.5.0 master's binlog.
            ("another server's", V.v4Dump, "leading", "the recorded offset 6:159990 is not a resume point of this binlog (inside logic id 8979"),
            // Three items (11965–11967) past the real offset: the data lacks them.
            (
                "leading", try V.dumpCopy(V.v3Dump, offset: ResumePoint(fileNumber: 8, offset: 516), name: "lead", in: root),
                "leading", "3 items before the recorded offset are missing from the data (logic id 11965, 11966, 11967)"
            ),
            (
                "past the end", try V.dumpCopy(V.v3Dump, offset: ResumePoint(fileNumber: 11, offset: 99_999_999), name: "past", in: root),
                "leading", "the recorded offset 11:99999999 is not a resume point of this binlog (past the end (write2file11 ends at 229610))"
            ),
        ]
    }

    @Test func dumpsThatDoNotBelongToTheBinlogAreRefused() throws {
        let root = try CLI.temporaryDirectory()
        for (name, dump, verdict, why) in try Self.unusableDumps(in: root) {
            let out = root.appendingPathComponent("out-\(name.count)").path
            let r = try CLI.run(["prepare-replica", dump, "--binlog", V.v3Binlog, "--out", out])
            #expect(r.status == 1, "\(name): \(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("verdict \(verdict)"), "\(name): \(r.stdout)")
            #expect(r.stdout.contains("refused: ") && r.stdout.contains(why), "\(name): \(r.stdout)")
            #expect(r.stdout.contains("nothing written"))
            #expect(!FileManager.default.fileExists(atPath: out), "\(name)")
            // verify-snapshot's next step says why no automatic step exists.
            let v = try CLI.run(["verify-snapshot", dump, "--binlog", V.v3Binlog, "--format", "json"])
            let report = try #require(try V.json(v).first)
            #expect((report["resume_refusal"] as? String)?.contains(why) == true, "\(name)")
            #expect((report["next_steps"] as? [String])?.first?.hasPrefix("no automatic step: ") == true, "\(name)")
        }
    }

    @Test func rewriteFromASnapshotThatDoesNotBelongIsRefusedUnlessForced() throws {
        let root = try CLI.temporaryDirectory()
        for (name, dump, verdict, why) in try Self.unusableDumps(in: root) {
            let out = root.appendingPathComponent("rw-\(name.count)").path
            let r = try CLI.run(["rewrite", V.v3Binlog, "--snapshot", dump, "--out", out])
            #expect(r.status == 1, "\(name): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains("verify-snapshot verdict \(verdict)") && r.stderr.contains(why), "\(name): \(r.stderr)")
            #expect(r.stderr.contains("refused: the dump gives no point to rewrite from; nothing written"), "\(name)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(name)")
            #expect(r.stdout.isEmpty)
        }
        // --force writes anyway and prints the risk.
        let (_, dump, _, _) = try Self.unusableDumps(in: try CLI.temporaryDirectory())[0]
        let out = root.appendingPathComponent("forced").path
        let forced = try CLI.run(["rewrite", V.v3Binlog, "--snapshot", dump, "--out", out, "--force"])
        #expect(forced.stderr.contains("warning: ") && forced.stderr.contains("Risk: the output does not pair with this dump's data"))
        #expect(forced.stdout.contains("wrote \(out)"), "\(forced.stdout) \(forced.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + "/manifest"))
        // A dump that belongs (the real lagging one) is still rewritten, with no warning.
        let fine = try CLI.run(["rewrite", V.v3Binlog, "--snapshot", V.v3Dump, "--out", root.appendingPathComponent("fine").path])
        #expect(fine.stdout.contains("resume offset: 8:129 (the snapshot's corrected resume point; its info says 7:262165)"), "\(fine.stdout)")
        #expect(!fine.stderr.contains("refused") && !fine.stderr.contains("Risk"))
    }

    @Test func outputsMustBeNewAndOutsideTheInputs() throws {
        let root = try CLI.temporaryDirectory()
        let existing = root.appendingPathComponent("log_db0").path
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: true)
        let r = try CLI.run(["prepare-replica", V.v3Dump, "--binlog", V.v3Binlog, "--out", existing])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--out \(existing): already exists"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: existing).isEmpty)

        let dump = try V.dumpCopy(V.v3Dump, offset: nil, name: "copy", in: root)
        let inside = try CLI.run(["prepare-replica", dump, "--binlog", V.v3Binlog, "--out", dump + "/log_db0"])
        #expect(inside.status == 64)
        #expect(inside.stderr.contains("overlaps the input"))
        #expect(!FileManager.default.fileExists(atPath: dump + "/log_db0"))

        let catchUp = root.appendingPathComponent("c.resp").path
        FileManager.default.createFile(atPath: catchUp, contents: Data("keep".utf8))
        let c = try CLI.run([
            "prepare-replica", V.v3Dump, "--binlog", V.v3Binlog, "--out", root.appendingPathComponent("new").path,
            "--catch-up", catchUp,
        ])
        #expect(c.status == 64)
        #expect(try String(contentsOfFile: catchUp, encoding: .utf8) == "keep")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("new").path))

        let missing = try CLI.run(["prepare-replica", root.appendingPathComponent("nope").path, "--binlog", V.v3Binlog, "--out", root.appendingPathComponent("n2").path])
        #expect(missing.status == 66)
    }
}
