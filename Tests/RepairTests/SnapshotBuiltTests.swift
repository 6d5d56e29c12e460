import BinlogFormat
import Foundation
import RocksSnapshot
import Testing

@testable import PikaStorage
@_spi(Testing) @testable import Repair

/// `SnapshotVerifier` against snapshots built with `PikaSnapshotBuilder` in every storage layout
/// (3.x per-type, 4.0.0 seconds, 4.0.1 milliseconds) and a binlog written with `BinlogWriter`
/// that matches them: strings, hashes, lists, sets, zsets, TTLs, DEL'd keys with stale
/// versions, counters, and cuts that are consistent, lagging, leading and interleaved.
///
/// The expected state after each item is written by hand (`Scenario.steps`), independently of
/// the models the verifier uses.
@Suite(.enabled(if: RocksDBExpectation.expected, "needs librocksdb (the RocksDB trait)"))
struct SnapshotBuiltTests {
    static let versions: [PikaStorageVersion] = [.v3, .v4_0_0, .v4_0_1]

    // MARK: Consistent cuts

    @Test(arguments: versions, [5, 16, 23, 31])
    func consistentCut(_ version: PikaStorageVersion, _ cut: Int) throws {
        let built = try BuiltCase(version: version, applied: Scenario.prefix(cut))
        let report = try built.verify(recordedAfter: cut)
        #expect(report.verdict == .consistent, "\(report.items.map { ($0.logicID, $0.decision, $0.evidence) })")
        #expect(report.corrected == report.recorded)
        #expect(report.isClean)
        #expect(report.items.allSatisfy { $0.decision != .applied })
    }

    // MARK: Lagging and leading

    @Test(arguments: versions)
    func laggingByThree(_ version: PikaStorageVersion) throws {
        // Items 11 (LPUSH), 12 (SREM), 13 (ZINCRBY) are in the data, the offset is after 10.
        let built = try BuiltCase(version: version, applied: Scenario.prefix(13))
        let report = try built.verify(recordedAfter: 10)
        #expect(report.verdict == .lagging)
        #expect(report.lagging.map(\.logicID) == [11, 12, 13])
        #expect(report.lagging.map(\.isUnsafeToReplay) == [true, false, true])
        #expect(report.corrected == built.stored(before: 14))
        #expect(report.correctedItem?.logicID == 14)
        #expect(report.lastCommitted?.logicID == 13)
        #expect(report.skip.isEmpty)
        let zincrby = try #require(report.lagging.last)
        #expect(zincrby.evidence.contains("member m1 score 3.5"))
    }

    @Test(arguments: versions)
    func leadingByFour(_ version: PikaStorageVersion) throws {
        let built = try BuiltCase(version: version, applied: Scenario.prefix(16))
        let report = try built.verify(recordedAfter: 20)
        #expect(report.verdict == .leading)
        #expect(report.leading.map(\.logicID) == [17, 18, 19, 20])
        #expect(report.corrected == built.stored(before: 17))
        #expect(report.lastCommitted?.logicID == 16)
        // The window starts after the last item certainly applied: 15. DEL dead (16) is
        // undecidable (a deleted key and one never written look alike).
        #expect(report.items.first?.logicID == 16)
        #expect(report.items.first?.decision == .undecidable)
    }

    @Test(arguments: versions)
    func interleavedPastTheOffset(_ version: PikaStorageVersion) throws {
        // 13 (ZINCRBY z) is missing while 14 (INCR cnt) is in: concurrent writers.
        var applied = Scenario.prefix(12)
        applied.insert(14)
        let built = try BuiltCase(version: version, applied: applied)
        let report = try built.verify(recordedAfter: 12)
        #expect(report.verdict == .interleaved)
        #expect(report.lagging.map(\.logicID) == [14])
        #expect(report.corrected == built.stored(before: 13))
        #expect(report.skip.map(\.logicID) == [14])
        #expect(report.skip.first?.isUnsafeToReplay == true)
        // 12 and everything before it are in; 14 is in too, out of order (skip).
        #expect(report.lastCommitted?.logicID == 12)
    }

    @Test(arguments: versions)
    func everyItemDecidedFromTheStartOfTheBinlog(_ version: PikaStorageVersion) throws {
        // Recorded 0:0 with all items in the data: every item is after the offset and applied,
        // except DEL dead, which is followed by its re-creation, and the no-op (item 32).
        let built = try BuiltCase(version: version, applied: Scenario.prefix(Scenario.steps.count))
        let report = try built.verify(recorded: ResumePoint(fileNumber: 0, offset: 0))
        let decisions = Dictionary(uniqueKeysWithValues: report.items.map { ($0.logicID, $0) })
        #expect(report.location.kind == .binlogStart)
        for (index, step) in Scenario.steps.enumerated() {
            let item = try #require(decisions[UInt64(index + 1)])
            #expect(item.decision == step.expectedWhenAllApplied, "item \(index + 1) \(item.command): \(item.evidence)")
        }
        // The TTL key (expiring in 2020, long before the wall clock) reads as live at the
        // snapshot's time: expiry is never judged against the wall clock.
        #expect(decisions[7]?.decision == .applied)
        #expect(report.verdict == .lagging)
    }

    @Test(arguments: versions)
    func expiryIsJudgedAtTheSnapshotTime(_ version: PikaStorageVersion) throws {
        // Judged 100 s after the last item, SETEX s:ex 50 has expired: its effect and its absence
        // look alike, so item 28 is undecidable; the verdict does not change.
        let built = try BuiltCase(version: version, applied: Scenario.prefix(Scenario.steps.count))
        let late = UnixTime(seconds: Scenario.t0 + 32 + 100)
        let report = try built.verify(recorded: ResumePoint(fileNumber: 0, offset: 0), snapshotTime: late)
        let setex = try #require(report.items.first { $0.logicID == 28 })
        #expect(setex.decision == .undecidable, "\(setex.evidence)")
        #expect(setex.evidence.contains("expired"))
        // At the default time (the items' own), it is applied.
        let onTime = try built.verify(recorded: ResumePoint(fileNumber: 0, offset: 0))
        #expect(onTime.items.first { $0.logicID == 28 }?.decision == .applied)
        // A consistent cut stays consistent when judged late.
        let consistent = try BuiltCase(version: version, applied: Scenario.prefix(28)).verify(
            recordedAfter: 28, snapshotTime: late)
        #expect(consistent.verdict == .consistent)
    }

    @Test(arguments: versions)
    func staleVersionsAfterDelAreIgnored(_ version: PikaStorageVersion) throws {
        // dead: HSET f (8), DEL (16), HSET g (31). The snapshot keeps f's record under the old
        // version; read as live it would contradict every state.
        let built = try BuiltCase(version: version, applied: Scenario.prefix(31))
        let report = try built.verify(recordedAfter: 30)
        #expect(report.verdict == .lagging)
        #expect(report.lagging.map(\.logicID) == [31])
        let snapshot = try PikaSnapshot(directory: built.dump)
        let at = UnixTime(seconds: Scenario.t0)
        #expect(try snapshot.hashFields(bytes("dead"), at: at) == [HashField(field: bytes("g"), value: bytes("w"))])
    }

    @Test(arguments: versions)
    func withoutHistoryAbsoluteItemsAndLocalChainsStillDecide(_ version: PikaStorageVersion) throws {
        let built = try BuiltCase(version: version, applied: Scenario.prefix(13))
        let report = try built.verify(recordedAfter: 10, replayHistory: false)
        if case .unavailable = report.history {} else { Issue.record("history should be off") }
        func decision(_ n: UInt64) -> EffectDecision? { report.items.first { $0.logicID == n }?.decision }
        // SREM and ZINCRBY are told apart by the chains inside the window (SADD m1 m2 before,
        // ZADD 1 m1 before); LPUSH l z by its own effect: the list starts with "z" and the state
        // before it did not know the list's head.
        #expect(report.verdict == .lagging)
        #expect(report.lagging.map(\.logicID) == [11, 12, 13])
        // INCR cnt needs cnt's value before the window: undecidable, and the first item after
        // the offset not known to be in the data.
        #expect(decision(14) == .undecidable)
        #expect(report.items.first { $0.logicID == 14 }?.evidence.contains("no history") == true)
        #expect(report.corrected == built.stored(before: 14))
        #expect(report.skip.isEmpty)
    }

    @Test func aBinlogThatDoesNotStartHistoryIsNotReplayed() throws {
        // A replica's binlog after a full sync starts with padding: no history.
        let temporary = try TemporaryDirectory("verify-replica")
        let dump = temporary.path + "/db0"
        let log = temporary.path + "/log"
        try FileManager.default.createDirectory(atPath: log, withIntermediateDirectories: false)
        let builder = try PikaSnapshotBuilder(creatingAt: dump, version: .v3)
        try builder.putString(bytes("a"), bytes("1"))
        try builder.finish()
        var writer = try BinlogWriter(
            output: try BinlogDirectoryOutput(directory: log), binlogFileSize: 1 << 20,
            producer: ProducerStatus(fileNumber: 5, offset: 1000))
        let first = try writer.append(content: RESP.encode([bytes("SET"), bytes("a"), bytes("1")]), execTime: 1_600_000_001)
        try writer.append(content: RESP.encode([bytes("SET"), bytes("b"), bytes("2")]), execTime: 1_600_000_002)
        try writer.finish()
        let report = try SnapshotVerifier(
            files: try BinlogDirectory(path: log).files, snapshot: try PikaSnapshot(directory: dump),
            recorded: first.precedingStatus
        ).verify()
        if case .unavailable = report.history {} else { Issue.record("a padded binlog is not a fresh history") }
        #expect(report.location.kind == .paddingEnd)
        #expect(report.verdict == .lagging)
        #expect(report.lagging.map(\.logicID) == [1])
    }
}

// MARK: - The scenario

/// A value as written into a built snapshot.
enum BuiltValue: Equatable {
    case absent
    case string(String, expiresAt: Int64? = nil)
    case hash([String: String], expiresAt: Int64? = nil)
    case list([String])
    case set([String])
    case zset([String: Double])

    var isCollection: Bool {
        switch self {
        case .hash, .list, .set, .zset: true
        default: false
        }
    }
}

/// One logged item with the state its key has after it.
struct ScenarioStep {
    var command: [String]
    var key: String
    var after: BuiltValue
    /// The verifier's decision when the snapshot holds every item and the offset is 0:0.
    var expectedWhenAllApplied: EffectDecision = .applied
}

enum Scenario {
    /// 2020-09-13: in the past, so that judging TTLs at the wall clock would expire them all.
    static let t0: Int64 = 1_600_000_000
    static let ttl = t0 + 100_000

    /// Item n (1-based) runs at `t0 + n`.
    static let steps: [ScenarioStep] = [
        ScenarioStep(command: ["SET", "s:a", "v1"], key: "s:a", after: .string("v1")),
        ScenarioStep(command: ["RPUSH", "l", "a", "b"], key: "l", after: .list(["a", "b"])),
        ScenarioStep(command: ["HSET", "h", "f1", "x1"], key: "h", after: .hash(["f1": "x1"])),
        ScenarioStep(command: ["SADD", "st", "m1", "m2"], key: "st", after: .set(["m1", "m2"])),
        ScenarioStep(command: ["ZADD", "z", "1", "m1"], key: "z", after: .zset(["m1": 1])),
        ScenarioStep(command: ["INCR", "cnt"], key: "cnt", after: .string("1")),
        ScenarioStep(command: ["pksetexat", "s:ttl", "\(ttl)", "tv"], key: "s:ttl", after: .string("tv", expiresAt: ttl)),
        ScenarioStep(command: ["HSET", "dead", "f", "v"], key: "dead", after: .hash(["f": "v"]),
            expectedWhenAllApplied: .applied),
        ScenarioStep(command: ["HINCRBY", "h", "n", "5"], key: "h", after: .hash(["f1": "x1", "n": "5"])),
        ScenarioStep(command: ["RPUSH", "l", "c"], key: "l", after: .list(["a", "b", "c"])),
        // 11
        ScenarioStep(command: ["LPUSH", "l", "z"], key: "l", after: .list(["z", "a", "b", "c"])),
        ScenarioStep(command: ["SREM", "st", "m1"], key: "st", after: .set(["m2"])),
        ScenarioStep(command: ["ZINCRBY", "z", "2.5", "m1"], key: "z", after: .zset(["m1": 3.5])),
        ScenarioStep(command: ["INCR", "cnt"], key: "cnt", after: .string("2")),
        ScenarioStep(command: ["SET", "s:a", "v2"], key: "s:a", after: .string("v2")),
        ScenarioStep(command: ["DEL", "dead"], key: "dead", after: .absent),
        ScenarioStep(command: ["EXPIREAT", "h", "\(t0 + 200_000)"], key: "h",
            after: .hash(["f1": "x1", "n": "5"], expiresAt: t0 + 200_000)),
        ScenarioStep(command: ["ZADD", "z", "7", "m2"], key: "z", after: .zset(["m1": 3.5, "m2": 7])),
        ScenarioStep(command: ["RPOP", "l"], key: "l", after: .list(["z", "a", "b"])),
        ScenarioStep(command: ["SADD", "st", "m3"], key: "st", after: .set(["m2", "m3"])),
        // 21
        ScenarioStep(command: ["HDEL", "h", "f1"], key: "h", after: .hash(["n": "5"], expiresAt: t0 + 200_000)),
        ScenarioStep(command: ["INCRBY", "cnt", "10"], key: "cnt", after: .string("12")),
        ScenarioStep(command: ["APPEND", "s:a", "-x"], key: "s:a", after: .string("v2-x")),
        ScenarioStep(command: ["SET", "s:b", "new"], key: "s:b", after: .string("new")),
        ScenarioStep(command: ["LPOP", "l"], key: "l", after: .list(["a", "b"])),
        ScenarioStep(command: ["ZREM", "z", "m1"], key: "z", after: .zset(["m2": 7])),
        ScenarioStep(command: ["HSET", "h", "f2", "y"], key: "h", after: .hash(["n": "5", "f2": "y"], expiresAt: t0 + 200_000)),
        ScenarioStep(command: ["SETEX", "s:ex", "50", "e"], key: "s:ex", after: .string("e", expiresAt: t0 + 28 + 50)),
        ScenarioStep(command: ["RPUSH", "l", "d"], key: "l", after: .list(["a", "b", "d"])),
        ScenarioStep(command: ["INCR", "cnt"], key: "cnt", after: .string("13")),
        // 31
        ScenarioStep(command: ["HSET", "dead", "g", "w"], key: "dead", after: .hash(["g": "w"])),
        // A no-op: the key holds that value already.
        ScenarioStep(command: ["SET", "s:b", "new"], key: "s:b", after: .string("new"), expectedWhenAllApplied: .undecidable),
    ]

    static func prefix(_ count: Int) -> Set<Int> { Set((0...count).dropFirst()) }
}

/// A built dump + binlog in a temporary directory, removed with the value.
final class BuiltCase {
    let root: String
    let dump: String
    let log: String
    let version: PikaStorageVersion
    /// `written[n - 1]` is item n.
    let written: [WrittenItem]

    /// Builds the snapshot holding the items of `applied` (1-based; per key a prefix of its
    /// items) and the binlog of every step.
    init(version: PikaStorageVersion, applied: Set<Int>) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("binlogtool-verify-built-\(UUID().uuidString)").path
        dump = root + "/db0"
        log = root + "/log_db0"
        self.version = version
        try FileManager.default.createDirectory(atPath: log, withIntermediateDirectories: true)

        // Binlog: small files, so the window crosses rolls.
        var writer = try BinlogWriter(output: try BinlogDirectoryOutput(directory: log), binlogFileSize: 512)
        var written: [WrittenItem] = []
        for (index, step) in Scenario.steps.enumerated() {
            written.append(
                try writer.append(
                    content: RESP.encode(step.command.map { bytes($0) }), execTime: UInt32(Scenario.t0 + Int64(index + 1))))
        }
        try writer.finish()
        self.written = written

        // Snapshot: per key, the last applied state; collections deleted on the way leave their
        // data under an older version.
        let builder = try PikaSnapshotBuilder(creatingAt: dump, version: version)
        var keys: [String] = []
        for step in Scenario.steps where !keys.contains(step.key) { keys.append(step.key) }
        for (keyIndex, key) in keys.enumerated() {
            let states = Scenario.steps.enumerated().filter { applied.contains($0.offset + 1) && $0.element.key == key }
                .map(\.element.after)
            var generation: UInt64 = 0
            var stale: [BuiltValue] = []
            var previous: BuiltValue = .absent
            for state in states {
                if state == .absent && previous.isCollection { stale.append(previous) }
                previous = state
            }
            func dataVersion() -> UInt64 {
                generation += 1
                let n = UInt64(keyIndex * 10) + generation
                return version == .v4_0_1 ? 1_599_990_000_000 + n * 1000 : 1_599_990_000 + n
            }
            for value in stale { try write(value, key, dataVersion(), builder) }
            let final = states.last ?? .absent
            if final == .absent {
                if let last = stale.last {
                    try builder.deleteKey(bytes(key), type: type(of: last), newVersion: dataVersion())
                }
            } else {
                try write(final, key, dataVersion(), builder)
            }
        }
        try builder.finish()
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    private func type(of value: BuiltValue) -> PikaDataType {
        switch value {
        case .hash: .hash
        case .list: .list
        case .set: .set
        case .zset: .zset
        default: .string
        }
    }

    private func write(_ value: BuiltValue, _ key: String, _ dataVersion: UInt64, _ b: PikaSnapshotBuilder) throws {
        let k = bytes(key)
        let created = UnixTime(seconds: Scenario.t0)
        func time(_ seconds: Int64?) -> UnixTime? { seconds.map { UnixTime(seconds: $0) } }
        switch value {
        case .absent: break
        case .string(let v, let e): try b.putString(k, bytes(v), expiresAt: time(e), createdAt: created)
        case .hash(let fields, let e):
            try b.putHash(
                k, fields.sorted { $0.key < $1.key }.map { HashField(field: bytes($0.key), value: bytes($0.value)) },
                version: dataVersion, expiresAt: time(e), createdAt: created)
        case .list(let elements):
            try b.putList(k, elements.map(bytes), version: dataVersion, leftIndex: (1 << 63) - 10, createdAt: created)
        case .set(let members): try b.putSet(k, members.map(bytes), version: dataVersion, createdAt: created)
        case .zset(let scores):
            try b.putZSet(
                k, scores.map { ZSetMember(member: bytes($0.key), score: $0.value) }, version: dataVersion,
                createdAt: created)
        }
    }

    /// The stored position of item `n` (the resume point before it).
    func stored(before n: Int) -> ResumePoint { written[n - 1].precedingStatus }

    func verify(
        recordedAfter n: Int, snapshotTime: UnixTime? = nil, replayHistory: Bool = true
    ) throws -> SnapshotVerification {
        try verify(recorded: ResumePoint(after: written[n - 1].end), snapshotTime: snapshotTime, replayHistory: replayHistory)
    }

    func verify(
        recorded: ResumePoint, snapshotTime: UnixTime? = nil, replayHistory: Bool = true
    ) throws -> SnapshotVerification {
        let snapshot = try PikaSnapshot(directory: dump)
        #expect(snapshot.version == version)
        return try SnapshotVerifier(
            files: try BinlogDirectory(path: log).files, snapshot: snapshot, recorded: recorded,
            options: .init(window: 64, replayHistory: replayHistory, snapshotTime: snapshotTime)
        ).verify()
    }
}
