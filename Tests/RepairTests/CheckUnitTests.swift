import BinlogFormat
import Foundation
import Testing

@testable import PikaStorage
@testable import Repair

/// The pieces the checker is built from.
@Suite struct CheckUnitTests {
    @Test func contentHashIsStable() {
        // Pinned so that a change of the function is deliberate (nothing persists these values).
        let values = ["", "a", "abc", "*2\r\n$4\r\nINCR\r\n$3\r\ncnt\r\n"].map { ContentHash.hash(Array($0.utf8)) }
        #expect(Set(values).count == 4)
        #expect(values.allSatisfy { $0 != 0 })
        #expect(
            values == [
                2_302_960_717_771_869_484, 1_697_876_455_519_419_181, 1_717_417_491_837_486_027,
                14_475_056_720_365_486_729,
            ])
    }

    @Test func contentHashCoversEveryLengthAndByte() {
        // Lengths around the 32-byte stripes, 8- and 4-byte tails; every byte matters.
        var seen = Set<UInt64>()
        for n in 0..<80 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            #expect(seen.insert(ContentHash.hash(bytes)).inserted)
            for i in 0..<n {
                var flipped = bytes
                flipped[i] ^= 0x01
                #expect(ContentHash.hash(flipped) != ContentHash.hash(bytes))
            }
        }
    }

    /// `produceEnd` agrees with the writer for start offsets near a block end, including the
    /// trailer (1–7 bytes left) and the zero-length First record (exactly 8 bytes left). A filler
    /// item of `start - 8` bytes puts the producer at `start` (or past it, for the multi-block one).
    @Test(arguments: [1, 34, 65_000, 65_528, 65_529, 70_000, 200_000])
    func produceEndMatchesTheWriter(_ payload: Int) throws {
        for start in [0, 100, 65_520, 65_527, 65_528, 65_529, 65_530, 65_535, 131_000] as [UInt64] {
            let output = BinlogMemoryOutput()
            var writer = try BinlogWriter(output: output, binlogFileSize: 1 << 30)
            if start > 0 {
                _ = try writer.appendPayload([UInt8](repeating: 0x2A, count: Int(start) - 8), recordTimes: [1])
            }
            let before = writer.producer.offset
            let item = try writer.appendPayload([UInt8](repeating: 0x41, count: payload), recordTimes: [1])
            #expect(ItemGeometry.produceEnd(from: before, payloadLength: payload) == item.end.offset, "start \(before)")
            _ = try writer.finish()
        }
    }

    @Test func duplicateRunsNeedAnEarlierRunThatEndsFirst() {
        func runs(_ hashes: [UInt64], minimum: Int = 3) -> [DuplicateRun] {
            var d = DuplicateRunDetector(window: RecentItemWindow(capacity: 64), minimumRun: minimum)
            var found: [DuplicateRun] = []
            for (i, h) in hashes.enumerated() {
                if d.add(hash: h, location: FindingLocation(fileNumber: 0, offset: UInt64(i))), let r = d.closed {
                    found.append(r)
                }
            }
            if let r = d.finish() { found.append(r) }
            return found
        }
        // 1 2 3 4 | 2 3 4 | 9: the repeat of 2..4 is one run, related to the first 2..4.
        let r = runs([1, 2, 3, 4, 2, 3, 4, 9])
        #expect(r.count == 1)
        #expect(r.first?.count == 3)
        #expect(r.first?.later == FindingRange(first: loc(0, 4), last: loc(0, 6)))
        #expect(r.first?.earlier == FindingRange(first: loc(0, 1), last: loc(0, 3)))
        // One command repeated (INCR in a loop) is not a duplicated range.
        #expect(runs(Array(repeating: 7, count: 50)).isEmpty)
        // A two-command loop is shorter than the default minimum run.
        #expect(runs([5, 6, 5, 6, 5, 6]).isEmpty)
        // Backwards extension: the first repeated item is common elsewhere (7), the run still
        // starts with it.
        let back = runs([7, 1, 7, 2, 3, 8, 7, 2, 3, 9])
        #expect(back.map(\.later) == [FindingRange(first: loc(0, 6), last: loc(0, 8))])
        #expect(back.map(\.earlier) == [FindingRange(first: loc(0, 2), last: loc(0, 4))])
    }

    @Test func windowForgetsOldItemsButStaysBounded() {
        let w = RecentItemWindow(capacity: 16, indexSlots: 16)
        for i in 0..<100 {
            w.append(
                .init(
                    hash: UInt64(i) &* 0x9E37_79B9_7F4A_7C15, offset: UInt64(i), logicID: 0, fileNumber: 0,
                    hasLogicID: false))
        }
        #expect(w.mostRecent(UInt64(99) &* 0x9E37_79B9_7F4A_7C15) == 99)
        #expect(w.mostRecent(UInt64(10) &* 0x9E37_79B9_7F4A_7C15) == nil)
        #expect(w.oldest == 84)
    }

    @Test func logicIDSequenceClassifiesSteps() {
        var s = LogicIDSequence()
        let l = loc(0, 0)
        #expect(s.step(1, at: l, previousLocation: nil) == .first)
        #expect(s.step(2, at: l, previousLocation: l) == .next)
        #expect(s.step(6, at: l, previousLocation: l) == .jump(low: 3, high: 5))
        #expect(s.step(3, at: l, previousLocation: l) == .fill(gapAfter: l))
        #expect(s.step(3, at: l, previousLocation: l) == .repeated)
        #expect(s.step(2, at: l, previousLocation: l) == .regression)
        #expect(s.step(1, at: l, previousLocation: l) == .restart)
        s.finish()
        #expect(s.closedGaps.map { $0.missing } == [2])
    }

    @Test(arguments: [
        ("1795227949", false), ("2147483646", false), ("2147483647", true), ("1795227949123", true), ("0", false),
        ("00000000001795227949", false), ("abc", false), ("", false),
    ])
    func pksetexatTimestampBound(_ text: String, _ rejected: Bool) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { ReplicaApplyRule.timestampOverflowsInt32($0) } == rejected)
    }

    @Test func rulesApplyByCommandNameIgnoringCase() throws {
        /// Writes one item and asks the rule table about its decoded command.
        func match(_ args: String...) throws -> Int? {
            let output = BinlogMemoryOutput()
            var writer = try BinlogWriter(output: output, binlogFileSize: 1 << 20)
            _ = try writer.append(content: RESP.encode(args.map { Array($0.utf8) }), execTime: 1)
            _ = try writer.finish()
            var decoder = BinlogFileDecoder(source: MemorySource(output[0]!), fileNumber: 0)
            guard case .item(let item)? = try decoder.next() else { return nil }
            return ReplicaApplyRule.firstMatch(item.command)
        }
        #expect(try match("PKSETEXAT", "k", "1795227949123", "v") == 0)
        #expect(try match("pksetexat", "k", "1795227949", "v") == nil)
        #expect(try match("set", "k", "1795227949123") == nil)
    }
}
