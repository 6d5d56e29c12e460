import BinlogFormat
import Foundation
import RocksSnapshot
import Testing

@testable import PikaStorage
@testable import Repair

/// `BinlogRewriter` with a bgsave snapshot: the start is the snapshot verification's corrected
/// resume point, the items it proves applied are not written, and keys are seeded from the
/// snapshot's own RocksDB data (opened read-only).
@Suite(.enabled(if: RocksDBExpectation.expected, "needs librocksdb (the RocksDB trait)"))
struct RewriteSnapshotTests {
    static func seed(dump: String, binlog: String, recorded: ResumePoint? = nil) throws -> SnapshotSeed {
        let verification = try SnapshotFixtures.verify(dump: dump, binlog: binlog, recorded: recorded)
        return SnapshotSeed(verification: verification, source: SnapshotStateSource(snapshot: try PikaSnapshot(directory: dump)))
    }

    static func rewrite(dump: String, binlog: String, recorded: ResumePoint? = nil) throws -> RewriteTest.Result {
        var options = RewriteOptions()
        options.start = .snapshot(try seed(dump: dump, binlog: binlog, recorded: recorded))
        return try RewriteTest.rewrite(binlog, options: options)
    }

    /// Pika 3.5.0's dump holds logic id 11964 although its `info` says 7:262165, the end of
    /// 11963: 11964 is not written, and the output pairs with the end of 11964.
    @Test func v3DumpLaggingByOneItem() throws {
        let r = try Self.rewrite(dump: StorageFixtures.v3Dump, binlog: SnapshotFixtures.v3Binlog)
        let s = r.summary
        #expect(s.startSource == .snapshot)
        #expect(s.resumePoint == ResumePoint(fileNumber: 8, offset: 129))
        #expect(r.changes(.applied).map { $0.item!.logicID } == [11964])
        #expect(r.changes(.applied).first?.reason.contains("7:262165") == true)
        #expect(s.firstItem?.logicID == 11965)
        #expect(s.count(.flagged) == 0)

        // The output: write2file8 padded to 129, then 11965 onwards, numbered on from it.
        let (items, padding, _) = try RewriteTest.items(r.directory!)
        #expect(padding.map(\.end) == [PhysicalPosition(fileNumber: 8, offset: 129)])
        #expect(items.first?.header.stored == ResumePoint(fileNumber: 8, offset: 129))
        #expect(items.first?.header.logicID == 11965)
        #expect(items.map(\.header.logicID) == Array(11965..<(11965 + UInt64(items.count))))
        #expect(try CheckFixtures.check(directory: r.directory!).findings.problems.map(\.description) == [])

        // Counters continue from the snapshot's values: the first HINCRBY after the point finds
        // ctr 586 in the dump (commands 0…11729 applied) and writes 587.
        let hincr = try #require(r.changes(.replaced).first { $0.arguments?.first == RewriteTest.b("HINCRBY") })
        #expect(RewriteTest.text(hincr.written[0].arguments) == "hset bgw:hash ctr 587")
        // List pushes go on from the snapshot's list (LLEN 587 + 1).
        let push = try #require(r.changes(.replaced).first { $0.arguments?.first == RewriteTest.b("RPUSH") })
        #expect(push.written.map { RewriteTest.text($0.arguments).prefix(22) }.last == "ltrim bgw:list 0 587")
    }

    /// The info offset moved back by K items: the K + 1 items after it are all in the data, none
    /// is written, and the output is the same.
    @Test(arguments: [1, 5, 20])
    func offsetMovedBackLagsByThoseItems(_ k: Int) throws {
        let items = try SnapshotFixtures.items(SnapshotFixtures.v3Binlog)
        let moved = items[UInt64(11964 - k)]!.stored
        let r = try Self.rewrite(dump: StorageFixtures.v3Dump, binlog: SnapshotFixtures.v3Binlog, recorded: moved)
        #expect(r.summary.resumePoint == ResumePoint(fileNumber: 8, offset: 129))
        #expect(r.changes(.applied).map { $0.item!.logicID } == Array(UInt64(11964 - k)...11964))
        let reference = try Self.rewrite(dump: StorageFixtures.v3Dump, binlog: SnapshotFixtures.v3Binlog)
        let a = try RewriteTest.items(r.directory!).items.map(\.arguments)
        let b = try RewriteTest.items(reference.directory!).items.map(\.arguments)
        #expect(a == b)
    }

    /// A lagging offset written into a copy of the dump's `info` file (what an operator has).
    @Test func laggingInfoFileInACopyOfTheDump() throws {
        let tmp = try CheckFixtures.temporaryDirectory()
        let dump = try SnapshotFixtures.copyOfDump(StorageFixtures.v3Dump, into: tmp)
        let items = try SnapshotFixtures.items(SnapshotFixtures.v3Binlog)
        try SnapshotFixtures.rewriteInfo(dump, to: items[11950]!.stored)
        let before = try RewriteTest.fingerprint(dump)
        let r = try Self.rewrite(dump: dump, binlog: SnapshotFixtures.v3Binlog)
        #expect(r.summary.resumePoint == ResumePoint(fileNumber: 8, offset: 129))
        #expect(r.changes(.applied).count == 15)
        #expect(try RewriteTest.fingerprint(dump) == before)  // read-only
    }

    /// Pika 4.0.1's dump is consistent: the output starts where its info says.
    @Test func v4DumpConsistent() throws {
        let r = try Self.rewrite(dump: StorageFixtures.v4Dump, binlog: SnapshotFixtures.v4Binlog)
        #expect(r.summary.resumePoint == ResumePoint(fileNumber: 6, offset: 159_990))
        #expect(r.changes(.applied).isEmpty)
        #expect(r.summary.firstItem?.logicID == 9514)
        #expect(r.summary.count(.flagged) == 0)
        #expect(try CheckFixtures.check(directory: r.directory!).findings.problems.map(\.description) == [])
    }
}
