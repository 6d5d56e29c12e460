import BinlogFormat
import TestSupport
import Testing

// DecoderCraftedTests: Never crash, never loop.
extension DecoderCraftedTests {
    /// 2 000 seeded inputs of 0–200 KiB: random bytes, random bytes with plausible headers, and
    /// valid streams with mutations. The decoder must end, and its records must be in order, not
    /// overlap, stay inside the file and leave no gap other than a block trailer. (This found the
    /// damage/record overlap fixed in `resync`.)
    @Test func fuzz() throws {
        var rng = SplitMix64(seed: 0x5EED_B10C)
        var stats = (items: 0, damage: 0, padding: 0)
        for round in 0..<2_000 {
            let input = craftFuzzInput(round: round, &rng)
            let d = try craftedDecode(input)
            #expect(d.terminated, "round \(round) loops")
            let problems = craftTilingProblems(d.records, input: input)
            #expect(problems.isEmpty, "round \(round) (\(input.count) bytes): \(problems.prefix(3)) in \(d.records.prefix(30))")
            if !problems.isEmpty { break }
            // From a block-aligned start inside the input: leading fragments are skipped, the rest
            // stays in order and in bounds.
            if round % 3 == 0 && input.count > Craft.block {
                let start = (1 + rng.below(input.count / Craft.block)) * Craft.block
                if start < input.count {
                    let e = try craftedDecode(input, startOffset: start)
                    #expect(e.terminated, "round \(round) from \(start) loops")
                    var at = start
                    for r in e.records {
                        #expect(r.start >= at && r.end > r.start && r.end <= input.count, "round \(round) from \(start): \(r)")
                        at = r.end
                    }
                }
            }
            for r in d.records {
                switch r {
                case .item: stats.items += 1
                case .damage: stats.damage += 1
                case .padding: stats.padding += 1
                }
            }
        }
        // The corpus reaches every kind of record.
        #expect(stats.items > 1_000 && stats.damage > 1_000 && stats.padding > 100)
    }
}
