import BinlogFormat
import TestSupport
import Testing

// DecoderCraftedTests: Starting inside a file.
extension DecoderCraftedTests {
    /// A, then M over blocks 0–3 (First, Middle, Middle, Last), then C and D in block 3. Starting
    /// at block 1, 2 or 3 skips M's fragments silently.
    @Test(arguments: [1, 2, 3])
    func startInsideAMultiBlockItem(block: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 1_000, logicID: 1))
        let m = w.item(Craft.e3(size: 3 * 65_528 - 1_008 + 100, logicID: 2))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        let e = w.item(Craft.e3(["set", "e", "v"], logicID: 4))
        #expect(m.item?.fragments == 4 && m.end == 3 * 65_536 + 108)
        #expect(try craftedDecode(w.bytes).records == [a, m, c, e])
        let d = try craftedDecode(w.bytes, startOffset: block * Craft.block)
        #expect(d.records == [c, e])
    }

    /// An item that began with the zero-length First at 65 528: starting at 65 536 skips its Last.
    @Test func startAfterAZeroLengthFirst() throws {
        var w = CraftWriter()
        _ = w.fill(leaving: 8, logicID: 1)
        let m = w.item(Craft.e3(size: 1_000, logicID: 2))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        #expect(m.start == 65_528)
        let d = try craftedDecode(w.bytes, startOffset: Craft.block)
        #expect(d.records == [c])
    }

    /// Starting at a block where an item begins: nothing is skipped.
    @Test func startAtAnItemStart() throws {
        var w = CraftWriter()
        _ = w.fill(leaving: 0, logicID: 1)
        let b = w.item(Craft.e3(size: 100_000, logicID: 2))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        let d = try craftedDecode(w.bytes, startOffset: Craft.block)
        #expect(d.records == [b, c])
    }

    /// A start past the 1 MiB chunk size inside a long item.
    @Test func startInsideAnItemBeyondTheFirstChunk() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 100, logicID: 1))
        let m = w.item(Craft.e3(size: 2_000_000, logicID: 2))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        #expect(try craftedDecode(w.bytes).records == [a, m, c])
        #expect(try craftedDecode(w.bytes, startOffset: 20 * Craft.block).records == [c])
    }
}
