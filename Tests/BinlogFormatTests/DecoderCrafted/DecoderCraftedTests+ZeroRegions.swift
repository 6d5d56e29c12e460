import BinlogFormat
import TestSupport
import Testing

// DecoderCraftedTests: Zero regions.
extension DecoderCraftedTests {
    /// Zeros from after the last item to the end of the file (mmap preallocation, Docs/Format.md §B12).
    @Test(arguments: [1_000, 65_536, 4 * 1_048_576, 4 * 1_048_576 + 5])
    func zeroTail(fileSize: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 300, logicID: 1))
        let b = w.item(Craft.e3(size: 400, logicID: 2))
        w.zeros(to: fileSize)
        let d = try craftedDecode(w.bytes)
        #expect(b.end == 716)
        #expect(d.records == [a, b, .padding(.zeroTail, 716, fileSize)])
    }

    /// The zero tail after an item that leaves a trailer: the trailer is counted, the tail starts
    /// at the next block.
    @Test(arguments: [0, 3, 8])
    func zeroTailAfterABlockEnd(gap: Int) throws {
        var w = CraftWriter()
        let a = w.fill(leaving: gap, logicID: 1)
        w.zeros(to: 300_000)
        let d = try craftedDecode(w.bytes)
        let tailStart = gap == 8 ? 65_528 : 65_536
        #expect(d.records == [a, .padding(.zeroTail, tailStart, 300_000)])
        #expect(d.trailerCount == (gap == 3 ? 1 : 0))
    }

    /// A crash in the middle of a multi-block item, then preallocated zeros.
    @Test func zeroTailAfterAnInterruptedItem() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 300, logicID: 1))
        w.frame(Craft.e3(size: 200_000, logicID: 2).bytes)
        var bytes = Array(w.bytes[..<(2 * Craft.block)])
        bytes += [UInt8](repeating: 0, count: 500_000)
        let d = try craftedDecode(bytes)
        #expect(
            d.records == [
                a, .damage(.interruptedItem(fragments: 2), 308, 131_072), .padding(.zeroTail, 131_072, bytes.count),
            ])
    }

    @Test(arguments: [1, 7, 8, 9, 65_535, 65_536, 65_537, 1_048_576, 1_048_576 + 3, 3 * 1_048_576 + 100])
    func allZeroFile(size: Int) throws {
        let d = try craftedDecode([UInt8](repeating: 0, count: size))
        #expect(d.records == [.padding(.zeroTail, 0, size)])
    }

    struct Hole: Sendable, CustomTestStringConvertible {
        var name: String
        /// Where the hole starts (A fills up to it).
        var start: Int
        var length: Int
        /// Payload size of B, the item right after the hole (a multiple of 256 puts a zero byte
        /// first in its header).
        var bSize: Int = 300
        var testDescription: String { name }
    }

    static let holes: [Hole] = [
        Hole(name: "mid-block", start: 1_000, length: 1_000),
        Hole(name: "8 bytes", start: 1_000, length: 8),
        Hole(name: "B's header starts with a zero byte", start: 1_000, length: 2_000, bSize: 512),
        Hole(name: "to a block end", start: 1_000, length: 65_536 - 1_000),
        Hole(name: "three blocks", start: 30_000, length: 3 * 65_536),
        Hole(name: "to the 1 MiB chunk end", start: 1_000_000, length: 1_048_576 - 1_000_000),
        Hole(
            name: "to the 1 MiB chunk end, B's header starts with a zero byte", start: 1_000_000,
            length: 1_048_576 - 1_000_000, bSize: 256),
        Hole(name: "across the 1 MiB chunk end", start: 1_000_000, length: 1_048_576 - 1_000_000 + 5_000),
        Hole(
            name: "across the 1 MiB chunk end, B's header starts with a zero byte", start: 1_000_000,
            length: 1_048_576 - 1_000_000 + 5_000, bSize: 768),
    ]

    /// Zeros where records should be, then more items: damage `.zeroRegion`, then B and C decode.
    @Test(arguments: holes)
    func zeroHole(_ h: Hole) throws {
        var w = CraftWriter()
        var expected: [CraftedRecord] = []
        var logic: UInt64 = 1
        while w.count + Craft.block <= h.start {
            expected.append(w.fill(leaving: 0, logicID: logic))
            logic += 1
        }
        if w.count < h.start { expected.append(w.item(Craft.e3(size: h.start - w.count - 8, logicID: logic))) }
        #expect(w.count == h.start)
        w.zeros(h.length)
        let b = w.item(Craft.e3(size: h.bSize, logicID: 100))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 101))
        #expect(b.start == h.start + h.length)
        if h.bSize % 256 == 0 { #expect(w.bytes[b.start] == 0) }
        let d = try craftedDecode(w.bytes)
        #expect(d.records == expected + [.damage(.zeroRegion, h.start, b.start), b, c])
    }
}
