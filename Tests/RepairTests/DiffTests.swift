import BinlogFormat
import Foundation
import Repair
import Testing

/// `diff` on real master/replica pairs and on replicas edited the ways replication goes wrong.
@Suite struct DiffTests {
    let master: BinlogDirectory
    let slave: OwnedBinlog
    let slaveSize: UInt64
    /// The v3.5.0 replica's full-sync point: its write2file7 begins with 1360 bytes of padding.
    let fullSync = ProducerStatus(fileNumber: 7, offset: 1360)

    init() throws {
        master = try CheckFixtures.directory("slave/master/binlog/log_db0")
        slave = try OwnedBinlog("slave/slave/binlog/log_db0")
        slaveSize = try CheckFixtures.binlogFileSize("slave/slave")
    }

    /// Writes replica items the way the v3.5.0 replica did: from its full-sync padding, with the
    /// master's headers, counting its own puts in the manifest.
    func replica(_ items: [OwnedItem]) throws -> BinlogDirectory {
        let w = try writeBinlog(
            items, binlogFileSize: slaveSize, start: fullSync, mode: .verbatim, manifestLogicID: UInt64(items.count))
        return try BinlogDirectory(path: w.directory)
    }

    static let replicaStart = FindingShape(
        .replicaStart, .info, loc(0, 0, 1), loc(7, 1278, 200), count: 200, related: FindingRange(loc(7, 1360, 201)))

    static func prefix(through last: FindingLocation, count: Int) -> FindingShape {
        FindingShape(
            .commonPrefix, .info, loc(7, 1360, 201), last, count: count,
            related: FindingRange(first: loc(7, 1360, 201), last: last))
    }

    // MARK: - Real pairs

    @Test func v350PairHasEverythingSinceTheFullSync() throws {
        let report = try BinlogDiff.diff(
            master: master, replica: try CheckFixtures.directory("slave/slave/binlog/log_db0"))
        #expect(report.findings.shapes == [Self.replicaStart, Self.prefix(through: loc(11, 56052, 300), count: 100)])
        #expect(!report.hasProblems)
        let s = report.summary
        #expect(s.alignment == .position)
        #expect((s.masterItems, s.replicaItems, s.common, s.masterBeforeReplica) == (300, 100, 100, 200))
        #expect((s.missing, s.extra, s.duplicated, s.reordered, s.unapplied) == (0, 0, 0, 0, 0))
        #expect(report.findings[0].message.contains("after full-sync padding up to 7:1360"))
        #expect(s.divergence == nil && s.divergenceItem == nil)
    }

    @Test func v4PairAlignsAlthoughLogicIDsDiffer() throws {
        // The v4.0.1 replica numbers its items 1..142; the master has them as 162..303.
        let report = try BinlogDiff.diff(
            master: try CheckFixtures.directory("v4-slave/master/binlog/log_db0"),
            replica: try CheckFixtures.directory("v4-slave/slave/binlog/log_db0"))
        #expect(
            report.findings.shapes == [
                FindingShape(
                    .replicaStart, .info, loc(0, 0, 1), loc(7, 42592, 161), count: 161,
                    related: FindingRange(loc(7, 42674, 1))),
                FindingShape(
                    .commonPrefix, .info, loc(7, 42674, 162), loc(12, 57504, 303), count: 142,
                    related: FindingRange(first: loc(7, 42674, 1), last: loc(12, 57504, 142))),
            ])
        #expect(report.summary.alignment == .position)
        #expect(!report.hasProblems)
    }

    @Test func rewrittenReplicaIsTheSame() throws {
        let report = try BinlogDiff.diff(master: master, replica: try replica(slave.items))
        #expect(report.findings.shapes == [Self.replicaStart, Self.prefix(through: loc(11, 56052, 300), count: 100)])
    }

    @Test func differentLayoutsAlignByContent() throws {
        // The replica's items logged afresh from 0:0 in one big file: no stored position matches.
        let w = try writeBinlog(slave.items, binlogFileSize: 1 << 20, mode: .producer)
        let report = try BinlogDiff.diff(master: master, replica: try BinlogDirectory(path: w.directory))
        #expect(report.summary.alignment == .content)
        #expect(
            report.findings.shapes == [
                FindingShape(
                    .replicaStart, .info, loc(0, 0, 1), loc(7, 1278, 200), count: 200,
                    related: FindingRange(loc(0, 0, 1))),
                FindingShape(
                    .commonPrefix, .info, loc(7, 1360, 201), loc(11, 56052, 300), count: 100,
                    related: FindingRange(first: loc(0, 0, 1), last: loc(0, 508165, 100))),
            ])
    }

    // MARK: - Edited replicas

    @Test func itemsMissingOnTheReplica() throws {
        var items = slave.items
        let i = try slave.index(of: 250)
        items.removeSubrange(i..<(i + 5))
        let report = try BinlogDiff.diff(master: master, replica: try replica(items))
        #expect(
            report.findings.shapes == [
                Self.replicaStart, Self.prefix(through: loc(7, 5486, 249), count: 49),
                FindingShape(
                    .missing, .error, loc(7, 5574, 250), loc(7, 5927, 254), count: 5,
                    related: FindingRange(loc(7, 5486, 249))),
            ])
        #expect(report.summary.missing == 5)
        #expect(report.summary.common == 95)
        #expect(report.summary.divergenceItem == loc(7, 5574, 250))
    }

    @Test func rangeDuplicatedOnTheReplica() throws {
        var items = slave.items
        let i = try slave.index(of: 240)
        items.insert(contentsOf: slave.items[i..<(i + 5)], at: i + 5)
        let report = try BinlogDiff.diff(master: master, replica: try replica(items))
        #expect(
            report.findings.shapes == [
                Self.replicaStart, Self.prefix(through: loc(7, 5032, 244), count: 44),
                FindingShape(
                    .duplicateRange, .error, loc(7, 5108, 240), loc(7, 5433, 244), count: 5,
                    related: FindingRange(first: loc(7, 4707, 240), last: loc(7, 5032, 244))),
            ])
        #expect(report.summary.duplicated == 5)
        #expect(report.summary.common == 100)
        // The replica's data departs where the master logged the items it applied again.
        #expect(report.summary.divergenceItem == loc(7, 4707, 240))
    }

    /// One `INCR inc:cnt` (id 208, right after another INCR of the same counter) or one `LPOP inc:l`
    /// (id 230) written once more on the replica: one repeated command says too little to call it
    /// a range applied twice, so it is a warning, not an error (issue 12.2).
    @Test(arguments: [208, 230] as [UInt64])
    func singleRepeatedCommandIsAWarning(_ id: UInt64) throws {
        var items = slave.items
        let i = try slave.index(of: id)
        items.insert(slave.items[i], at: i + 1)
        let w = try writeBinlog(
            items, binlogFileSize: slaveSize, start: fullSync, mode: .verbatim, manifestLogicID: UInt64(items.count))
        let report = try BinlogDiff.diff(master: master, replica: try BinlogDirectory(path: w.directory))
        let repeats = report.findings.filter { $0.kind == .duplicateRange }
        #expect(
            repeats.shapes == [
                FindingShape(.duplicateRange, .warning, w.location(i + 1), w.location(i + 1), count: 1, related: FindingRange(w.location(i)))
            ])
        #expect(!report.findings.contains { $0.severity == .error })
        let message = try #require(repeats.first?.message)
        #expect(message.hasPrefix("1 replica item repeats the item the replica already has at \(w.location(i))"))
        #expect(!message.contains("applied them twice"))
        #expect(report.summary.duplicated == 1)
    }

    @Test func itemTheMasterNeverLogged() throws {
        // A write made on the replica directly (replicas accept writes unless read-only).
        var items = slave.items
        let i = try slave.index(of: 260)
        var foreign = items[i]
        foreign.content = resp("SET", "written-on-the-replica", "1")
        foreign.header.contentLength = UInt32(foreign.content.count)
        items.insert(foreign, at: i + 1)
        let w = try writeBinlog(
            items, binlogFileSize: slaveSize, start: fullSync, mode: .verbatim, manifestLogicID: UInt64(items.count))
        let report = try BinlogDiff.diff(master: master, replica: try BinlogDirectory(path: w.directory))
        let at = w.location(i + 1)
        #expect(
            report.findings.shapes == [
                Self.replicaStart, Self.prefix(through: loc(7, 6458, 260), count: 60),
                FindingShape(.extra, .error, at, at, count: 1, related: FindingRange(loc(7, 6458, 260))),
            ])
        #expect(report.summary.extra == 1)
        #expect(report.summary.common == 100)
    }

    @Test func flushAppliedAheadOfTheWritesBeforeIt() throws {
        // The replica has FLUSHDB (294) before 292 and 293, which the master logged before it.
        var items = slave.items
        let i = try slave.index(of: 292)
        let flush = items.remove(at: i + 2)
        items.insert(flush, at: i)
        let report = try BinlogDiff.diff(master: master, replica: try replica(items))
        #expect(
            report.findings.shapes == [
                Self.replicaStart, Self.prefix(through: loc(11, 54819, 291), count: 91),
                FindingShape(
                    .flushReorder, .error, loc(11, 55411, 294), loc(11, 55552, 293), count: 3,
                    related: FindingRange(first: loc(11, 55411, 292), last: loc(11, 55576, 294))),
            ])
        #expect(
            report.findings[2].message.contains(
                "flushdb at master 11:55576 id=294 is at replica 11:55411 id=294 ahead of 2 items the master logged before it"
            ))
    }

    @Test func writeAppliedAfterAFlushItPreceded() throws {
        // 293 moved after FLUSHDB (294) on the replica: the write crossed the flush.
        var items = slave.items
        let i = try slave.index(of: 293)
        items.swapAt(i, i + 1)
        let report = try BinlogDiff.diff(master: master, replica: try replica(items))
        #expect(report.findings.shapes.dropFirst(2).map(\.kind) == [.flushReorder])
        #expect(report.findings.last?.count == 2)
        #expect(report.summary.reordered == 2)
    }

    @Test func rangesAppliedInAnotherOrder() throws {
        var items = slave.items
        let i = try slave.index(of: 220)
        let b = Array(items[i..<(i + 5)])
        let c = Array(items[(i + 5)..<(i + 10)])
        items.replaceSubrange(i..<(i + 10), with: c + b)
        let report = try BinlogDiff.diff(master: master, replica: try replica(items))
        #expect(
            report.findings.shapes == [
                Self.replicaStart, Self.prefix(through: loc(7, 2893, 219), count: 19),
                FindingShape(
                    .outOfOrder, .error, loc(7, 2982, 225), loc(7, 3330, 229), count: 5,
                    related: FindingRange(first: loc(7, 3435, 225), last: loc(7, 3783, 229))),
            ])
    }

    @Test func replicaStuckAfterFlushall() throws {
        // The replica's binlog ends with the flushdb logged for FLUSHALL (297).
        let items = Array(slave.items[...(try slave.index(of: 297))])
        let report = try BinlogDiff.diff(master: master, replica: try replica(items))
        #expect(
            report.findings.shapes == [
                Self.replicaStart, Self.prefix(through: loc(11, 55809, 297), count: 97),
                FindingShape(
                    .replicaStopped, .error, loc(11, 55868, 298), loc(11, 56052, 300), count: 3,
                    related: FindingRange(loc(11, 55809, 297))),
            ])
        #expect(report.findings[2].message.contains("a replica stuck right after FLUSHDB/FLUSHALL"))
        #expect(report.summary.firstUnapplied == loc(11, 55868, 298))
        #expect(report.summary.divergence == ResumePoint(fileNumber: 11, offset: 55868))
    }
}
