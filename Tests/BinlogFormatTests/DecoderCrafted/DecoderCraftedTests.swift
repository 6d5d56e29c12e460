import BinlogFormat
import TestSupport
import Testing

// Crafted byte streams fed to `BinlogFileDecoder`: framing at every block position, every damage
// kind with the items around it, zero regions, start offsets, and a seeded fuzz run.
//
// The bytes are framed by `CraftWriter` (CraftSupport.swift), a deliberately tiny copy of Pika's
// `Binlog::Produce` (Docs/Format.md §B4) that does not use the library's own framing.
// Helpers are prefixed `Craft`/`crafted` to stay clear of other suites in this module.
// This file: framing; the damage kinds, zero regions, start offsets, survival and the fuzz run
// are in DecoderCraftedTests+*.swift.

@Suite struct DecoderCraftedTests {
    /// Item A ends `gap` bytes before the end of block 0; item B (67 bytes) follows as Pika writes it.
    @Test(arguments: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 74, 75, 76, 100, 65_000])
    func itemEndingNearABlockEnd(gap: Int) throws {
        var w = CraftWriter()
        w.tickPerFragment = true
        let a = w.fill(leaving: gap, logicID: 1)
        let b = w.item(Craft.e3(["set", "key", "value"], logicID: 2))
        let c = w.item(Craft.e3(["del", "key"], logicID: 3))
        #expect(a.end == 65_536 - gap)
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, b, c])

        // What Pika's writer does, stated by hand rather than through CraftWriter.
        let bItem = try #require(b.item)
        #expect(bItem.payloadCount == 67)
        switch gap {
        case 0:
            #expect(bItem.start == 65_536 && bItem.fragments == 1 && bItem.end == 65_536 + 75)
        case 1...7:
            // A trailer of `gap` zero bytes; B starts the next block.
            #expect(Array(w.bytes[(65_536 - gap)..<65_536]) == [UInt8](repeating: 0, count: gap))
            #expect(bItem.start == 65_536 && bItem.fragments == 1 && bItem.end == 65_536 + 75)
        case 8:
            // A zero-length First record fills the last 8 bytes; the item starts there.
            #expect(Array(w.bytes[65_528..<65_536]) == Craft.header(length: 0, time: bItem.times[0], type: 2))
            #expect(bItem.start == 65_528 && bItem.fragments == 2 && bItem.end == 65_536 + 75)
            #expect(bItem.times == [Craft.time + 1, Craft.time + 2])
        case 9...74:
            // First with gap − 8 bytes, Last with the rest.
            #expect(bItem.start == 65_536 - gap && bItem.fragments == 2)
            #expect(bItem.end == 65_536 + 8 + (67 - (gap - 8)))
        default:
            #expect(bItem.start == 65_536 - gap && bItem.fragments == 1 && bItem.end == 65_536 - gap + 75)
        }
        // A trailer after A (gap 1–7), or after B when B ends 1 byte before the block end (gap 76).
        #expect(w.trailers == ((1...7).contains(gap) || gap == 76 ? 1 : 0))
        #expect(d.trailerCount == w.trailers)
        #expect(d.trailerBytes == UInt64((1...7).contains(gap) ? gap : gap == 76 ? 1 : 0))
        #expect(d.bytesConsumed == UInt64(w.count))
    }

    struct Span: Sendable, CustomTestStringConvertible {
        var payload: Int
        var fragments: Int
        var end: Int
        var testDescription: String { "\(payload) bytes, \(fragments) fragments" }
    }

    /// Item M starts at 108 (after a 100-byte item), so its First carries 65 420 bytes.
    @Test(arguments: [
        Span(payload: 65_420, fragments: 1, end: 65_536),
        Span(payload: 65_421, fragments: 2, end: 65_536 + 9),
        Span(payload: 65_420 + 65_528, fragments: 2, end: 131_072),
        Span(payload: 65_420 + 65_528 + 1, fragments: 3, end: 131_072 + 9),
        Span(payload: 65_420 + 2 * 65_528 - 1, fragments: 3, end: 196_608 - 1),
        Span(payload: 65_420 + 3 * 65_528 + 500, fragments: 5, end: 262_144 + 508),
        // More than 16 fragments (the decoder's initial time buffer) and more than one 1 MiB chunk.
        Span(payload: 65_420 + 20 * 65_528 + 1_000, fragments: 22, end: 21 * 65_536 + 1_008),
    ])
    func itemSpanningBlocks(_ s: Span) throws {
        var w = CraftWriter()
        w.tickPerFragment = true
        let a = w.item(Craft.e3(size: 100, logicID: 1))
        let m = w.item(Craft.e3(size: s.payload, logicID: 2))
        let c = w.item(Craft.e3(["ping"], logicID: 3))
        let mItem = try #require(m.item)
        #expect(mItem.start == 108 && mItem.fragments == s.fragments && mItem.end == s.end)
        #expect(mItem.times == (0..<s.fragments).map { Craft.time + 1 + UInt32($0) })
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, m, c])
        #expect(d.trailerCount == w.trailers)
    }

    /// Several MiB of items of every size class: many trailers, zero-length Firsts, block-filling
    /// Full records and items crossing the decoder's 1 MiB chunk boundaries.
    @Test func manyItemsAcrossChunks() throws {
        var w = CraftWriter()
        w.tickPerFragment = true
        var expected: [CraftedRecord] = []
        var rng = SplitMix64(seed: 7)
        var logic: UInt64 = 1
        while w.count < 3 * 1_048_576 + 12_345 {
            let inBlock = w.count % Craft.block
            let r = rng.below(100)
            if r < 10 && inBlock < 60_000 {
                // Force a trailer of 1–8 bytes (8 = zero-length First next).
                expected.append(w.fill(leaving: 1 + rng.below(8), logicID: logic))
            } else if r < 15 && inBlock < 60_000 {
                expected.append(w.fill(leaving: 0, logicID: logic))
            } else if r < 25 {
                expected.append(w.item(Craft.e3(size: 60 + rng.below(300_000), logicID: logic)))
            } else {
                expected.append(w.item(Craft.e3(size: 60 + rng.below(2_000), logicID: logic)))
            }
            logic += 1
        }
        let d = try craftedDecode(w.bytes)
        #expect(d.records.count == expected.count)
        #expect(d.records == expected)
        for (x, y) in zip(d.records, expected) where x != y {
            Issue.record("first difference: \(x) vs \(y)")
            break
        }
        #expect(w.trailers >= 10)
        #expect(d.trailerCount == w.trailers)
        #expect(d.trailerBytes == UInt64(w.trailerBytes))
        #expect(expected.contains { $0.item.map { $0.start % Craft.block == 65_528 } ?? false })
    }

    /// Binary arguments: CR, LF, NUL, `*`, `$` and every byte value survive framing and reassembly.
    @Test func binaryArgumentsAcrossFragments() throws {
        var w = CraftWriter()
        let all = (0..<70_000).map { UInt8(truncatingIfNeeded: $0) }
        let argv: [[UInt8]] = [Craft.bytes("set"), Craft.bytes("\r\n*1\r\n$3\r\n"), all, [], [0]]
        let m = w.item(Craft.e3(argv, logicID: 9))
        #expect(m.item?.fragments == 2)
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [m])
    }

    @Test func emptyFile() throws {
        let d = try craftedDecode([])
        #expect(d.records.isEmpty)
        #expect(d.trailerCount == 0)
    }
}
