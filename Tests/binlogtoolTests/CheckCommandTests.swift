import Foundation
import Testing

/// `binlogtool check` and `binlogtool diff` run as processes.
@Suite struct CheckCommandTests {
    /// The complete fixture set (the committed crash case lacks its 4 MiB live file).
    static func shared(_ relative: String) -> String {
        CLI.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/pika-real/" + relative).path
    }

    func json(_ r: CLIResult) throws -> [[String: Any]] {
        try r.lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    func location(_ object: Any?) -> [Int?] {
        guard let o = object as? [String: Any] else { return [] }
        return [o["filenum"] as? Int, o["offset"] as? Int, o["logic_id"] as? Int]
    }

    @Test func cleanBinlogPrintsASummaryAndExitsZero() throws {
        let r = try CLI.run(["check", CLI.fixture("basic/binlog")])
        #expect(r.status == 0)
        // Nothing to list: no table header.
        #expect(!r.stdout.contains("SEVERITY"))
        #expect(
            r.lines.first == "check: 388 items in 7 files, 0:0 id=1 .. 6:70457 id=388 (ends at 6:70544); 0 flushes")
        #expect(r.lines.last == "result: 0 errors, 0 warnings, 0 infos (clean)")
    }

    @Test func jsonLinesFindingsThenSummary() throws {
        let r = try CLI.run(["check", CLI.fixture("slave/slave/binlog"), "--format", "json"])
        #expect(r.status == 0)
        let objects = try json(r)
        #expect(objects.map { $0["kind"] as? String } == ["padding", "flush", "flush", "manifest-logic-id", "summary"])
        let padding = objects[0]
        #expect(padding["severity"] as? String == "info")
        #expect(location(padding["first"]) == [7, 0, nil])
        #expect(location(padding["last"]) == [7, 0, nil])
        #expect(padding["count"] as? Int == 1)
        #expect(padding["related"] is NSNull)
        #expect(padding["bytes"] as? Int == 1360)
        #expect(location(objects[1]["first"]) == [11, 55576, 294])
        let summary = objects[4]
        #expect(summary["items"] as? Int == 100)
        #expect(summary["status"] as? String == "clean")
        #expect(summary["errors"] as? Int == 0)
        #expect(summary["infos"] as? Int == 4)
        #expect(location(summary["manifest"]) == [11, 56125, 100])
    }

    @Test func killedMasterIsClean() throws {
        let r = try CLI.run(["check", Self.shared("crash/binlog"), "--format", "json"])
        #expect(r.status == 0)
        let objects = try json(r)
        #expect(objects.map { $0["kind"] as? String } == ["zero-tail", "summary"])
        #expect(objects[0]["bytes"] as? Int == 3_579_088)
    }

    @Test func renamedFileAndRolledBackManifestExitOne() throws {
        let renamed = try CLI.copyOfFixture("basic/binlog/log_db0")
        try FileManager.default.moveItem(
            at: renamed.appendingPathComponent("write2file6"), to: renamed.appendingPathComponent("write2file8"))
        let r = try CLI.run(["check", renamed.path, "--format", "json"])
        #expect(r.status == 1)
        let kinds = try json(r).compactMap { $0["kind"] as? String }
        #expect(
            kinds == [
                "manifest-file-missing", "file-gap", "file-above-manifest", "position-skew",
                "summary",
            ])

        let rolledBack = try CLI.copyOfFixture("basic/binlog/log_db0")
        var manifest = [UInt8](repeating: 0, count: 65536)
        manifest[0] = 6
        withUnsafeBytes(of: UInt64(69897).littleEndian) { manifest.replaceSubrange(4..<12, with: $0) }
        withUnsafeBytes(of: UInt64(380).littleEndian) { manifest.replaceSubrange(12..<20, with: $0) }
        try Data(manifest).write(to: rolledBack.appendingPathComponent("manifest"))
        let t = try CLI.run(["check", rolledBack.path, "--format", "json"])
        #expect(t.status == 1)
        let objects = try json(t)
        #expect(objects.map { $0["kind"] as? String } == ["manifest-lags", "summary"])
        #expect(location(objects[0]["first"]) == [6, 69897, 381])
        #expect(location(objects[0]["last"]) == [6, 70457, 388])
        #expect(objects[0]["count"] as? Int == 8)
        let corrected = objects[0]["corrected_manifest"] as? [String: Any]
        #expect(corrected?["offset"] as? Int == 70544)
        #expect(corrected?["logic_id"] as? Int == 388)
        #expect(objects[1]["status"] as? String == "problems")
        // The text form names the corrected values; the input is never written.
        let text = try CLI.run(["check", rolledBack.path])
        #expect(text.stdout.contains("corrected (printed, not written into the binlog; --write-manifest FILE writes it to a new file): 6:70544 logic_id 388 term 0"))
        #expect(try Data(contentsOf: rolledBack.appendingPathComponent("manifest")) == Data(manifest))
    }

    /// A v4.0.1 master whose `pksetexat str:ex` carries a time past INT32_MAX (edited in place, same
    /// length, as v4.0.1 logs PSETEX): clean on its own, a warning for 4.0.1 replicas (issue 12.3).
    @Test func replicaCannotApplyIsGradedByReplicaVersion() throws {
        let dir = try CLI.copyOfFixture("v4-basic/binlog/log_db0")
        let file = dir.appendingPathComponent("write2file0")
        var bytes = [UInt8](try Data(contentsOf: file))
        let old = Array("str:ex\r\n$10\r\n1795227949".utf8)
        let at = try #require(bytes.indices.first { bytes[$0..<min($0 + old.count, bytes.count)].elementsEqual(old) })
        bytes.replaceSubrange((at + old.count - 10)..<(at + old.count), with: Array("2795227949".utf8))
        try Data(bytes).write(to: file)

        let alone = try CLI.run(["check", dir.path])
        #expect(alone.status == 0)
        #expect(alone.lines.contains { $0.hasPrefix("info     replica-cannot-apply  0:295 id=4") })
        #expect(alone.lines.last == "result: 0 errors, 0 warnings, 1 info (clean)")

        let asked = try CLI.run(["check", dir.path, "--replica-version", "4.0.1"])
        #expect(asked.status == 1)
        #expect(asked.stdout.contains("warning  replica-cannot-apply  0:295 id=4"))
        #expect(asked.stdout.contains("a replica running Pika 4.0.1 cannot apply it: it parses the time as seconds"))

        let bad = try CLI.run(["check", dir.path, "--replica-version", "four"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--replica-version must be a Pika release"))
    }

    @Test func exitCodes() throws {
        #expect(try CLI.run(["check", "/nonexistent/binlog"]).status == 66)
        let empty = try CLI.temporaryDirectory()
        #expect(try CLI.run(["check", empty.path]).status == 65)
        #expect(try CLI.run(["check", CLI.fixture("basic/binlog"), "--min-duplicate-run", "1"]).status == 64)
        #expect(try CLI.run(["diff", CLI.fixture("basic/binlog")]).status == 64)
        #expect(try CLI.run(["diff", CLI.fixture("basic/binlog"), "/nonexistent"]).status == 66)
    }

    @Test func diffOfARealPairIsClean() throws {
        let r = try CLI.run([
            "diff", CLI.fixture("slave/master/binlog"), CLI.fixture("slave/slave/binlog"), "--format", "json",
        ])
        #expect(r.status == 0)
        let objects = try json(r)
        #expect(objects.map { $0["kind"] as? String } == ["replica-start", "common-prefix", "summary"])
        #expect(location(objects[1]["first"]) == [7, 1360, 201])
        #expect(location(objects[1]["last"]) == [11, 56052, 300])
        let related = objects[1]["related"] as? [String: Any]
        #expect(location(related?["first"]) == [7, 1360, 201])
        let summary = objects[2]
        #expect(summary["alignment"] as? String == "position")
        #expect(summary["common"] as? Int == 100)
        #expect(summary["missing"] as? Int == 0)
        #expect(summary["status"] as? String == "clean")

        let v4 = try CLI.run(["diff", CLI.fixture("v4-slave/master/binlog"), CLI.fixture("v4-slave/slave/binlog")])
        #expect(v4.status == 0)
        #expect(v4.stdout.contains("common 142"))
    }

    @Test func diffNamesWhereTheReplicaStopped() throws {
        let replica = try CLI.copyOfFixture("slave/slave/binlog/log_db0")
        try FileManager.default.removeItem(at: replica.appendingPathComponent("write2file11"))
        let r = try CLI.run(["diff", CLI.fixture("slave/master/binlog"), replica.path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("replica-stopped"))
        #expect(r.stdout.contains("first master item the replica never applied: 11:0 id=272"))
    }

    /// The replica's bytes edited in place (Pika binlogs carry no checksum): its `pksetexat` of
    /// inc:str:ttl (logic id 203) expires 3 s later than the master's.
    @Test func diffReportsTTLDrift() throws {
        let replica = try CLI.copyOfFixture("slave/slave/binlog/log_db0")
        let file = replica.appendingPathComponent("write2file7")
        var bytes = Array(try Data(contentsOf: file))
        let old = Array("pksetexat\r\n$11\r\ninc:str:ttl\r\n$10\r\n1795222461".utf8)
        let at = try #require((0...(bytes.count - old.count)).first { Array(bytes[$0..<($0 + old.count)]) == old })
        bytes[at + old.count - 1] = UInt8(ascii: "4")
        try Data(bytes).write(to: file)

        let r = try CLI.run(["diff", CLI.fixture("slave/master/binlog"), replica.path, "--format", "json"])
        #expect(r.status == 1)
        let objects = try json(r)
        #expect(objects.map { $0["kind"] as? String } == ["replica-start", "common-prefix", "ttl-drift", "summary"])
        let drift = objects[2]
        #expect(drift["severity"] as? String == "error")
        #expect(location(drift["first"]) == [7, 1558, 203])
        #expect(location((drift["related"] as? [String: Any])?["first"]) == [7, 1558, 203])
        #expect((drift["message"] as? String)?.contains("master 2026-11-21T00:54:21Z at 7:1558 id=203, replica 2026-11-21T00:54:24Z") == true)
        #expect(objects[3]["ttl_drift"] as? Int == 1)
        #expect(objects[3]["common"] as? Int == 99)

        let text = try CLI.run(["diff", CLI.fixture("slave/master/binlog"), replica.path])
        #expect(text.stdout.contains("unapplied 0, ttl drift 1"))
    }
}
