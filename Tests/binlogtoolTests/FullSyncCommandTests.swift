import Foundation
import Testing

/// `diff --snapshot` and `rewrite --replica --snapshot` as an operator runs them, on a replica laid
/// out by Pika's own `manifest_generator` (a restore from the real 3.5.0 bgsave dump with its `info`
/// offset moved back to 7:259489, the stored position of logic id 11942), followed by the master's
/// bytes from that offset: what a 3.5.0 replica that started there writes.
@Suite(.enabled(if: VerifySnapshotCommandTests.hasRocksDB, "needs RocksDB"))
struct FullSyncCommandTests {
    static let master = CLI.fixture("bgsave/binlog/log_db0")
    static let manifestGenerator = CLI.repoRoot.deletingLastPathComponent().appendingPathComponent(
        "shared/pika/v3.5.0/manifest_generator").path

    /// (dump, replica log dir) in a new temporary directory.
    static func setUp(offset: UInt64 = 259489) throws -> (dump: String, replica: String) {
        let root = try CLI.temporaryDirectory()
        let dump = root.appendingPathComponent("dump/db0").path
        try FileManager.default.createDirectory(
            atPath: root.appendingPathComponent("dump").path, withIntermediateDirectories: true)
        _ = try ReadOnlyTests.shell("/bin/cp", ["-R", CLI.fixture("bgsave/dump/20261120/db0"), dump])
        _ = try ReadOnlyTests.shell("/bin/chmod", ["-R", "u+w", dump])
        try Data("0s\n127.0.0.1\n9221\n7\n\(offset)\n".utf8).write(to: URL(fileURLWithPath: dump + "/info"))
        let log = root.appendingPathComponent("replica/log").path
        try FileManager.default.createDirectory(atPath: log, withIntermediateDirectories: true)
        let replica = log + "/log_db0"
        _ = try ReadOnlyTests.shell(Self.manifestGenerator, ["-d", dump, "-l", replica])
        // The master's items from the offset on, byte for byte.
        let file7 = try Data(contentsOf: URL(fileURLWithPath: Self.master + "/write2file7"))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: replica + "/write2file7"))
        try handle.seekToEnd()
        try handle.write(contentsOf: file7[Int(offset)...])
        try handle.close()
        for n in 8...11 {
            try FileManager.default.copyItem(atPath: Self.master + "/write2file\(n)", toPath: replica + "/write2file\(n)")
        }
        return (dump, replica)
    }

    @Test func diffWithTheDumpNamesTheItemsAppliedTwice() throws {
        let (dump, replica) = try Self.setUp()
        // Without the dump the binlogs agree, and the next step says how to check.
        let plain = try CLI.run(["diff", Self.master, replica])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains("next: nothing to do in the binlogs; the replica started from a dump at 7:259489"))
        #expect(plain.stdout.contains("binlogtool diff \(Self.master) \(replica) --snapshot MASTER_DUMP/dbN"))

        let r = try CLI.run(["diff", Self.master, replica, "--snapshot", dump])
        #expect(r.status == 1, "\(r.stderr)")
        let errors = r.lines.filter { $0.hasPrefix("error") }
        #expect(errors.count == 3)
        #expect(errors.map { $0.split(separator: " ", omittingEmptySubsequences: true)[2] } == ["7:259489", "7:260216", "7:261946"])
        #expect(errors[0].contains("RPUSH bgw:list 11707 is not replay-safe"))
        #expect(errors[1].contains("HINCRBY bgw:hash ctr 1"))
        #expect(r.stdout.contains("applied twice: 23 item(s), 3 not replay-safe (logic ids 11942, 11948, 11962)"))
        #expect(
            r.stdout.contains(
                "next: binlogtool rewrite \(Self.master) --replica \(replica) --snapshot \(dump) --format resp --out repair.resp"))

        let json = try CLI.run(["diff", Self.master, replica, "--snapshot", dump, "--format", "json"])
        let summary = try #require(json.lines.last)
        #expect(summary.contains("\"applied_twice\":23,\"applied_twice_unsafe\":3,\"applied_twice_logic_ids\":[11942,11948,11962]"))
        #expect(summary.contains("\"damaged_keys\":[\"bgw:list\",\"bgw:hash\"]"))
    }

    @Test func rewriteWritesTheRepairOfTheDamagedKeys() throws {
        let (dump, replica) = try Self.setUp()
        let out = URL(fileURLWithPath: dump).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("repair.resp").path
        let r = try CLI.run(["rewrite", Self.master, "--replica", replica, "--snapshot", dump, "--format", "resp", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("applied again 3 item(s) that are not replay-safe (logic ids 11942, 11948, 11962)"))
        #expect(r.stdout.contains("keys: 2 reset to the master's state at the replica's last item 11:229481 id=20234: bgw:list bgw:hash"))
        let text = try String(contentsOfFile: out, encoding: .isoLatin1)
        #expect(text.hasPrefix("*2\r\n$3\r\ndel\r\n$8\r\nbgw:list\r\n*1002\r\n$5\r\nrpush\r\n$8\r\nbgw:list\r\n"))
        #expect(text.contains("*2\r\n$3\r\ndel\r\n$8\r\nbgw:hash\r\n"))
        // Not the dump the replica started from: refused, nothing written.
        let (other, _) = try Self.setUp(offset: 262165)
        let refused = URL(fileURLWithPath: out).deletingLastPathComponent().appendingPathComponent("no.resp").path
        let wrong = try CLI.run(["rewrite", Self.master, "--replica", replica, "--snapshot", other, "--format", "resp", "--out", refused])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("not at the dump's recorded offset 7:262165"))
        #expect(!FileManager.default.fileExists(atPath: refused))
        // A binlog cannot carry a repair of data.
        #expect(try CLI.run(["rewrite", Self.master, "--replica", replica, "--snapshot", dump, "--out", refused]).status == 64)
    }

    /// A dump, replica or master that is not there: exit 66 naming it, nothing written.
    @Test func missingInputsAreNamed() throws {
        let (dump, replica) = try Self.setUp()
        let missing = URL(fileURLWithPath: dump).deletingLastPathComponent().appendingPathComponent("nosuch").path
        let diff = try CLI.run(["diff", Self.master, replica, "--snapshot", missing])
        #expect(diff.status == 66)
        #expect(diff.stderr.contains(missing))
        let out = URL(fileURLWithPath: missing).deletingLastPathComponent().appendingPathComponent("r.resp").path
        let rewrite = try CLI.run(["rewrite", Self.master, "--replica", missing, "--snapshot", dump, "--format", "resp", "--out", out])
        #expect(rewrite.status == 66)
        #expect(rewrite.stderr.contains(missing))
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
