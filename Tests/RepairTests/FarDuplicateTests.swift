import BinlogFormat
import Foundation
import Testing

@testable import PikaStorage
@testable import Repair

/// A range written a second time long after the original (a replica that resumed from a much older
/// offset): `check` reports it as one duplicate range and `rewrite` drops exactly that copy, up to
/// the duplicate window (2^18 items by default).
@Suite struct FarDuplicateTests {
    /// `count` distinct SETs (with INCRs among them, so that replaying twice is not harmless),
    /// written with Pika's framing, read back as items.
    static func history(_ count: Int) throws -> OwnedBinlog {
        var items: [OwnedItem] = []
        items.reserveCapacity(count)
        let time: UInt32 = 1_790_000_000
        for n in 0..<count {
            let content = n % 7 == 3 ? resp("INCR", "counter:\(n % 50)") : resp("SET", "key:\(n)", "value-\(n)")
            items.append(
                OwnedItem(
                    start: PhysicalPosition(fileNumber: 0, offset: 0), end: PhysicalPosition(fileNumber: 0, offset: 0),
                    header: ItemHeader(execTime: time, termOrServerID: 0, logicID: 0, stored: ResumePoint(fileNumber: 0, offset: 0), contentLength: 0), content: content, recordTimes: [time]))
        }
        let written = try writeBinlog(items, binlogFileSize: 64 << 20, mode: .producer)
        defer { try? FileManager.default.removeItem(atPath: written.directory) }
        return try OwnedBinlog(directory: written.directory)
    }

    @Test(arguments: [1_000, 20_000, 100_000, 250_000])
    func rangeRepeatedFarBackIsOneDuplicate(_ distance: Int) throws {
        let base = try Self.history(distance + 2_000)
        var items = base.items
        // The 200 items from logic id 1001 on, written again (headers included) after `distance` items.
        let copy = Array(items[1_000..<1_200])
        items.insert(contentsOf: copy, at: 1_000 + distance)
        let w = try writeBinlog(items, binlogFileSize: 64 << 20, mode: .verbatim)
        defer { try? FileManager.default.removeItem(atPath: w.directory) }

        let report = try CheckFixtures.check(directory: w.directory)
        let duplicates = report.findings.filter { $0.kind == .duplicateRange }
        #expect(duplicates.count == 1, "\(report.findings.map(\.description))")

        let d = try #require(duplicates.first)
        #expect(d.severity == .error)
        #expect(d.count == 200)
        #expect(d.first == FindingLocation(w.items[1_000 + distance].start, logicID: 1_001))
        #expect(d.last == FindingLocation(w.items[1_000 + distance + 199].start, logicID: 1_200))
        #expect(d.related?.first == FindingLocation(w.items[1_000].start, logicID: 1_001))
        #expect(d.related?.last == FindingLocation(w.items[1_199].start, logicID: 1_200))

        // rewrite drops the copy, nothing else: the INCRs in it are not applied twice.
        let r = try RewriteTest.rewrite(w.directory)
        let dropped = r.changes(.dropped)
        #expect(dropped.count == 200)
        #expect(dropped.allSatisfy { $0.reason.hasPrefix("duplicate") })
        #expect(dropped.map { $0.item!.logicID } == Array(1_001...1_200))
        #expect(dropped.first?.item?.start == w.items[1_000 + distance].start)
        let out = try RewriteTest.items(r.directory!).items
        #expect(out.count == distance + 2_000)
        #expect(out.map(\.header.logicID) == Array(1...UInt64(distance + 2_000)))
    }
}
