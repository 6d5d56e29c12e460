import BinlogFormat
import TestSupport
import Testing

// DecoderCraftedTests: Damage: record headers.
extension DecoderCraftedTests {
    /// A, the damaged bytes, B in the same block, F filling the block, C at the next block start.
    struct Sandwich {
        var w = CraftWriter()
        let a: CraftedRecord
        let damageStart: Int
        let b: CraftedRecord
        let f: CraftedRecord
        let c: CraftedRecord

        init(aSize: Int = 200, _ damaged: (inout CraftWriter) -> Void) {
            a = w.item(Craft.e3(size: aSize, logicID: 1))
            damageStart = w.count
            damaged(&w)
            b = w.item(Craft.e3(["set", "b", "after"], logicID: 2))
            f = w.fill(leaving: 0, logicID: 3)
            c = w.item(Craft.e3(["set", "c", "next block"], logicID: 4))
        }

        var bStart: Int { b.start }

        /// A, one damage record from the damaged bytes to B, then B, F and C.
        func expecting(_ kind: Damage.Kind) -> [CraftedRecord] {
            [a, .damage(kind, damageStart, bStart), b, f, c]
        }
    }

    static let impossibleTypes: [UInt8] = [0, 5, 7, 8, 9, 0x20, 0x7F, 0x80, 255]

    @Test(arguments: impossibleTypes)
    func impossibleType(_ type: UInt8) throws {
        let s = Sandwich { w in w.record(type: type, length: 20, payload: Array(repeating: UInt8(ascii: "x"), count: 20)) }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.impossibleType(type)))
    }

    /// Type 0 with length 0 but a non-zero time is not a zero region: it is an impossible header.
    @Test func zeroTypeWithTime() throws {
        let s = Sandwich { w in w.raw(Craft.header(length: 0, time: 1, type: 0)) }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.impossibleType(0)))
        #expect(s.bStart - s.damageStart == 8)
    }

    struct TooLong: Sendable, CustomTestStringConvertible {
        var type: UInt8
        var excess: Int
        var testDescription: String { "type \(type), room + \(excess)" }
    }

    @Test(arguments: [
        TooLong(type: 1, excess: 1), TooLong(type: 1, excess: 1_000), TooLong(type: 1, excess: 0xFF_FFFF),
        TooLong(type: 2, excess: 1), TooLong(type: 3, excess: 7), TooLong(type: 4, excess: 1),
        TooLong(type: 6, excess: 1),
    ])
    func lengthBeyondBlock(_ t: TooLong) throws {
        var length = 0
        let s = Sandwich { w in
            let room = Craft.block - w.count % Craft.block - 8
            length = min(room + t.excess, 0xFF_FFFF)
            w.record(type: t.type, length: length, payload: Array(repeating: UInt8(ascii: "y"), count: 30))
        }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.lengthBeyondBlock(length: length)))
    }

    @Test(arguments: [RecordType.first, .middle])
    func fragmentNotReachingBlockEnd(_ type: RecordType) throws {
        let s = Sandwich { w in
            let piece = Array(Craft.e3(size: 500, logicID: 99).bytes.prefix(40))
            w.record(type: type.rawValue, length: 40, payload: piece)
        }
        let d = try craftedDecode(s.w.bytes)
        #expect(d.records == s.expecting(.fragmentShort(type)))
    }

    /// A short First whose Last follows in the next block: the Last becomes an orphan.
    @Test func shortFirstThenItsLast() throws {
        let s = Sandwich { w in
            w.record(type: 2, length: 40, payload: Array(Craft.e3(size: 500, logicID: 99).bytes.prefix(40)))
        }
        // Keep A, the short First, B and F; then the Last at the next block start and C after it.
        var w = CraftWriter()
        w.raw(Array(s.w.bytes[..<s.f.end]))
        let lastStart = w.count
        w.record(type: 4, length: 30, payload: Array(repeating: 7, count: 30))
        let c = w.item(Craft.e3(["set", "c", "x"], logicID: 4))
        let d = try craftedDecode(w.bytes)
        #expect(lastStart == 65_536)
        #expect(
            d.records == [
                s.a, .damage(.fragmentShort(.first), s.damageStart, s.bStart), s.b, s.f,
                .damage(.orphanFragment(.last), lastStart, lastStart + 38), c,
            ])
    }
}
