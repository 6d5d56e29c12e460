import BinlogFormat
import Foundation
@testable import PikaStorage
@testable import Repair
import Testing

extension CheckEditedTests {
    @Test func execTimeGoingBackBeyondTheTolerance() throws {
        var items = basic.items
        let i = try basic.index(of: 100)
        items[i].header.execTime -= 100
        let report = try check(try writeBinlog(items, binlogFileSize: basicSize, mode: .verbatim))
        let at = FindingLocation(basic.items[i].start, logicID: 100)
        #expect(report.findings.shapes == [FindingShape(.timeRegression, .warning, at, at, count: 1)])
        // Within the tolerance nothing is reported.
        items[i].header.execTime += 99
        #expect(try check(try writeBinlog(items, binlogFileSize: basicSize, mode: .verbatim)).findings.shapes == [])
    }

    @Test func termGoingDown() throws {
        var items = basic.items
        for k in items.indices { items[k].header.termOrServerID = items[k].logicID <= 100 ? 2 : 1 }
        let report = try check(try writeBinlog(items, binlogFileSize: basicSize, mode: .verbatim))
        let at = FindingLocation(try basic.item(101).start, logicID: 101)
        #expect(report.findings.shapes == [FindingShape(.termRegression, .warning, at, at, count: 1)])
    }

    @Test func itemWrittenTwiceInARow() throws {
        var items = basic.items
        let i = try basic.index(of: 50)
        items.insert(basic.items[i], at: i + 1)
        let w = try writeBinlog(items, binlogFileSize: basicSize, mode: .verbatim, manifestLogicID: 388)
        let report = try check(w)
        #expect(
            report.findings.shapes == [
                FindingShape(.logicIDRepeat, .error, w.location(i + 1), w.location(i + 1), count: 1)
            ])
        #expect(w.location(i + 1).logicID == 50)
    }

    @Test func anotherHistoryAppended() throws {
        // basic's first 146 items, then minsize's first 25 (logic ids from 1 again): the binlog of
        // another server continuing the directory. (Not v4-basic: its workload repeats basic's
        // commands, which the duplicate detector rightly reports.)
        let other = try OwnedBinlog("minsize/binlog/log_db0")
        let items = Array(basic.items.prefix(146)) + Array(other.items.prefix(25))
        let w = try writeBinlog(items, binlogFileSize: basicSize, mode: .verbatim, manifestLogicID: 25)
        let report = try check(w)
        #expect(
            report.findings.shapes == [
                FindingShape(.logicIDRestart, .warning, w.location(146), w.location(146), count: 1)
            ])
        #expect(w.location(146).logicID == 1)
    }

    @Test func emptyItemOfPika33() throws {
        // A failed SETNX in v3.3.0–v3.3.5: an 8-byte Full record with no payload, counted by the
        // producer; Pika's own reader stops there.
        let dir = try CheckFixtures.temporaryDirectory()
        let output = try BinlogDirectoryOutput(directory: dir)
        var writer = try BinlogWriter(output: output, binlogFileSize: basicSize)
        for item in basic.items.prefix(10) {
            _ = try writer.append(content: item.content, execTime: item.header.execTime)
        }
        let empty = try writer.appendPayload([UInt8](), recordTimes: [basic.items[9].header.execTime])
        for item in basic.items[10..<20] {
            _ = try writer.append(content: item.content, execTime: item.header.execTime)
        }
        _ = try writer.finish()
        let report = try CheckFixtures.check(directory: dir)
        // The empty item took logic id 11 (Pika's Put counts it): no gap is reported for it. The
        // manifest of a lone write2file0 with term 0 is v3 by its logic id (v2 leaves it zero).
        #expect(
            report.findings.shapes == [
                FindingShape(
                    .emptyItem, .warning, FindingLocation(empty.start), FindingLocation(empty.start), count: 1),
            ])
    }

    @Test func damagedRecordInTheMiddle() throws {
        // A record type byte of an item in write2file2 overwritten with 9 (never written by Pika).
        let dir = try CheckFixtures.copy("basic/binlog/log_db0")
        let item = try basic.item(100)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: dir + "/write2file\(item.start.fileNumber)"))
        try handle.seek(toOffset: item.start.offset + 7)
        try handle.write(contentsOf: [9])
        try handle.close()
        let report = try CheckFixtures.check(directory: dir)
        // Item 100 is lost with its record: the gap runs from 99 to 101, the damage starts at 100.
        let before = FindingLocation(try basic.item(99).start, logicID: 99)
        let after = FindingLocation(try basic.item(101).start, logicID: 101)
        #expect(
            report.findings.shapes == [
                FindingShape(.logicIDGap, .error, before, after, count: 1),
                FindingShape(.damage, .error, FindingLocation(item.start), FindingLocation(item.start), count: 1),
            ])
        #expect(report.findings[1].message.contains("record type 9 is never written by Pika"))
    }

    @Test func tolerancesAndWindowAreConfigurable() throws {
        var items = basic.items
        let i = try basic.index(of: 150)
        items.insert(contentsOf: basic.items[i..<(i + 3)], at: i + 3)
        let w = try writeBinlog(items, binlogFileSize: basicSize, mode: .producer)
        var configuration = CheckConfiguration()
        #expect(try CheckFixtures.check(directory: w.directory, configuration: configuration).findings.count == 1)
        configuration.minimumDuplicateRun = 4
        #expect(try CheckFixtures.check(directory: w.directory, configuration: configuration).findings.isEmpty)
    }

    func writeManifest(_ m: Manifest, to dir: String) throws {
        try Data(m.encoded()).write(to: URL(fileURLWithPath: dir + "/manifest"))
    }
}
