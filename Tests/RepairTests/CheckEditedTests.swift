import BinlogFormat
import Foundation
@testable import PikaStorage
@testable import Repair
import Testing

/// `check` on real binlogs edited the ways binlogs go wrong. Edited item lists are written back with
/// ``BinlogWriter`` (Pika's exact framing): `.verbatim` keeps every item's original header, as bytes
/// copied around or a v3.0–v3.5.1 replica writing the master's items would; `.producer` computes
/// headers afresh, as a master or a v3.5.2+ replica does.
@Suite struct CheckEditedTests {
    let basic: OwnedBinlog
    let basicSize: UInt64

    init() throws {
        basic = try OwnedBinlog("basic/binlog/log_db0")
        basicSize = try CheckFixtures.binlogFileSize("basic")
    }

    func check(_ w: WrittenBinlog) throws -> CheckReport {
        try CheckFixtures.check(directory: w.directory)
    }

    @Test func rewrittenUnchangedIsStillClean() throws {
        let w = try writeBinlog(basic.items, binlogFileSize: basicSize, mode: .verbatim)
        // Byte for byte the original layout: the same positions as Pika wrote.
        #expect(w.items.map(\.start) == basic.items.map(\.start))
        #expect(try check(w).findings.shapes == [])
    }

    @Test func rangeSplicedInTwiceWithItsHeaders() throws {
        // Items 150..159 (in write2file3) written a second time right after themselves.
        var items = basic.items
        let i = try basic.index(of: 150)
        items.insert(contentsOf: basic.items[i..<(i + 10)], at: i + 10)
        let w = try writeBinlog(items, binlogFileSize: basicSize, mode: .verbatim, manifestLogicID: 388)
        let report = try check(w)
        // One finding: the copy, with the original as related. The chain break, the logic-id
        // regression and the shift of every later item are folded into it.
        #expect(
            report.findings.shapes == [
                FindingShape(
                    .duplicateRange, .error, loc(3, 17568, 150), loc(3, 31611, 159), count: 10,
                    related: FindingRange(first: loc(3, 3349, 150), last: loc(3, 17392, 159)))
            ])
        #expect(w.location(i + 10) == loc(3, 17568, 150))
        #expect(basic.items[i].start == PhysicalPosition(fileNumber: 3, offset: 3349))
        let message = report.findings[0].message
        #expect(message.contains("written a second time, headers included"))
        #expect(message.contains("their logic ids repeat"))
        #expect(message.contains("its stored positions break the chain"))
    }

    @Test func contentRepeatOnAMasterIsTheWorkloadsInfo() throws {
        // The same splice logged afresh on a master (positions and logic ids continue): a master
        // gives every item its own header, so only the workload repeats content like this.
        var items = basic.items
        let i = try basic.index(of: 150)
        items.insert(contentsOf: basic.items[i..<(i + 10)], at: i + 10)
        let report = try check(try writeBinlog(items, binlogFileSize: basicSize, mode: .producer))
        #expect(
            report.findings.shapes == [
                FindingShape(
                    .duplicateRange, .info, loc(3, 17568, 160), loc(3, 31611, 169), count: 10,
                    related: FindingRange(first: loc(3, 3349, 150), last: loc(3, 17392, 159)))
            ])
        #expect(!report.hasProblems)
        #expect(report.findings[0].message.contains("the workload repeating itself"))
    }

    @Test func rangeReceivedTwiceByAV4ReplicaThatNumbersItsOwnItems() throws {
        // The real v4.0.1 replica (full-sync padding to 7:42674, then its own ids from 1), with
        // items 20..29 received a second time and logged afresh, as `Binlog::Put` does in 4.x.
        let replica = try OwnedBinlog("v4-slave/slave/binlog/log_db0")
        let size = try CheckFixtures.binlogFileSize("v4-slave/slave")
        var items = replica.items
        let i = try replica.index(of: 20)
        items.insert(contentsOf: replica.items[i..<(i + 10)], at: i + 10)
        let w = try writeBinlog(
            items, binlogFileSize: size, start: ProducerStatus(fileNumber: 7, offset: 42674), mode: .producer)
        let report = try check(w)
        let duplicates = report.findings.filter { $0.kind == .duplicateRange }
        #expect(
            duplicates.shapes == [
                FindingShape(
                    .duplicateRange, .warning, w.location(i + 10), w.location(i + 19), count: 10,
                    related: FindingRange(first: w.location(i), last: w.location(i + 9)))
            ])
        #expect(w.location(i + 10).logicID == 30 && w.location(i).logicID == 20)
        #expect(duplicates.first?.message.contains("reset by a full sync at 7:42674") == true)
        // The same repeat in a v3.5.0 replica's log, whose items keep the master's ids (201.. here
        // after a full sync) and headers: a range received twice would repeat them, so a content
        // repeat under new ids is the workload's.
        let v3 = try OwnedBinlog("slave/slave/binlog/log_db0")
        var v3Items = v3.items
        let j = try v3.index(of: 220)
        v3Items.insert(contentsOf: v3.items[j..<(j + 10)], at: j + 10)
        let w3 = try writeBinlog(
            v3Items, binlogFileSize: try CheckFixtures.binlogFileSize("slave/slave"),
            start: ProducerStatus(fileNumber: 7, offset: 1360, logicID: 200), mode: .producer)
        let v3Report = try check(w3)
        #expect(v3Report.findings.filter { $0.kind == .duplicateRange }.map(\.severity) == [.info])
    }

    @Test func twoRangesSwapped() throws {
        // 200..204 and 205..209 change places.
        var items = basic.items
        let i = try basic.index(of: 200)
        let b = Array(items[i..<(i + 5)])
        let c = Array(items[(i + 5)..<(i + 10)])
        items.replaceSubrange(i..<(i + 10), with: c + b)
        let report = try check(try writeBinlog(items, binlogFileSize: basicSize, mode: .verbatim))
        #expect(
            report.findings.shapes == [
                FindingShape(
                    .outOfOrder, .error, loc(3, 69826, 200), loc(3, 73470, 204), count: 5,
                    related: FindingRange(first: loc(3, 59289, 205), last: loc(3, 61738, 209)))
            ])
        #expect(!report.findings[0].message.contains("FLUSH"))
    }

    @Test func itemsDropped() throws {
        var items = basic.items
        let i = try basic.index(of: 300)
        items.removeSubrange(i..<(i + 5))
        let report = try check(try writeBinlog(items, binlogFileSize: basicSize, mode: .verbatim, manifestLogicID: 388))
        // From the item before the hole to the item after it; the count is the ids lost.
        #expect(
            report.findings.shapes == [FindingShape(.logicIDGap, .error, loc(5, 869, 299), loc(5, 1046, 305), count: 5)]
        )
        #expect(report.findings[0].message.hasPrefix("logic ids 300..304 never appear"))
    }

    @Test func flushMovedAheadOfWrites() throws {
        // slave/master: 292 and 293 are written before FLUSHDB (294); move the flush ahead of them.
        let master = try OwnedBinlog("slave/master/binlog/log_db0")
        var items = master.items
        let i = try master.index(of: 292)
        let flush = items.remove(at: i + 2)
        items.insert(flush, at: i)
        let w = try writeBinlog(
            items, binlogFileSize: try CheckFixtures.binlogFileSize("slave/master"), mode: .verbatim)
        let report = try check(w)
        #expect(
            report.findings.shapes == [
                FindingShape(.flush, .info, loc(11, 55411, 294), loc(11, 55411, 294), count: 1),
                FindingShape(
                    .outOfOrder, .error, loc(11, 55470, 292), loc(11, 55552, 293), count: 2,
                    related: FindingRange(loc(11, 55411, 294))),
                FindingShape(.flush, .info, loc(11, 55809, 297), loc(11, 55809, 297), count: 1),
            ])
        #expect(report.findings[1].message.contains("a FLUSHDB/FLUSHALL is among the items moved across each other"))
    }

    @Test func fileRenamedToLeaveAGap() throws {
        let dir = try CheckFixtures.copy("basic/binlog/log_db0")
        try FileManager.default.moveItem(atPath: dir + "/write2file6", toPath: dir + "/write2file8")
        let report = try CheckFixtures.check(directory: dir)
        #expect(
            report.findings.shapes == [
                FindingShape(.manifestFileMissing, .error, nil, nil, count: 0),
                FindingShape(.fileGap, .warning, loc(5, 130636, 357), loc(8, 0, 358), count: 0),
                FindingShape(.fileAboveManifest, .warning, loc(8, 0, 358), loc(8, 70457, 388), count: 31),
                FindingShape(.positionSkew, .warning, loc(8, 8089, 359), loc(8, 70457, 388), count: 30),
            ])
        #expect(report.findings[0].message.contains("write2file8 holds items that say they belong to write2file6"))
        #expect(report.findings[1].message.contains("no item is lost"))
        #expect(report.findings[2].message.contains("it is that file under another name"))
    }

    @Test func fileDeletedFromTheMiddle() throws {
        let dir = try CheckFixtures.copy("basic/binlog/log_db0")
        try FileManager.default.removeItem(atPath: dir + "/write2file3")
        let report = try CheckFixtures.check(directory: dir)
        // The chain break and the logic-id jump at write2file4 are reported with the gap.
        #expect(
            report.findings.shapes == [FindingShape(.fileGap, .error, loc(2, 123381, 146), loc(4, 0, 228), count: 81)])
        #expect(report.findings[0].message.contains("logic ids 147..227 (81 items) were in them"))
    }

    @Test func manifestRolledBackToAnEarlierFile() throws {
        let dir = try CheckFixtures.copy("basic/binlog/log_db0")
        try writeManifest(Manifest(fileNumber: 5, offset: 131232, logicID: 357, term: 0), to: dir)
        let report = try CheckFixtures.check(directory: dir)
        #expect(
            report.findings.shapes == [
                FindingShape(.fileAboveManifest, .warning, loc(6, 0, 358), loc(6, 70457, 388), count: 31),
                FindingShape(.manifestLags, .error, loc(6, 0, 358), loc(6, 70457, 388), count: 31),
            ])
        let corrected = ProducerStatus(fileNumber: 6, offset: 70544, logicID: 388, term: 0)
        #expect(report.findings[1].correctedManifest == corrected)
        #expect(report.summary.correctedManifest == corrected)
        #expect(report.findings[1].message.contains("the end of the item at 5:130636 id=357"))
    }

    @Test func manifestRolledBackInsideTheLastFile() throws {
        // The point where the first server session of `basic` ended (logic id 380).
        let dir = try CheckFixtures.copy("basic/binlog/log_db0")
        try writeManifest(Manifest(fileNumber: 6, offset: 69897, logicID: 380, term: 0), to: dir)
        let report = try CheckFixtures.check(directory: dir)
        #expect(
            report.findings.shapes == [
                FindingShape(.manifestLags, .error, loc(6, 69897, 381), loc(6, 70457, 388), count: 8)
            ])
        #expect(report.summary.correctedManifest == ProducerStatus(fileNumber: 6, offset: 70544, logicID: 388, term: 0))
    }

    /// A live binlog: the server wrote items 381…388 and moved its manifest while check read the
    /// files, so the manifest read first trails the items. Read again at the end, it covers them:
    /// the binlog is being written (info), not a rolled-back manifest. Not read again, or not
    /// moved, the same bytes stay the error above.
    @Test func aManifestThatMovedWhileReadingIsALiveBinlog() throws {
        let dir = try CheckFixtures.copy("basic/binlog/log_db0")
        try writeManifest(Manifest(fileNumber: 6, offset: 69897, logicID: 380, term: 0), to: dir)
        let directory = try BinlogDirectory(path: dir)
        var checker = BinlogChecker(directory: directory)
        var stream = BinlogDiff.stream(of: directory)
        try checker.add(contentsOf: &stream)
        // The server saves its manifest after the last item.
        try writeManifest(Manifest(fileNumber: 6, offset: 70544, logicID: 388, term: 0), to: dir)
        checker.manifestAtEnd = directory.manifest?.readAgain()
        #expect(checker.manifestAtEnd?.producer == ResumePoint(fileNumber: 6, offset: 70544))
        let report = checker.finish()
        #expect(report.findings.shapes == [FindingShape(.manifestMoved, .info, loc(6, 70457, 388), loc(6, 70457, 388), count: 0)])
        #expect(report.findings[0].message.contains("moved from 6:69897 to 6:70544"))
        #expect(report.summary.correctedManifest == nil)
    }

    @Test func manifestNamingTheNextEmptyFileIsTheSamePoint() throws {
        // Right after a roll Pika has created write2file7 and written (7, 0) (Docs/Format.md §S3).
        let dir = try CheckFixtures.copy("basic/binlog/log_db0")
        _ = FileManager.default.createFile(atPath: dir + "/write2file7", contents: Data())
        try writeManifest(Manifest(fileNumber: 7, offset: 0, logicID: 388, term: 0), to: dir)
        let report = try CheckFixtures.check(directory: dir)
        #expect(
            report.findings.shapes == [
                FindingShape(.manifestNextFile, .info, loc(6, 70457, 388), loc(6, 70457, 388), count: 0)
            ])
        #expect(!report.hasProblems)
    }

    @Test func crashTruncatedLastFile() throws {
        // The killed master's live file cut inside its last item (big:3, from 1:307885).
        let dir = try CheckFixtures.copy("crash/binlog/log_db0")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/write2file1"))
        try handle.truncate(atOffset: 600_000)
        try handle.close()
        let report = try CheckFixtures.check(directory: dir)
        #expect(
            report.findings.shapes == [
                FindingShape(.manifestLeads, .error, loc(1, 0, 202), loc(1, 0, 202), count: 0),
                FindingShape(.tornTail, .warning, loc(1, 307885), loc(1, 307885), count: 1),
            ])
        #expect(report.findings[1].byteCount == 292_115)
        #expect(
            report.findings[0].correctedManifest == ProducerStatus(fileNumber: 1, offset: 307885, logicID: 202, term: 0)
        )
    }

    /// The killed master's live file (4 MiB, zero after the producer offset) with its last item
    /// (big:3, 1:307885..615216) caught mid-copy: its records are framed, but its bytes from 600000
    /// on are still the preallocation's zeros, and the manifest holds the point before it, as Pika
    /// saves it after the append. A torn in-flight tail, not damage (issue 12.4).
    @Test func itemCaughtMidWriteInThePreallocatedFileIsATornTail() throws {
        let dir = try CheckFixtures.copy("crash/binlog/log_db0")
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: dir + "/write2file1"))
        try handle.seek(toOffset: 600_000)
        try handle.write(contentsOf: Data(count: 615_216 - 600_000))
        try handle.close()
        try writeManifest(Manifest(fileNumber: 1, offset: 307885, logicID: 202, term: 0), to: dir)
        let report = try CheckFixtures.check(directory: dir)
        #expect(
            report.findings.shapes == [
                FindingShape(.tornTail, .warning, loc(1, 307885), loc(1, 307885), count: 1),
                FindingShape(.zeroTail, .info, loc(1, 615216), loc(1, 615216), count: 1),
            ])
        #expect(report.findings[0].byteCount == 307_331)
        #expect(report.findings[0].message.contains("runs into the zero-filled rest of the live file"))
        #expect(report.findings[0].message.contains("the manifest does not count it"))
        #expect(report.summary.lastItem == loc(1, 0, 202))

        // The same item with its closing CRLF overwritten instead: damage, not an unfinished write.
        let flipped = try CheckFixtures.copy("crash/binlog/log_db0")
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: flipped + "/write2file1"))
        try h.seek(toOffset: 615_214)
        try h.write(contentsOf: Data("XY".utf8))
        try h.close()
        let damaged = try CheckFixtures.check(directory: flipped)
        #expect(damaged.findings.shapes.contains(FindingShape(.damage, .error, loc(1, 307885), loc(1, 307885), count: 1)))
        #expect(!damaged.findings.contains { $0.kind == .tornTail })
    }

    @Test func v4PsetexMillisecondItemIsGradedByTheReplicaVersion() throws {
        // What v4.0.1 logs for `PSETEX str:px 123 v-px`, in place of item 4.
        let v4 = try OwnedBinlog("v4-basic/binlog/log_db0")
        var items = v4.items
        items[try v4.index(of: 4)].content = resp("pksetexat", "str:px", "1795227949123", "v-px")
        let w = try writeBinlog(items, binlogFileSize: try CheckFixtures.binlogFileSize("v4-basic"), mode: .producer)
        // A master alone: clean, the item noted with the releases that reject it.
        let alone = try check(w)
        #expect(
            alone.findings.shapes == [
                FindingShape(.replicaCannotApply, .info, loc(0, 295, 4), loc(0, 295, 4), count: 1)
            ])
        #expect(!alone.hasProblems)
        #expect(alone.findings[0].rule == "pksetexat-milliseconds")
        #expect(alone.findings[0].versions == "replicas of Pika 3.0.8–4.0.1 (v4.0.1 masters write it for PSETEX)")
        #expect(alone.findings[0].message.hasPrefix("`pksetexat str:px 1795227949123 v-px`"))
        #expect(alone.findings[0].message.contains("replicas of Pika 3.0.8–4.0.1 cannot apply it"))
        #expect(alone.findings[0].message.contains("--replica-version"))

        // Asked about 4.0.1 replicas: a warning that says which release fails and why.
        var asked = CheckConfiguration()
        asked.replicaVersion = PikaRelease("4.0.1")
        let v401 = try CheckFixtures.check(directory: w.directory, configuration: asked)
        #expect(
            v401.findings.shapes == [
                FindingShape(.replicaCannotApply, .warning, loc(0, 295, 4), loc(0, 295, 4), count: 1)
            ])
        #expect(
            v401.findings[0].message.contains(
                "a replica running Pika 4.0.1 cannot apply it: it parses the time as seconds and rejects values >= 2147483647"))

        // A release outside those Pika's source shows rejecting it stays info.
        asked.replicaVersion = PikaRelease("v3.0.7")
        let old = try CheckFixtures.check(directory: w.directory, configuration: asked)
        #expect(old.findings.map(\.severity) == [.info])
        #expect(old.findings[0].message.contains("a replica running Pika 3.0.7 is not known to reject it"))
    }

    @Test func pikaReleasesParseAndOrder() {
        #expect(PikaRelease("4.0.1") == PikaRelease(4, 0, 1))
        #expect(PikaRelease("v3.5.3-alpha") == PikaRelease(3, 5, 3))
        #expect(PikaRelease("3.5") == nil)
        #expect(PikaRelease("4.0.x") == nil)
        #expect(PikaRelease(3, 5, 10) > PikaRelease(3, 5, 9))
    }
}
