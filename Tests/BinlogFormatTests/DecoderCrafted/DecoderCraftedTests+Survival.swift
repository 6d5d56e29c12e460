import BinlogFormat
import TestSupport
import Testing

// DecoderCraftedTests: Items outside damaged bytes survive.
extension DecoderCraftedTests {
    enum Mutation: String, Sendable, CaseIterable {
        /// A run of zeros, 1–100 bytes or up to 200 KiB, anywhere.
        case zeroRun
        /// An item's first header replaced by one of an impossible type.
        case impossibleHeader
        /// One byte of one fragment header (type, length or time) changed.
        case headerByte
    }

    /// Streams of one era (E3, E2a, E2b; items of 0–150 KB, trailers, zero-length Firsts) with one
    /// mutation: every item whose bytes the mutation does not touch must come out exactly. (This
    /// found the lost items fixed by resynchronising inside failed and truncated records.)
    @Test(arguments: Mutation.allCases)
    func itemsOutsideTheDamageSurvive(_ mutation: Mutation) throws {
        var rng = SplitMix64(seed: 0xDA3A6E + UInt64(mutation.rawValue.count))
        var checked = 0
        for round in 0..<240 {
            var w = CraftWriter()
            var placed: [CraftedItem] = []
            var logic: UInt64 = 1
            let era = round % 3
            let size = 150_000 + rng.below(400_000)
            while w.count < size {
                let k = rng.below(10)
                let record: CraftedRecord
                if k == 0 && w.count % Craft.block < 60_000 {
                    record = w.fill(leaving: rng.below(9), logicID: logic)
                } else {
                    let n = k < 3 ? rng.below(150_000) : rng.below(2_000)
                    let argv = [Craft.bytes("set"), Craft.bytes("k\(logic)"), Array(Craft.valuePattern[0..<n])]
                    switch era {
                    case 0: record = w.item(Craft.e3(argv, logicID: logic))
                    case 1: record = w.item(Craft.e2a(argv))
                    default: record = w.item(Craft.e2b(argv, serverID: 1, info: (execTime: 1, filenum: 2, offset: logic), hub: true))
                    }
                }
                placed.append(try #require(record.item))
                logic += 1
            }
            var bytes = w.bytes
            let damaged: Range<Int>
            switch mutation {
            case .zeroRun:
                let lo = rng.below(bytes.count)
                damaged = lo..<min(bytes.count, lo + 1 + rng.below(rng.below(2) == 0 ? 100 : 200_000))
                bytes.replaceSubrange(damaged, with: repeatElement(0, count: damaged.count))
            case .impossibleHeader:
                let victim = placed[rng.below(placed.count)]
                damaged = victim.start..<(victim.start + 8)
                let type: UInt8 = [0, 5, 7, 9, 0x20, 200][rng.below(6)]
                bytes.replaceSubrange(damaged, with: Craft.header(length: rng.below(70_000), type: type))
            case .headerByte:
                let victim = placed[rng.below(placed.count)]
                let f = rng.below(victim.fragments)
                let header = f == 0 ? victim.start : (victim.start / Craft.block + f) * Craft.block
                let at = header + rng.below(8)
                damaged = at..<(at + 1)
                bytes[at] ^= UInt8(1 + rng.below(255))
            }
            let d = try craftedDecode(bytes)
            #expect(craftTilingProblems(d.records, input: bytes).isEmpty, "round \(round)")
            let decoded = d.items
            for item in placed where item.end <= damaged.lowerBound || item.start >= damaged.upperBound {
                checked += 1
                #expect(
                    decoded.contains(item),
                    "round \(round), era \(era), damaged \(damaged): lost \(item) among \(d.records.filter { $0.end >= damaged.lowerBound - 100 && $0.start <= item.end + 100 }.prefix(6))"
                )
            }
        }
        #expect(checked > 1_000)
    }
}
