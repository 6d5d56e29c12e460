import BinlogFormat
import Foundation
import RedisTestSupport
import RocksSnapshot
import Testing

@testable import PikaStorage
@testable import Repair

/// A replica that started from a lagging dump (Pika's full sync, or a manual restore at the dump's
/// `info` offset) applied the items the dump held past its offset a second time. The real 3.5.0
/// bgsave dump, with its `info` offset moved back to 7:259489 (the stored position of logic id
/// 11942, 22 items before the one it really records): the dump then holds 11942…11964 past its
/// offset, among them RPUSH bgw:list (11942, 11962) and HINCRBY bgw:hash (11948). The replica's
/// binlog is what a 3.5.0 replica writes after that sync: full-sync padding up to 7:259489, then
/// the master's items with their own headers.
@Suite(.serialized, .enabled(if: RocksDBExpectation.expected, "needs librocksdb"))
struct FullSyncRepairTests {
    static let recorded = ResumePoint(fileNumber: 7, offset: 259489)

    static func seed(recorded: ResumePoint = Self.recorded) throws -> SnapshotSeed {
        try RewriteSnapshotTests.seed(dump: StorageFixtures.v3Dump, binlog: SnapshotFixtures.v3Binlog, recorded: recorded)
    }

    /// The replica's binlog: padding to `start`, then the master's items from there through `through`.
    static func replica(start: ResumePoint = Self.recorded, through: UInt64? = nil) throws -> WrittenBinlog {
        let master = try OwnedBinlog(directory: SnapshotFixtures.v3Binlog)
        let from = try #require(master.items.firstIndex { $0.header.stored == start })
        let items = master.items[from...].filter { through == nil || $0.logicID <= through! }
        return try writeBinlog(
            Array(items), binlogFileSize: try CheckFixtures.binlogFileSize("bgsave"),
            start: ProducerStatus(fileNumber: start.fileNumber, offset: start.offset), mode: .verbatim)
    }

    static func judge(_ replica: WrittenBinlog, seed: SnapshotSeed) throws -> (DiffReport, FullSyncDoubleApply) {
        let diff = try BinlogDiff.diff(
            master: try BinlogDirectory(path: SnapshotFixtures.v3Binlog), replica: try BinlogDirectory(path: replica.directory))
        return (diff, FullSyncDoubleApply(diff: diff.summary, verification: seed.verification))
    }

    @Test func itemsTheDumpHeldPastItsOffsetAreAppliedTwice() throws {
        let seed = try Self.seed()
        #expect(seed.verification.verdict == .lagging)
        let replica = try Self.replica()
        defer { try? FileManager.default.removeItem(atPath: replica.directory) }
        let (diff, judged) = try Self.judge(replica, seed: seed)
        // The binlogs agree: only the dump tells.
        #expect(diff.findings.problems.isEmpty)
        #expect(diff.summary.replicaStart == Self.recorded)
        #expect(diff.summary.replicaPaddingEnd == PhysicalPosition(fileNumber: 7, offset: 259489))
        #expect(judged.startsAtRecorded)
        #expect(judged.appliedTwice.map(\.logicID) == Array(11942...11964))
        #expect(judged.unsafe.map(\.logicID) == [11942, 11948, 11962])
        #expect(judged.damagedKeys.map { String(decoding: $0, as: UTF8.self) } == ["bgw:list", "bgw:hash"])
        #expect(
            judged.findings.shapes == [
                FindingShape(.appliedTwice, .error, loc(7, 259489, 11942), loc(7, 259489, 11942), count: 1),
                FindingShape(.appliedTwice, .error, loc(7, 260216, 11948), loc(7, 260216, 11948), count: 1),
                FindingShape(.appliedTwice, .error, loc(7, 261946, 11962), loc(7, 261946, 11962), count: 1),
                FindingShape(.appliedTwice, .info, loc(7, 259571, 11943), loc(8, 0, 11964), count: 20),
            ])
    }

    /// The dump as it is (consistent up to one replay-safe SET past 7:262165) is not the dump this
    /// replica started from: nothing can be said, and nothing is an error.
    @Test func anotherDumpTellsNothing() throws {
        let replica = try Self.replica()
        defer { try? FileManager.default.removeItem(atPath: replica.directory) }
        let (_, judged) = try Self.judge(replica, seed: try Self.seed(recorded: ResumePoint(fileNumber: 7, offset: 262165)))
        #expect(!judged.startsAtRecorded)
        #expect(judged.appliedTwice.isEmpty && judged.damagedKeys.isEmpty)
        #expect(judged.findings.shapes == [FindingShape(.snapshotNotReplicaStart, .info, nil, nil, count: 0)])
    }

    /// On a real redis-server: the replica's data (the dump: every item through 11964; then its
    /// binlog: the master's items from 11942) differs from the master's in exactly bgw:list and
    /// bgw:hash; the repair stream makes it the master's, applied once or twice. A replica that
    /// stopped at 12500 is repaired to the master's state there, and replicating the rest after
    /// the repair ends at the master's data.
    @Test(arguments: [nil, 12500] as [UInt64?])
    func theRepairStreamMakesTheReplicaTheMastersData(_ stoppedAt: UInt64?) throws {
        let seed = try Self.seed()
        let replica = try Self.replica(through: stoppedAt)
        defer { try? FileManager.default.removeItem(atPath: replica.directory) }
        let (_, judged) = try Self.judge(replica, seed: seed)
        #expect(judged.replicaThrough?.logicID == stoppedAt ?? 20234)
        let repair = try FullSyncRepair.build(
            master: try BinlogDirectory(path: SnapshotFixtures.v3Binlog), seed: seed, doubleApply: judged, dialect: .redis)
        #expect(repair.unknown.isEmpty)
        #expect(repair.repaired.map { String(decoding: $0, as: UTF8.self) } == ["bgw:list", "bgw:hash"])

        let binlog = SnapshotFixtures.v3Binlog
        let start = PhysicalPosition(fileNumber: 7, offset: 259489)
        let dumpData = try RewriteRedisTests.original(binlog, through: 11964)
        let replicated = try RewriteRedisTests.original(binlog, from: start, through: stoppedAt)
        let (server, c) = try RedisServerProcess.started(logTime: try RewriteRedisTests.logTime(binlog))
        defer { server.stop() }
        let (master, masterErrors) = try RewriteRedisTests.replay(c, prefix: [], try RewriteRedisTests.original(binlog, through: stoppedAt))
        #expect(masterErrors == [])
        let (broken, _) = try RewriteRedisTests.replay(c, base: dumpData, prefix: [], replicated)
        #expect(RewriteRedisTests.keys(broken.differences(from: master)) == ["bgw:list", "bgw:hash"])
        let (repaired, errors) = try RewriteRedisTests.replay(c, base: dumpData + replicated, prefix: [], repair.commands)
        #expect(errors == [])
        #expect(repaired.differences(from: master) == [])
        let (twice, _) = try RewriteRedisTests.replay(c, base: dumpData + replicated, prefix: repair.commands, repair.commands)
        #expect(twice.differences(from: master) == [])
        if let stoppedAt {
            // Replication goes on from where the replica was: the rest of the master's items.
            let rest = try RewriteTest.items(binlog).items.filter { $0.header.logicID > stoppedAt }
                .flatMap { StateRedisIdempotenceTests.translated($0.arguments) }
            let (whole, _) = try RewriteRedisTests.replay(c, prefix: [], try RewriteRedisTests.original(binlog))
            let (caughtUp, _) = try RewriteRedisTests.replay(c, base: dumpData + replicated + repair.commands, prefix: [], rest)
            #expect(caughtUp.differences(from: whole) == [])
        }
    }
}
