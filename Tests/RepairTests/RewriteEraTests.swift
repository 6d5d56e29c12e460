import BinlogFormat
import Foundation
import Testing

@testable import PikaStorage
@testable import Repair

/// Pika v2.x binlogs (bare RESP items, E2a; RESP with four affiliated arguments, E2b) rewritten:
/// the output is a v3.3+ binlog, the affiliated arguments are gone, and the relative expiries v2
/// logged as sent become absolute ones at the item's time.
@Suite struct RewriteEraTests {
    static let time: UInt32 = 1_700_000_000

    static func affiliated(_ argv: [[UInt8]], execTime: UInt32) -> [UInt8] {
        var info = [UInt8]()
        withUnsafeBytes(of: execTime.littleEndian) { info += $0 }
        withUnsafeBytes(of: UInt32(0).littleEndian) { info += $0 }
        withUnsafeBytes(of: UInt64(0).littleEndian) { info += $0 }
        return RESP.encode(argv + [Array("__PIKA_X#$SKGI".utf8), Array("7".utf8), info, Array("1".utf8)])
    }

    @Test(arguments: [false, true])
    func v2LogIsReenveloped(_ withAffiliatedArguments: Bool) throws {
        let dir = try CheckFixtures.temporaryDirectory() + "/log"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var writer = try BinlogWriter(output: try BinlogDirectoryOutput(directory: dir), binlogFileSize: 100 << 20)
        let lines = ["SET a 1", "INCR a", "EXPIRE a 100", "RPUSH l x", "SETEX s 50 v", "INCRBY a 5"]
        for (i, line) in lines.enumerated() {
            let argv = StateTest.argv(line)
            let t = Self.time + UInt32(i)
            let payload = withAffiliatedArguments ? Self.affiliated(argv, execTime: t) : RESP.encode(argv)
            try writer.appendPayload(payload, recordTimes: [t])
        }
        try writer.finish()

        let r = try RewriteTest.rewrite(dir)
        #expect(r.summary.startSource == .history)
        #expect(r.summary.count(.flagged) == 0)
        let (items, _, damage) = try RewriteTest.items(r.directory!)
        #expect(damage == 0)
        #expect(items.map { RewriteTest.text($0.arguments) } == [
            "SET a 1",
            "set a 2",
            "expireat a \(Self.time + 2 + 100)",
            "RPUSH l x", "ltrim l 0 0",
            "pksetexat s \(Self.time + 4 + 50) v",
            "pksetexat a \(Self.time + 2 + 100) 7",
        ])
        #expect(items.map(\.header.logicID) == Array(1...UInt64(items.count)))
        #expect(items[0].header.execTime == Self.time)
        #expect(try CheckFixtures.check(directory: r.directory!).findings.problems.map(\.description) == [])
    }
}
