import BinlogFormat
import Foundation
import Testing

@testable import PikaStorage
@testable import Repair

/// `BinlogRewriter` on edited copies of the real `basic` binlog, written back with Pika's exact
/// framing: a range spliced in twice is dropped, two swapped ranges are put back in order, an
/// item written twice in a row is dropped. In each case the output is the output of the
/// unedited binlog, command for command.
@Suite struct RewriteEditedTests {
    let basic: OwnedBinlog
    let basicSize: UInt64
    /// The rewrite of the unedited binlog: its commands and exec times; and the same with every
    /// changed list written whole (what a rewrite that moves ranges writes).
    let reference: [(String, UInt32)]
    let wholeListReference: [(String, UInt32)]

    init() throws {
        basic = try OwnedBinlog("basic/binlog/log_db0")
        basicSize = try CheckFixtures.binlogFileSize("basic")
        reference = try Self.commands(RewriteTest.rewrite(CheckFixtures.path("basic/binlog/log_db0")))
        var whole = RewriteOptions()
        whole.listAppendForms = false
        wholeListReference = try Self.commands(RewriteTest.rewrite(CheckFixtures.path("basic/binlog/log_db0"), options: whole))
    }

    static func commands(_ r: RewriteTest.Result) throws -> [(String, UInt32)] {
        try RewriteTest.items(r.directory!).items.map { (RewriteTest.text($0.arguments), $0.header.execTime) }
    }

    func expectSameAsReference(
        _ r: RewriteTest.Result, wholeLists: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let got = try Self.commands(r)
        let reference = wholeLists ? wholeListReference : reference
        #expect(got.count == reference.count, sourceLocation: sourceLocation)
        let first = zip(got, reference).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(first == nil, "first difference at output item \(first?.offset ?? -1)", sourceLocation: sourceLocation)
        #expect(try CheckFixtures.check(directory: r.directory!).findings.problems.map(\.description) == [], sourceLocation: sourceLocation)
    }

    @Test func rangeSplicedInTwiceIsDropped() throws {
        var items = basic.items
        let i = try basic.index(of: 150)
        items.insert(contentsOf: basic.items[i..<(i + 10)], at: i + 10)
        let w = try writeBinlog(items, binlogFileSize: basicSize, mode: .verbatim, manifestLogicID: 388)
        let r = try RewriteTest.rewrite(w.directory)
        let dropped = r.changes(.dropped).filter { $0.reason.hasPrefix("duplicate") }
        #expect(dropped.count == 10)
        #expect(dropped.map { $0.item!.logicID } == Array(150...159))
        // The later copy goes; old positions are the copy's, the related range the original.
        #expect(dropped.first?.item?.start == w.items[i + 10].start)
        #expect(dropped.first?.related?.first == loc(3, 3349, 150))
        try expectSameAsReference(r)
    }

    @Test func twoSwappedRangesArePutBackInOrder() throws {
        var items = basic.items
        let i = try basic.index(of: 200)
        let b = Array(items[i..<(i + 5)])
        let c = Array(items[(i + 5)..<(i + 10)])
        items.replaceSubrange(i..<(i + 10), with: c + b)
        let w = try writeBinlog(items, binlogFileSize: basicSize, mode: .verbatim)
        let r = try RewriteTest.rewrite(w.directory)
        let moved = r.changes(.reordered)
        #expect(moved.map { $0.item!.logicID } == Array(200...204))
        #expect(moved.allSatisfy { $0.related?.first.logicID == 205 })
        // Old position: where the swap put them; new position: before 205 in the output.
        #expect(moved.first?.item?.start == w.items[i + 5].start)
        let newPositions = moved.compactMap { $0.written.first?.location.logicID }
        #expect(newPositions.count == 5 && newPositions == newPositions.sorted())
        // Moving ranges turns off the push + ltrim forms (they rely on the order of the log).
        try expectSameAsReference(r, wholeLists: true)
    }

    @Test func itemWrittenTwiceInARowIsDropped() throws {
        var items = basic.items
        let i = try basic.index(of: 50)
        items.insert(basic.items[i], at: i + 1)
        let w = try writeBinlog(items, binlogFileSize: basicSize, mode: .verbatim, manifestLogicID: 388)
        let r = try RewriteTest.rewrite(w.directory)
        #expect(r.changes(.dropped).filter { $0.reason.hasPrefix("repeated") }.map { $0.item!.start } == [w.items[i + 1].start])
        try expectSameAsReference(r)
    }

    /// A range repeated under new logic ids: only the content repeats. On a master that is the
    /// workload (kept, nothing said); in a v4.x replica's history it could be a range received
    /// twice, but content alone is no proof: kept, with a remark that points to diff, never to a
    /// flag that drops writes (issue 12.6).
    @Test func contentRepeatsAreNeverDropped() throws {
        var items = basic.items
        let i = try basic.index(of: 150)
        items.insert(contentsOf: basic.items[i..<(i + 10)], at: i + 10)
        let w = try writeBinlog(items, binlogFileSize: basicSize, mode: .producer)
        let kept = try RewriteTest.rewrite(w.directory)
        #expect(kept.changes(.dropped).filter { $0.reason.hasPrefix("duplicate") }.isEmpty)
        #expect(kept.summary.remarks.isEmpty)

        let replica = try OwnedBinlog("v4-slave/slave/binlog/log_db0")
        var replicaItems = replica.items
        let j = try replica.index(of: 20)
        replicaItems.insert(contentsOf: replica.items[j..<(j + 10)], at: j + 10)
        let v4 = try writeBinlog(
            replicaItems, binlogFileSize: try CheckFixtures.binlogFileSize("v4-slave/slave"),
            start: ProducerStatus(fileNumber: 7, offset: 42674), mode: .producer)
        let r = try RewriteTest.rewrite(v4.directory)
        #expect(r.changes(.dropped).filter { $0.reason.hasPrefix("duplicate") }.isEmpty)
        #expect(r.summary.remarks.count == 1)
        #expect(r.summary.remarks.first?.hasPrefix("kept: 10 items at ") == true)
        #expect(r.summary.remarks.first?.contains("--replica") == true)
        #expect(!r.summary.remarks.contains { $0.contains("--drop") })
    }

    /// A flush moved ahead of the writes before it: put back, the writes are not lost.
    @Test func flushMovedAheadOfWritesIsPutBack() throws {
        let master = try OwnedBinlog("slave/master/binlog/log_db0")
        var items = master.items
        let i = try master.index(of: 292)
        let flush = items.remove(at: i + 2)
        items.insert(flush, at: i)
        let size = try CheckFixtures.binlogFileSize("slave/master")
        let w = try writeBinlog(items, binlogFileSize: size, mode: .verbatim)
        let r = try RewriteTest.rewrite(w.directory)
        #expect(r.changes(.reordered).map { $0.item!.logicID } == [292, 293])
        var whole = RewriteOptions()
        whole.listAppendForms = false
        let reference = try Self.commands(RewriteTest.rewrite(CheckFixtures.path("slave/master/binlog/log_db0"), options: whole))
        let got = try Self.commands(r)
        #expect(got.map(\.0) == reference.map(\.0))
    }
}
