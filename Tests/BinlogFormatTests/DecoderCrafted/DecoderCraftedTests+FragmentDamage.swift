import BinlogFormat
import TestSupport
import Testing

// DecoderCraftedTests: Damage: fragment sequences.
extension DecoderCraftedTests {
    /// Block 0: A and B fill it. Block 1 starts with a Last (no First before it), then C.
    @Test func orphanLast() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 300, logicID: 1))
        let b = w.fill(leaving: 0, logicID: 2)
        w.record(type: 4, length: 100, payload: Array(repeating: UInt8(ascii: "L"), count: 100))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, b, .damage(.orphanFragment(.last), 65_536, 65_644), c])
    }

    /// Block 1 is a whole Middle and block 2 starts with a Last, with no First: one orphan damage
    /// (contiguous damage is merged under the first kind), then C.
    @Test func orphanMiddleAndLast() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 300, logicID: 1))
        let b = w.fill(leaving: 0, logicID: 2)
        w.record(type: 3, length: 65_528, payload: Array(repeating: UInt8(ascii: "M"), count: 65_528))
        w.record(type: 4, length: 100, payload: Array(repeating: UInt8(ascii: "L"), count: 100))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, b, .damage(.orphanFragment(.middle), 65_536, 131_072 + 108), c])
    }

    /// A whole Middle alone (its block followed by a Full item): orphan Middle.
    @Test func orphanMiddle() throws {
        var w = CraftWriter()
        let a = w.fill(leaving: 0, logicID: 1)
        w.record(type: 3, length: 65_528, payload: Array(repeating: UInt8(ascii: "M"), count: 65_528))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.orphanFragment(.middle), 65_536, 131_072), c])
    }

    /// M's First (and maybe Middles) then, where its next fragment should be, a Full record.
    @Test(arguments: [1, 2, 3])
    func firstInterruptedByFull(fragmentsBefore: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 1_000, logicID: 1))
        // Frame a long item, then cut it after `fragmentsBefore` fragments.
        var m = CraftWriter()
        m.raw(w.bytes)
        let full = m.frame(Craft.e3(size: 400_000, logicID: 2).bytes)
        let cut = (fragmentsBefore) * Craft.block
        w.raw(Array(m.bytes[full.start..<cut]))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        let e = w.item(Craft.e3(["set", "e", "v"], logicID: 4))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.interruptedItem(fragments: fragmentsBefore), 1_008, cut), c, e])
    }

    /// A First interrupted by another First: the first item is damage, the second decodes.
    @Test func firstInterruptedByFirst() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 1_000, logicID: 1))
        let first = Craft.e3(size: 100_000, logicID: 2).bytes
        w.record(type: 2, length: 65_536 - 1_016, payload: Array(first.prefix(65_536 - 1_016)))
        let m = w.item(Craft.e3(size: 100_000, logicID: 3))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.interruptedItem(fragments: 1), 1_008, 65_536), m])
    }

    /// The file ends after M's First (and Middles): an uncommitted item (Docs/Format.md §B12).
    @Test(arguments: [1, 2, 3])
    func itemTruncatedByEOF(fragmentsKept: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 1_000, logicID: 1))
        w.frame(Craft.e3(size: 400_000, logicID: 2).bytes)
        let bytes = Array(w.bytes[..<(fragmentsKept * Craft.block)])
        let d = try craftedDecode(bytes)
        #expect(d.records == [a, .damage(.interruptedItem(fragments: fragmentsKept), 1_008, bytes.count)])
    }

    /// The zero-length First in the last 8 bytes of a block, then the end of the file.
    @Test func zeroLengthFirstAtEOF() throws {
        var w = CraftWriter()
        let a = w.fill(leaving: 8, logicID: 1)
        w.frame(Craft.e3(size: 500, logicID: 2).bytes)
        let d = try craftedDecode(Array(w.bytes[..<65_536]))
        #expect(d.records == [a, .damage(.interruptedItem(fragments: 1), 65_528, 65_536)])
    }

    /// The file ends inside M's Middle record: one damage from M's start to the end.
    @Test func eofInsideAFragment() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 1_000, logicID: 1))
        w.frame(Craft.e3(size: 400_000, logicID: 2).bytes)
        let bytes = Array(w.bytes[..<(Craft.block + 30_000)])
        let d = try craftedDecode(bytes)
        #expect(d.records == [a, .damage(.interruptedItem(fragments: 1), 1_008, bytes.count)])
    }

    /// 1–7 non-zero bytes where a header should start, then the end of the file.
    @Test(arguments: 1...7)
    func truncatedHeaderAtEOF(_ n: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 500, logicID: 1))
        let b = Craft.e3(size: 500, logicID: 2).bytes
        w.raw(Array((Craft.header(length: b.count, type: 1) + b).prefix(n)))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.truncatedHeader, 508, 508 + n)])
    }

    /// 1–7 zero bytes at the end of the file (after an item, not at a block end): a tiny zero tail.
    @Test(arguments: 1...7)
    func shortZeroTail(_ n: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 500, logicID: 1))
        w.zeros(n)
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .padding(.zeroTail, 508, 508 + n)])
    }

    /// A whole header, then the file ends inside the payload.
    @Test(arguments: [0, 1, 250, 499])
    func recordTruncatedAtEOF(payloadKept: Int) throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 500, logicID: 1))
        let b = Craft.e3(size: 500, logicID: 2).bytes
        w.raw(Craft.header(length: 500, type: 1) + b.prefix(payloadKept))
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.truncatedRecord(length: 500), 508, 516 + payloadKept)])
    }

    /// A First or Last cut by EOF: the item before the First is interrupted, the cut record merged.
    @Test func lastTruncatedAtEOF() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 1_000, logicID: 1))
        w.frame(Craft.e3(size: 100_000, logicID: 2).bytes)
        let bytes = Array(w.bytes.dropLast(10))
        let d = try craftedDecode(bytes)
        #expect(d.records == [a, .damage(.interruptedItem(fragments: 1), 1_008, bytes.count)])
    }
}
