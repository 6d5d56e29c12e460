import BinlogFormat
import TestSupport
import Testing

// DecoderCraftedTests: Damage: a length field made larger, and trailers.
extension DecoderCraftedTests {
    /// X's length grows by 100 bytes (still inside its block) and so takes in B's header: X is
    /// damage up to B, and B and C decode.
    @Test func lengthenedFullRecord() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 200, logicID: 1))
        let x = w.frame(Craft.e3(size: 300, logicID: 2).bytes)
        let b = w.item(Craft.e3(["set", "b", "v"], logicID: 3))
        let c = w.item(Craft.e3(size: 500, logicID: 4))
        var bytes = w.bytes
        bytes.replaceSubrange(x.start..<(x.start + 3), with: [UInt8(400 & 0xFF), UInt8(400 >> 8), 0])
        let d = try craftedDecode(bytes)
        #expect(d.records == [a, .damage(.badEnvelope("content length 266 but 366 bytes follow"), x.start, b.start), b, c])
    }

    /// The same for the Last fragment of a two-block item.
    @Test func lengthenedLastRecord() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 200, logicID: 1))
        let m = w.frame(Craft.e3(size: 100_000, logicID: 2).bytes)
        let b = w.item(Craft.e3(["set", "b", "v"], logicID: 3))
        let c = w.item(Craft.e3(size: 500, logicID: 4))
        #expect(m.fragments == 2 && m.end == 100_224)
        var bytes = w.bytes
        let lastLength = 100_000 - (65_536 - 216) + 50
        bytes.replaceSubrange(65_536..<65_539, with: [UInt8(lastLength & 0xFF), UInt8(lastLength >> 8 & 0xFF), 0])
        let d = try craftedDecode(bytes)
        #expect(
            d.records == [a, .damage(.badEnvelope("content length 99966 but 100016 bytes follow"), 208, b.start), b, c])
    }

    /// X's length now runs past the end of the file, over the last item B: B still decodes.
    @Test func recordLengthenedPastEOF() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 200, logicID: 1))
        let x = w.frame(Craft.e3(size: 300, logicID: 2).bytes)
        let b = w.item(Craft.e3(["set", "b", "v"], logicID: 3))
        var bytes = w.bytes
        bytes.replaceSubrange(x.start..<(x.start + 3), with: [UInt8(1_300 & 0xFF), UInt8(1_300 >> 8), 0])
        let d = try craftedDecode(bytes)
        #expect(d.records == [a, .damage(.truncatedRecord(length: 1_300), x.start, b.start), b])
    }

    // MARK: - Damage: trailers

    /// Item A leaves `gap` (1–7) bytes; one of them is not zero.
    @Test(arguments: 1...7)
    func dirtyTrailer(gap: Int) throws {
        var w = CraftWriter()
        let a = w.fill(leaving: gap, logicID: 1)
        var trailer = [UInt8](repeating: 0, count: gap)
        trailer[gap - 1] = 0xAB
        w.raw(trailer)
        let b = w.item(Craft.e3(["set", "b", "v"], logicID: 2))
        #expect(b.start == 65_536)
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.dirtyTrailer, 65_536 - gap, 65_536), b])
        #expect(d.trailerCount == 1)
    }

    /// The last 8 bytes of a block hold something other than a zero-length First (or an empty item).
    @Test(arguments: [
        Craft.header(length: 0, type: 4), Craft.header(length: 0, type: 3), Craft.header(length: 5, type: 2),
        Craft.bytes("ABCDEFGH"),
    ])
    func dirtyLastEightBytes(_ junk: [UInt8]) throws {
        var w = CraftWriter()
        let a = w.fill(leaving: 8, logicID: 1)
        w.raw(junk)
        let b = w.item(Craft.e3(["set", "b", "v"], logicID: 2))
        #expect(b.start == 65_536)
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.dirtyTrailer, 65_528, 65_536), b])
    }
}
