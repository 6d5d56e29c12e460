import BinlogFormat
import Testing

extension DecoderEraTests {
    // MARK: - Resynchronising on items of every era

    /// Damage, then more items of the same era in the same block: E2 items are found again too.
    @Test(arguments: ["E2a", "E2b", "E3"])
    func resyncFindsItemsOfEveryEra(_ era: String) throws {
        let b = Craft.bytes
        func make(_ argv: [String], _ n: UInt64) -> CraftPayload {
            switch era {
            case "E2a": Craft.e2a(argv.map(b))
            case "E2b": Craft.e2b(argv.map(b), serverID: 1, info: (execTime: 5, filenum: 1, offset: n), hub: false)
            default: Craft.e3(argv.map(b), logicID: n)
            }
        }
        var w = CraftWriter()
        let a = w.item(make(["set", "a", "1"], 1))
        let damageStart = w.count
        w.record(type: 9, length: 30, payload: [UInt8](repeating: 0x55, count: 30))
        let x = w.item(make(["set", "x", "after damage"], 2))
        // A multi-block item whose First follows damage in its block.
        w.record(type: 1, length: 0xFF_FF00, payload: [UInt8](repeating: 0x56, count: 30))
        let y = w.item(make(["set", "y", String(repeating: "y", count: 100_000)], 3))
        let z = w.item(make(["set", "z", "1"], 4))
        #expect(y.item?.fragments == 2)
        let d = try craftedDecode(w.bytes)
        #expect(
            d.records == [
                a, .damage(.impossibleType(9), damageStart, x.start), x,
                .damage(.lengthBeyondBlock(length: 0xFF_FF00), x.end, y.start), y, z,
            ])
    }

    /// Damage, then the zero-length First of an item in the last 8 bytes of the block.
    @Test func resyncFindsAZeroLengthFirst() throws {
        var w = CraftWriter()
        let a = w.item(Craft.e3(size: 100, logicID: 1))
        let room = Craft.block - w.count - 8
        w.record(type: 9, length: room - 8, payload: [UInt8](repeating: 0x55, count: room - 8))
        #expect(w.count == 65_528)
        let m = w.item(Craft.e3(size: 1_000, logicID: 2))
        let c = w.item(Craft.e3(["set", "c", "v"], logicID: 3))
        #expect(m.start == 65_528)
        let d = try craftedDecode(w.bytes)
        #expect(d.records == [a, .damage(.impossibleType(9), 108, 65_528), m, c])
    }
}
