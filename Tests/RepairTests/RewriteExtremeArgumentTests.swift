import BinlogFormat
import Foundation
import Testing

@testable import PikaStorage
@testable import Repair

/// Arguments at the ends of Int64 in the commands the rewriter reads numbers from without the
/// model (the `ltrim` cuts of the push + ltrim form, counters, pksetexat): no trap, the list and
/// counter values Redis would hold.
@Suite struct RewriteExtremeArgumentTests {
    static func binlog(_ commands: [[String]]) throws -> WrittenBinlog {
        let time: UInt32 = 1_790_000_000
        let items = commands.map { argv in
            OwnedItem(
                start: PhysicalPosition(fileNumber: 0, offset: 0), end: PhysicalPosition(fileNumber: 0, offset: 0),
                header: ItemHeader(
                    execTime: time, termOrServerID: 0, logicID: 0, stored: ResumePoint(fileNumber: 0, offset: 0),
                    contentLength: 0),
                content: RESP.encode(argv.map { Array($0.utf8) }), recordTimes: [time])
        }
        return try writeBinlog(items, binlogFileSize: 1 << 20, mode: .producer)
    }

    @Test func ltrimAtTheEndsOfInt64() throws {
        let w = try Self.binlog([
            ["rpush", "l", "a", "b", "c"], ["ltrim", "l", "0", "9223372036854775807"],
            ["rpush", "l", "d"], ["ltrim", "l", "-9223372036854775808", "-1"],
            ["rpush", "l", "e"], ["ltrim", "l", "-2", "-1"],
            ["incrby", "n", "9223372036854775807"], ["incrby", "n", "-9223372036854775808"],
        ])
        defer { try? FileManager.default.removeItem(atPath: w.directory) }
        let r = try RewriteTest.rewrite(w.directory)
        #expect(r.summary.count(.flagged) == 0)
        let out = try RewriteTest.items(r.directory!).items.map { RewriteTest.text($0.arguments) }
        // Both whole-range trims keep everything (no effect: dropped); the list ends as [d e], the
        // counter as -1.
        #expect(
            out == [
                "del l", "rpush l a b c", "del l", "rpush l a b c d", "del l", "rpush l a b c d e", "del l", "rpush l d e",
                "set n 9223372036854775807", "set n -1",
            ])
    }
}
