import Foundation
import PikaTestSupport
import RedisTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 11, point 4, on real Pika 3.5.0 servers: a bgsave that lags under a concurrent
/// non-idempotent load, a replica restored from it Pika's way (wrong data), binlogtool's way
/// (identical), a replica that applied the lag twice detected by `diff` and repaired, every verb
/// on a live binlog. Servers listen on loopback only, from temporary directories; every wait is
/// bounded; every server is stopped (SIGTERM, then SIGKILL after 20 s) when the suite ends.
@Suite(.serialized, .pikaScenario)
struct ReplicaRepairTests {
    var scenario: PikaScenario {
        get throws { try #require(PikaScenario.current, "the suite runs inside PikaScenarioTrait") }
    }

    /// The first lag of each shape, whichever was produced (at least one, or the test fails).
    func lags() throws -> [LaggingDump] {
        let s = try scenario
        let lags = [s.contiguous, s.interleaved].compactMap { $0 }
        try #require(!lags.isEmpty, "no lag with unsafe items in \(s.attempts.count) attempts: \(s.attempts.map(\.description))")
        return lags
    }

    // MARK: a. a bgsave under load lags, and verify-snapshot says how

    @Test func aBgsaveUnderLoadLagsWithUnsafeItems() async throws {
        let s = try scenario
        for a in s.attempts { print("[pika-suite] 4a \(a)") }
        let lags = try lags()
        for a in s.attempts where !a.bgsaveFailed {
            // A master's bgsave never misses an item before its own offset.
            #expect(a.leading.isEmpty, "\(a)")
            #expect(a.exitCode == (a.verdict == "consistent" ? 0 : 1), "\(a)")
            switch a.verdict {
            case "consistent": #expect(a.lagging.isEmpty && a.skip.isEmpty && a.corrected == a.recorded, "\(a)")
            case "lagging": #expect(!a.lagging.isEmpty && a.skip.isEmpty && a.corrected != a.recorded, "\(a)")
            case "interleaved": #expect(!a.lagging.isEmpty && !a.skip.isEmpty, "\(a)")
            default: Issue.record("unexpected verdict: \(a)")
            }
            // incr and rpush are never replay-safe.
            #expect(a.unsafeLagging == a.lagging, "\(a)")
        }
        for lag in lags {
            let report = lag.report
            let location = try #require(report["location"] as? [String: Any])
            let next = try #require((location["next_logic_id"] as? NSNumber)?.uint64Value)
            let corrected = try #require((report["corrected_logic_id"] as? NSNumber)?.uint64Value)
            switch lag.shape {
            case .contiguous:
                // The lag is the run of items right after the recorded offset, up to the corrected point.
                #expect(lag.attempt.lagging == Array(next..<corrected), "\(lag.attempt)")
            case .interleaved:
                #expect(lag.attempt.skip.allSatisfy { $0 > corrected }, "\(lag.attempt)")
                #expect(lag.attempt.lagging.first == next, "\(lag.attempt)")
            }
            print("[pika-suite] 4a \(lag.shape.rawValue) lag after \(lag.attempt.number) attempt(s): logic ids \(lag.attempt.lagging), keys \(lag.laggingKeys.sorted { $0.key < $1.key }.map(\.value))")
            // The operator's view, for Docs/Replica-Repair.md.
            let text = try await Binlogtool.run(["verify-snapshot", lag.dump.path, "--binlog", lag.master.binlogDirectory.path])
            #expect(text.code == 1)
            let shown = text.output.split(separator: "\n").filter { !$0.hasPrefix("  ") || $0.contains("applied") }.prefix(24)
            print("[pika-suite] 4a binlogtool verify-snapshot \(lag.dump.path) --binlog \(lag.master.binlogDirectory.path) → \(text.status)\n\(shown.joined(separator: "\n"))")
        }
    }

    /// Both shapes. The contiguous one is the rule on 3.5.0: bgsave holds the DB lock for writing
    /// while it reads the binlog position and flushes every engine's memtable, and a write that
    /// finished `Do()` before the lock logs its item within that window unless its thread waits
    /// longer than the flushes. An interleaved lag (applied items after the first unapplied one:
    /// verify-snapshot's `skip`, prepare-replica's catch-up) occurred in none of about 130 lags here
    /// (thread-pool-size 16 and 48; 64 KiB and 1 MiB files; Pika pinned to one core with busy
    /// loops; real-time bursts of 4 to 60 ms on one core; fsync pressure on the disk). So the
    /// suite makes it from a second real contiguous lag (``PikaScenario/reorder(_:)``: two items'
    /// keys exchanged in the master's binlog, as a descheduled writer would have logged them) and
    /// runs b, c and d on it against the real master serving that binlog. A natural one, when a run
    /// produces it, is used instead; its absence is reported as a known issue.
    @Test func aBothShapesOfLagAreCovered() async throws {
        let s = try scenario
        let shapes = s.attempts.compactMap(\.shape).map(\.rawValue)
        #expect(s.contiguous != nil, "no contiguous lag in \(s.attempts.count) attempts: \(shapes)")
        let interleaved = try #require(s.interleaved, "no interleaved lag, natural or reordered, in \(s.attempts.count) attempts: \(shapes)")
        #expect(interleaved.attempt.verdict == "interleaved", "\(interleaved.attempt)")
        #expect(!interleaved.attempt.skip.isEmpty && !interleaved.attempt.unsafeLagging.isEmpty, "\(interleaved.attempt)")
        print("[pika-suite] 4a interleaved: \(interleaved.attempt)")
        withKnownIssue("no natural interleaved lag in \(s.attempts.count) attempts (\(shapes)): the interleaved shape is a reordered real lag", isIntermittent: true) {
            #expect(interleaved.attempt.reordered == nil)
        }
    }

    // MARK: b. Pika's way: dump + manifest_generator + slaveof applies the lag twice

    @Test func bPikaWayReplicaDiffersInTheLaggingKeys() async throws {
        for lag in try lags() { try await pikaWayReplicaDiffers(lag) }
    }

    func pikaWayReplicaDiffers(_ lag: LaggingDump) async throws {
        let shape = lag.shape
        let replica = try await ReplicaRestore.pikaWay(lag, in: try scenario, name: "pika-way-\(shape.rawValue)")
        defer { try? scenario.stop(replica) }
        let data = try await replica.settledDataset()
        let differing = ReplicaRestore.differingKeys(lag.masterData, data)
        let expected = Set(lag.attempt.unsafeLagging.compactMap { lag.laggingKeys[$0] })
        print("[pika-suite] 4b \(shape.rawValue): lagging logic ids \(lag.attempt.lagging); keys differing on the Pika-way replica (\(differing.count)): \(differing.sorted())")
        for line in lag.masterData.differences(from: data).prefix(12) { print("[pika-suite] 4b   master vs replica: \(line)") }
        #expect(!expected.isEmpty)
        #expect(differing == expected)
    }

    // MARK: c. binlogtool's way: prepare-replica (+ catch-up before slaveof) ends identical

    @Test func cBinlogtoolWayReplicaIsIdentical() async throws {
        for lag in try lags() { try await binlogtoolWayReplicaIsIdentical(lag) }
    }

    func binlogtoolWayReplicaIsIdentical(_ lag: LaggingDump) async throws {
        let shape = lag.shape
        let (replica, prepared) = try await ReplicaRestore.binlogtoolWay(lag, in: try scenario, name: "binlogtool-way-\(shape.rawValue)")
        defer { try? scenario.stop(replica) }
        let data = try await replica.settledDataset()
        let differences = lag.masterData.differences(from: data)
        print("[pika-suite] 4c \(shape.rawValue): prepare-replica resume point \(PikaScenario.point(prepared["resume_point"])), catch-up \(prepared["catch_up"].map { "\($0)" } ?? "none"); \(differences.count) key(s) differ from the master over \(data.keys.count) keys")
        #expect(differences.isEmpty, "\(differences.prefix(20))")
        #expect(data.keys.count == lag.masterData.keys.count)
    }

    // MARK: d. a replica that applied the lag twice: diff --snapshot finds it, the repair fixes it

    @Test func dDoublyAppliedReplicaIsDetectedAndRepaired() async throws {
        for lag in try lags() { try await doublyAppliedReplicaIsRepaired(lag) }
    }

    func doublyAppliedReplicaIsRepaired(_ lag: LaggingDump) async throws {
        let shape = lag.shape
        let s = try scenario
        // Its state is the dump plus every master item from the recorded offset: what Pika's own
        // full sync from this dump leaves.
        let replica = try await ReplicaRestore.pikaWay(lag, in: s, name: "full-synced-\(shape.rawValue)")
        defer { s.stop(replica) }
        #expect(!ReplicaRestore.differingKeys(lag.masterData, try await replica.settledDataset()).isEmpty)

        let diff = try await Binlogtool.run([
            "diff", lag.master.binlogDirectory.path, replica.binlogDirectory.path, "--snapshot", lag.dump.path,
        ])
        print("[pika-suite] 4d \(shape.rawValue): binlogtool \(diff.arguments.joined(separator: " ")) → \(diff.status)\n\(diff.output.prefix(3000))")
        #expect(diff.code == 1)
        let words = Set(diff.output.split(whereSeparator: { !$0.isNumber }).map(String.init))
        for id in lag.attempt.unsafeLagging {
            #expect(words.contains(String(id)), "diff does not name logic id \(id), applied twice")
        }

        let stream = s.root.appendingPathComponent("repair-\(shape.rawValue).resp").path
        let rewrite = try await Binlogtool.run([
            "rewrite", lag.master.binlogDirectory.path, "--replica", replica.binlogDirectory.path,
            "--snapshot", lag.dump.path, "--format", "resp", "--out", stream,
        ])
        print("[pika-suite] 4d \(shape.rawValue): binlogtool \(rewrite.arguments.joined(separator: " ")) → \(rewrite.status)\n\(rewrite.output.prefix(2000))")
        #expect(rewrite.code == 0 || rewrite.code == 1)
        try #require(FileManager.default.fileExists(atPath: stream), "rewrite wrote no stream")

        // The stream goes in while the server is not a replica (a 3.5.0 replica refuses client
        // writes), without moving its binlog position.
        try replica.command("SLAVEOF", "NO", "ONE")
        try replica.command("CONFIG", "SET", "write-binlog", "no")
        let position = try replica.binlogOffset()
        let piped = try await RedisTools.pipe(stream, port: replica.port)
        print("[pika-suite] 4d \(shape.rawValue): redis-cli --pipe: \(piped.output.split(separator: "\n").last ?? "")")
        #expect(piped.errors == 0)
        #expect(try replica.binlogOffset() == position)
        let repaired = try await replica.settledDataset()
        let left = lag.masterData.differences(from: repaired)
        #expect(left.isEmpty, "after the repair: \(left.prefix(20))")

        // Re-attached with slaveof + master-run-id in its conf: an incremental sync from its own
        // position; it stays identical, and the master took no dump for a full sync.
        try await replica.restart()
        try await replica.waitCaughtUp(with: lag.master)
        #expect(try FileManager.default.contentsOfDirectory(atPath: lag.master.dumpPath.path).isEmpty)
        let reattached = lag.masterData.differences(from: try await replica.settledDataset())
        #expect(reattached.isEmpty, "after re-attaching: \(reattached.prefix(20))")
    }

}

/// Restoring a replica from a lagging dump, both ways.
enum ReplicaRestore {
    static func replicaConfiguration(_ lag: LaggingDump) -> PikaServer.Configuration {
        var c = PikaServer.Configuration()
        // The replica's binlog files roll over where the master's do: its position follows the master's.
        c.binlogFileSize = LagRecipe.binlogFileSize
        c.replicaOf = (lag.master.port, lag.runID)
        return c
    }

    /// Pika's manual restore: the dump copied into the replica's db path, `manifest_generator`
    /// positions its binlog at the dump's recorded offset, `slaveof` + `master-run-id` make it ask
    /// for the binlog from there. Returns once it caught up with the (idle) master.
    static func pikaWay(_ lag: LaggingDump, in s: PikaScenario, name: String) async throws -> PikaServer {
        let root = s.root.appendingPathComponent(name)
        try Files.copyTree(lag.dump, to: root.appendingPathComponent("db/db0"))
        _ = try await ManifestGenerator.run(dump: lag.dump, logDirectory: root.appendingPathComponent("log/log_db0"))
        let replica = try await s.startServer(name, root: root, configuration: replicaConfiguration(lag))
        do {
            try await replica.waitCaughtUp(with: lag.master)
            try requireIncremental(lag)
        } catch {
            s.stop(replica)
            throw error
        }
        return replica
    }

    /// binlogtool's: `prepare-replica` writes the log directory at the corrected point and, when
    /// items after it are already in the data, a catch-up stream applied (while the server is not
    /// a replica, without a binlog) before `slaveof`.
    static func binlogtoolWay(_ lag: LaggingDump, in s: PikaScenario, name: String) async throws -> (PikaServer, [String: Any]) {
        let root = s.root.appendingPathComponent(name)
        try Files.copyTree(lag.dump, to: root.appendingPathComponent("db/db0"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("log"), withIntermediateDirectories: true)
        let catchUp = root.appendingPathComponent("catch-up.resp").path
        let prepare = try await Binlogtool.run([
            "prepare-replica", lag.dump.path, "--binlog", lag.master.binlogDirectory.path,
            "--out", root.appendingPathComponent("log/log_db0").path, "--catch-up", catchUp, "--format", "json",
        ])
        print("[pika-suite] 4c binlogtool \(prepare.arguments.joined(separator: " ")) → \(prepare.status)\n\(prepare.output.prefix(2000))")
        guard prepare.code == 0 else { throw PikaSuiteError.failed("prepare-replica: \(prepare.status): \(prepare.output.prefix(1500))") }
        let prepared = try prepare.json()
        // The same in text, into a scratch directory, for Docs/Replica-Repair.md.
        try FileManager.default.createDirectory(at: root.appendingPathComponent("text-excerpt"), withIntermediateDirectories: true)
        let text = try await Binlogtool.run([
            "prepare-replica", lag.dump.path, "--binlog", lag.master.binlogDirectory.path,
            "--out", root.appendingPathComponent("text-excerpt/log_db0").path, "--catch-up", catchUp + ".text",
        ])
        print("[pika-suite] 4c binlogtool \(text.arguments.joined(separator: " ")) → \(text.status)\n\(text.output.prefix(2500))")

        var configuration = replicaConfiguration(lag)
        let needsCatchUp = prepared["catch_up"] is [String: Any]
        if needsCatchUp {
            configuration.replicaOf = nil
            configuration.writeBinlog = false
        }
        let replica = try await s.startServer(name, root: root, configuration: configuration)
        do {
            if needsCatchUp {
                let position = try replica.binlogOffset()
                let piped = try await RedisTools.pipe(catchUp, port: replica.port)
                print("[pika-suite] 4c catch-up: redis-cli --pipe: \(piped.output.split(separator: "\n").last ?? "")")
                guard piped.errors == 0 else { throw PikaSuiteError.failed("catch-up stream: \(piped.output.suffix(800))") }
                guard try replica.binlogOffset() == position else { throw PikaSuiteError.failed("the catch-up moved the binlog position") }
                try replica.reconfigure {
                    $0.writeBinlog = true
                    $0.replicaOf = (lag.master.port, lag.runID)
                }
                try await replica.restart()
            }
            try await replica.waitCaughtUp(with: lag.master)
            try requireIncremental(lag)
        } catch {
            s.stop(replica)
            throw error
        }
        return (replica, prepared)
    }

    /// A full sync would make the master take a dump (into its dump path, which the scenario
    /// keeps empty): none may be there.
    static func requireIncremental(_ lag: LaggingDump) throws {
        let dumps = try FileManager.default.contentsOfDirectory(atPath: lag.master.dumpPath.path)
        guard dumps.isEmpty else { throw PikaSuiteError.failed("\(lag.master.name) took a dump for a full sync: \(dumps)") }
    }

    /// Keys whose type, value or TTL presence differ, or that exist on one side only.
    static func differingKeys(_ a: RedisDataset, _ b: RedisDataset) -> Set<String> {
        Set(Set(a.keys.keys).union(b.keys.keys).filter { a.keys[$0] != b.keys[$0] }.map { String(decoding: $0, as: UTF8.self) })
    }
}
