import BinlogFormat
import Foundation
import RocksSnapshot
import Testing

@testable import PikaStorage
@testable import Repair

/// `SnapshotVerifier` on the real Pika bgsave fixtures: the 3.5.0 dump that holds one write past
/// its `info` offset, the consistent 4.0.1 dump, and offsets moved back and forth by K items.
@Suite(.enabled(if: RocksDBExpectation.expected, "needs librocksdb (the RocksDB trait)"))
struct SnapshotRealFixtureTests {
    static let v3Dump = StorageFixtures.v3Dump
    static let v4Dump = StorageFixtures.v4Dump

    // MARK: Pika 3.5.0: one write ahead of the offset

    @Test func v3DumpLagsByExactlyLogicID11964() throws {
        let report = try SnapshotFixtures.verify(dump: Self.v3Dump, binlog: SnapshotFixtures.v3Binlog)
        let items = try SnapshotFixtures.items(SnapshotFixtures.v3Binlog)

        #expect(report.recorded == ResumePoint(fileNumber: 7, offset: 262_165))
        #expect(report.location.kind == .itemEnd)
        #expect(report.location.isResumePoint)
        #expect(report.location.previousItem?.logicID == 11963)
        #expect(report.location.nextItem?.logicID == 11964)
        #expect(report.location.nextItem?.start == PhysicalPosition(fileNumber: 8, offset: 0))

        #expect(report.verdict == .lagging)
        #expect(report.lagging.map(\.logicID) == [11964])
        #expect(report.lagging.first?.command.hasPrefix("SET bgw:key:11729 v11729-") == true)
        #expect(report.lagging.first?.isUnsafeToReplay == false)
        #expect(report.leading.isEmpty)
        #expect(report.skip.isEmpty)

        // The corrected point is the stored position of logic id 11965, i.e. the end of 11964.
        let next = try #require(items[11965])
        #expect(report.corrected == next.stored)
        #expect(report.corrected == items[11964]!.endResumePoint)
        #expect(report.corrected == ResumePoint(fileNumber: 8, offset: 129))
        #expect(report.correctedItem?.logicID == 11965)
        #expect(report.isClean == false)

        // The window starts after the last item certainly applied (11963) and runs 64 past.
        #expect(report.items.first?.logicID == 11964)
        #expect(report.items.count == 64)
        #expect(report.items.dropFirst().allSatisfy { $0.decision == .notApplied })
        if case .replayed = report.history {} else { Issue.record("history should be replayed: \(report.history)") }
    }

    @Test func v3DumpCollectionsAgreeWithTheirCounts() throws {
        // Moved back 20 items so that the window holds collection items on both sides of the
        // data's real position (commands 0…11729 are in the data: LLEN 587, ctr 586, ZCARD 586).
        let items = try SnapshotFixtures.items(SnapshotFixtures.v3Binlog)
        let report = try SnapshotFixtures.verify(
            dump: Self.v3Dump, binlog: SnapshotFixtures.v3Binlog, recorded: items[11944]!.stored)
        func item(_ prefix: String, applied: Bool) -> SnapshotVerification.Item? {
            report.items.first { $0.command.hasPrefix(prefix) && ($0.decision == .applied) == applied }
        }
        // Writer command n → logic id 235 + n; 11727 is RPUSH, 11713 HINCRBY, 11717 ZADD.
        let rpushIn = try #require(item("RPUSH bgw:list 11727", applied: true))
        #expect(rpushIn.logicID == 235 + 11727)
        #expect(rpushIn.evidence.contains("found LLEN 587"))
        let rpushOut = try #require(item("RPUSH bgw:list 11747", applied: false))
        #expect(rpushOut.evidence.contains("LLEN 588"))
        #expect(rpushOut.isUnsafeToReplay)
        let hincrOut = try #require(item("HINCRBY bgw:hash ctr 1", applied: false))
        #expect(hincrOut.logicID == 235 + 11733)
        #expect(hincrOut.evidence.contains("found field ctr \"586\""))
        #expect(hincrOut.evidence.contains("after: field ctr \"587\""))
        let zaddOut = try #require(item("ZADD bgw:zset 11737 m11737", applied: false))
        #expect(zaddOut.evidence.contains("no member m11737"))
        #expect(report.items.contains { $0.command.hasPrefix("ZADD bgw:zset 11717") && $0.decision == .applied })
    }

    @Test func v3DumpWithoutHistoryStillFindsTheLag() throws {
        let report = try SnapshotFixtures.verify(
            dump: Self.v3Dump, binlog: SnapshotFixtures.v3Binlog, options: .init(replayHistory: false))
        #expect(report.verdict == .lagging)
        #expect(report.lagging.map(\.logicID) == [11964])
        #expect(report.corrected == ResumePoint(fileNumber: 8, offset: 129))
        // Counters need the value before the window: undecidable without history, and said why.
        let counters = report.items.filter { $0.command.hasPrefix("HINCRBY") }
        #expect(!counters.isEmpty)
        #expect(counters.allSatisfy { $0.decision == .undecidable && $0.evidence.contains("no history") })
        // Lists are decided from their last elements.
        #expect(report.items.filter { $0.command.hasPrefix("RPUSH") }.allSatisfy { $0.decision == .notApplied })
    }

    // MARK: Pika 4.0.1: consistent

    @Test func v4DumpIsConsistent() throws {
        let report = try SnapshotFixtures.verify(dump: Self.v4Dump, binlog: SnapshotFixtures.v4Binlog)
        #expect(report.verdict == .consistent)
        #expect(report.recorded == ResumePoint(fileNumber: 6, offset: 159_990))
        #expect(report.corrected == report.recorded)
        #expect(report.correctedItem?.logicID == 9514)
        #expect(report.location.previousItem?.logicID == 9513)
        #expect(report.isClean)
        #expect(report.lagging.isEmpty && report.leading.isEmpty && report.skip.isEmpty)
        #expect(report.items.allSatisfy { $0.decision == .notApplied })
        #expect(report.storageVersion == .v4_0_1)
    }

    // MARK: Offsets moved by K items

    @Test(arguments: [1, 5, 20])
    func v3OffsetMovedBackLagsByExactlyThoseItems(_ k: Int) throws {
        let items = try SnapshotFixtures.items(SnapshotFixtures.v3Binlog)
        let moved = items[UInt64(11964 - k)]!.stored
        let report = try SnapshotFixtures.verify(dump: Self.v3Dump, binlog: SnapshotFixtures.v3Binlog, recorded: moved)
        #expect(report.verdict == .lagging)
        #expect(report.lagging.map(\.logicID) == Array(UInt64(11964 - k)...11964))
        #expect(report.corrected == ResumePoint(fileNumber: 8, offset: 129))
        #expect(report.location.kind == .itemEnd)
    }

    @Test(arguments: [1, 5, 20])
    func v3OffsetMovedForwardLeadsByExactlyThoseItems(_ k: Int) throws {
        // From the data's real position (the end of 11964), K items forward.
        let items = try SnapshotFixtures.items(SnapshotFixtures.v3Binlog)
        let moved = items[UInt64(11964 + k)]!.endResumePoint
        let report = try SnapshotFixtures.verify(dump: Self.v3Dump, binlog: SnapshotFixtures.v3Binlog, recorded: moved)
        #expect(report.verdict == .leading)
        #expect(report.leading.map(\.logicID) == Array(11965...UInt64(11964 + k)))
        #expect(report.lagging.isEmpty)
        #expect(report.corrected == ResumePoint(fileNumber: 8, offset: 129))
        #expect(report.items.first?.logicID == 11965)
    }

    @Test(arguments: [1, 5, 20])
    func v4OffsetMovedBothWays(_ k: Int) throws {
        let items = try SnapshotFixtures.items(SnapshotFixtures.v4Binlog)
        let back = try SnapshotFixtures.verify(
            dump: Self.v4Dump, binlog: SnapshotFixtures.v4Binlog, recorded: items[UInt64(9514 - k)]!.stored)
        #expect(back.verdict == .lagging)
        #expect(back.lagging.map(\.logicID) == Array(UInt64(9514 - k)...9513))
        #expect(back.corrected == ResumePoint(fileNumber: 6, offset: 159_990))

        let forward = try SnapshotFixtures.verify(
            dump: Self.v4Dump, binlog: SnapshotFixtures.v4Binlog, recorded: items[UInt64(9513 + k)]!.endResumePoint)
        #expect(forward.verdict == .leading)
        #expect(forward.leading.map(\.logicID) == Array(9514...UInt64(9513 + k)))
        #expect(forward.corrected == ResumePoint(fileNumber: 6, offset: 159_990))
    }

    @Test func aLagLongerThanTheWindowIsFollowed() throws {
        // 150 items back with a window of 16: the check reads on until the data ends.
        let items = try SnapshotFixtures.items(SnapshotFixtures.v4Binlog)
        let report = try SnapshotFixtures.verify(
            dump: Self.v4Dump, binlog: SnapshotFixtures.v4Binlog, recorded: items[9514 - 150]!.stored,
            options: .init(window: 16))
        #expect(report.verdict == .lagging)
        #expect(report.lagging.count == 150)
        #expect(report.corrected == ResumePoint(fileNumber: 6, offset: 159_990))
        // The window shows every lagging item and the first one missing (9514).
        #expect(report.items.count == 151)
        #expect(report.items.last?.logicID == 9514)
    }

    // MARK: Where the offset falls

    @Test func nextFileStartSpellingIsTheSamePoint() throws {
        // 8:0 names the same point as 7:262165 (pitfall 19).
        let report = try SnapshotFixtures.verify(
            dump: Self.v3Dump, binlog: SnapshotFixtures.v3Binlog, recorded: ResumePoint(fileNumber: 8, offset: 0))
        #expect(report.location.kind == .nextFileStart)
        #expect(report.location.isResumePoint)
        #expect(report.location.equivalent == ResumePoint(fileNumber: 7, offset: 262_165))
        #expect(report.location.previousItem?.logicID == 11963)
        #expect(report.location.nextItem?.logicID == 11964)
        #expect(report.verdict == .lagging)
        #expect(report.lagging.map(\.logicID) == [11964])
    }

    @Test func midItemOffset() throws {
        let items = try SnapshotFixtures.items(SnapshotFixtures.v3Binlog)
        let inside = items[11966]!
        let point = ResumePoint(fileNumber: inside.start.fileNumber, offset: inside.start.offset + 10)
        let report = try SnapshotFixtures.verify(dump: Self.v3Dump, binlog: SnapshotFixtures.v3Binlog, recorded: point)
        #expect(report.location.kind == .midItem)
        #expect(report.location.containingItem?.logicID == 11966)
        #expect(!report.location.isResumePoint)
        #expect(!report.isClean)
        // The data still says where the snapshot stands.
        #expect(report.corrected == ResumePoint(fileNumber: 8, offset: 129))
        #expect(report.verdict == .leading)
        #expect(report.leading.map(\.logicID) == [11965])
        #expect(report.remarks.contains { $0.contains("not a resume point") })
    }

    @Test func blockAlignedOffsetInsideAnItem() throws {
        let items = try SnapshotFixtures.items(SnapshotFixtures.v3Binlog)
        let block: UInt64 = 65_536
        let straddling = try #require(
            items.values.filter {
                $0.start.fileNumber == 8 && $0.start.offset / block != ($0.end.offset - 1) / block
                    && $0.end.offset % block != 0
            }.min { $0.logicID < $1.logicID })
        let boundary = (straddling.start.offset / block + 1) * block
        let report = try SnapshotFixtures.verify(
            dump: Self.v3Dump, binlog: SnapshotFixtures.v3Binlog,
            recorded: ResumePoint(fileNumber: 8, offset: boundary))
        #expect(report.location.kind == .blockAlignedInsideItem)
        #expect(report.location.containingItem?.logicID == straddling.logicID)
        #expect(!report.location.isResumePoint)
    }

    @Test func trailerPositions() throws {
        // write2file7 has a 2-byte trailer at 131070; logic id 10897 starts at 131072 and stores
        // 131070 (NOTES.md).
        let items = try SnapshotFixtures.items(SnapshotFixtures.v3Binlog)
        #expect(items[10897]!.stored == ResumePoint(fileNumber: 7, offset: 131_070))
        func kind(_ offset: UInt64) throws -> SnapshotVerification {
            try SnapshotFixtures.verify(
                dump: Self.v3Dump, binlog: SnapshotFixtures.v3Binlog, recorded: ResumePoint(fileNumber: 7, offset: offset),
                options: .init(window: 4))
        }
        let atEnd = try kind(131_070)
        #expect(atEnd.location.kind == .itemEnd)
        #expect(atEnd.location.nextItem?.logicID == 10897)
        let inTrailer = try kind(131_071)
        #expect(inTrailer.location.kind == .insideTrailer)
        #expect(!inTrailer.location.isResumePoint)
        let blockStart = try kind(131_072)
        #expect(blockStart.location.kind == .blockStartAfterTrailer)
        #expect(blockStart.location.equivalent == ResumePoint(fileNumber: 7, offset: 131_070))
        #expect(blockStart.location.isResumePoint)
        #expect(blockStart.location.nextItem?.logicID == 10897)
        // Far before the data: every item since is already in it.
        #expect(blockStart.verdict == .lagging)
        #expect(blockStart.corrected == ResumePoint(fileNumber: 8, offset: 129))
    }

    @Test func pastTheEnd() throws {
        let inFile = try SnapshotFixtures.verify(
            dump: Self.v3Dump, binlog: SnapshotFixtures.v3Binlog, recorded: ResumePoint(fileNumber: 7, offset: 262_200))
        #expect(inFile.location.kind == .pastEnd)
        #expect(inFile.location.detail?.contains("262165") == true)
        let beyond = try SnapshotFixtures.verify(
            dump: Self.v3Dump, binlog: SnapshotFixtures.v3Binlog, recorded: ResumePoint(fileNumber: 30, offset: 5))
        #expect(beyond.location.kind == .pastEnd)
        #expect(!beyond.location.isResumePoint)
        // The binlog's end, spelled (last+1):0, is a resume point with nothing after it.
        let end = try SnapshotFixtures.verify(
            dump: Self.v3Dump, binlog: SnapshotFixtures.v3Binlog, recorded: ResumePoint(fileNumber: 12, offset: 0))
        #expect(end.location.kind == .nextFileStart)
        #expect(end.location.equivalent == ResumePoint(fileNumber: 11, offset: 229_610))
        #expect(end.location.nextItem == nil)
        #expect(end.verdict == .leading)
    }

    @Test func purgedAndMissingFiles() throws {
        let temporary = try TemporaryDirectory("verify-purged")
        let purged = temporary.path + "/purged"
        let gap = temporary.path + "/gap"
        for directory in [purged, gap] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false) }
        for n in 0...11 {
            let source = SnapshotFixtures.v3Binlog + "/write2file\(n)"
            if n >= 8 { try FileManager.default.createSymbolicLink(atPath: purged + "/write2file\(n)", withDestinationPath: source) }
            if n != 7 { try FileManager.default.createSymbolicLink(atPath: gap + "/write2file\(n)", withDestinationPath: source) }
        }
        let purgedReport = try SnapshotFixtures.verify(dump: Self.v3Dump, binlog: purged)
        #expect(purgedReport.location.kind == .purged)
        #expect(purgedReport.location.nextItem?.logicID == 11964)
        #expect(!purgedReport.location.isResumePoint)
        if case .unavailable = purgedReport.history {} else { Issue.record("no history without write2file0") }
        // Everything is after the point: 11964 is applied, the rest is not.
        #expect(purgedReport.lagging.map(\.logicID) == [11964])

        let gapReport = try SnapshotFixtures.verify(dump: Self.v3Dump, binlog: gap)
        #expect(gapReport.location.kind == .fileMissing)
        #expect(!gapReport.location.isResumePoint)
    }

    // MARK: Read only

    /// The whole check leaves every byte of the dump as it was and creates no file (no LOCK).
    @Test(arguments: [StorageFixtures.v3Dump, StorageFixtures.v4Dump])
    func verifyingLeavesTheDumpUntouched(_ dump: String) throws {
        let before = try TreeFingerprint.of(dump)
        #expect(TreeFingerprint.files(named: "LOCK", under: dump).isEmpty)
        let binlog = dump.contains("v4-bgsave") ? SnapshotFixtures.v4Binlog : SnapshotFixtures.v3Binlog
        let report = try SnapshotFixtures.verify(dump: dump, binlog: binlog, options: .init(window: 256))
        #expect(report.examinedCount > 256)
        #expect(try TreeFingerprint.of(dump) == before)
        #expect(TreeFingerprint.files(named: "LOCK", under: dump).isEmpty)
    }
}
