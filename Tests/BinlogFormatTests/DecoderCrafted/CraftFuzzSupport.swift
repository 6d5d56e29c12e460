import BinlogFormat
import TestSupport
import Testing

// The seeded fuzz inputs of the never-crash run, and the tiling check of its decodings.

/// One fuzz input: a mix of pure noise, noise with real-looking headers, and valid streams with
/// mutations (bit flips, zeroed runs, overwritten headers, insertions, deletions, truncation).
func craftFuzzInput(round: Int, _ rng: inout SplitMix64) -> [UInt8] {
    let maxSize = 200 * 1_024
    switch round % 4 {
    case 0:
        return rng.bytes(rng.below(maxSize + 1))
    case 1:
        // Noise with record headers of every type scattered in it, often at block-relative spots.
        var b = rng.bytes(rng.below(maxSize + 1))
        for _ in 0..<rng.below(40) where b.count >= 8 {
            let at = rng.below(2) == 0 ? rng.below(b.count - 7) : min(b.count - 8, rng.below(4) * Craft.block + 65_528)
            let h = Craft.header(length: rng.below(70_000), time: UInt32(truncatingIfNeeded: rng.next()), type: UInt8(rng.below(9)))
            b.replaceSubrange(at..<(at + 8), with: h)
        }
        return b
    default:
        var w = CraftWriter()
        let target = rng.below(maxSize + 1)
        var logic: UInt64 = 1
        while w.count < target {
            let kind = rng.below(10)
            if kind == 0 && w.count % Craft.block < 60_000 {
                w.fill(leaving: rng.below(9), logicID: logic)
            } else if kind == 1 {
                w.frame(Craft.paddingItem(size: 61 + rng.below(2_000)))
            } else if kind == 2 {
                w.frame(Craft.e2a([Craft.bytes("set"), rng.bytes(rng.below(3_000))]).bytes)
            } else if kind == 3 && w.count % Craft.block <= 65_528 {
                // A kBadRecord padding record (Docs/Format.md §B10C), never past the block end.
                let n = min(rng.below(3_000), Craft.block - w.count % Craft.block - 8)
                w.record(type: 6, length: n, payload: [UInt8](repeating: UInt8(ascii: "*"), count: n))
            } else if kind == 4 {
                w.item(Craft.e3(size: 60 + rng.below(150_000), logicID: logic))
            } else {
                w.item(Craft.e3(size: 60 + rng.below(1_500), logicID: logic))
            }
            logic += 1
        }
        var b = w.bytes
        if round % 4 == 3 {
            // Preallocated tail.
            b += [UInt8](repeating: 0, count: rng.below(100_000))
        }
        for _ in 0..<(1 + rng.below(6)) where !b.isEmpty {
            let at = rng.below(b.count)
            switch rng.below(7) {
            case 0: b[at] ^= UInt8(1 << rng.below(8))
            case 1:
                let n = min(b.count - at, 1 + rng.below(3_000))
                b.replaceSubrange(at..<(at + n), with: repeatElement(0, count: n))
            case 2 where b.count - at >= 8:
                b.replaceSubrange(at..<(at + 8), with: rng.bytes(8))
            case 3: b.insert(contentsOf: rng.bytes(1 + rng.below(20)), at: at)
            case 4: b.removeSubrange(at..<min(b.count, at + 1 + rng.below(20)))
            case 5: b.removeSubrange(at...)
            default: b[at] = rng.below(2) == 0 ? 0x20 : UInt8(rng.below(9))
            }
        }
        if b.count > maxSize { b.removeSubrange(maxSize...) }
        return b
    }
}

/// Problems with how `records` cover `input`: out of order, overlapping, out of bounds, or a gap
/// that is not a zero block trailer (fewer than 8 bytes before a block end).
func craftTilingProblems(_ records: [CraftedRecord], input: [UInt8]) -> [String] {
    var problems: [String] = []
    var at = 0
    func gap(_ from: Int, _ to: Int) {
        guard from < to else { return }
        let blockEnd = (from / Craft.block + 1) * Craft.block
        if !(to == min(blockEnd, input.count) && blockEnd - from < 8 && input[from..<to].allSatisfy({ $0 == 0 })) {
            problems.append("gap \(from)..<\(to)")
        }
    }
    for r in records {
        if r.start >= r.end { problems.append("empty or reversed \(r)") }
        if r.start < at { problems.append("\(r) overlaps or precedes \(at)") }
        var next = r.start
        // A gap can hold a trailer and then continue at the next block start.
        while at < next {
            let blockEnd = (at / Craft.block + 1) * Craft.block
            let to = min(next, blockEnd)
            gap(at, to)
            at = to
            if !problems.isEmpty { break }
        }
        next = r.end
        at = max(at, next)
        if r.end > input.count { problems.append("\(r) ends past \(input.count)") }
    }
    while at < input.count && problems.isEmpty {
        let blockEnd = (at / Craft.block + 1) * Craft.block
        let to = min(input.count, blockEnd)
        gap(at, to)
        at = to
    }
    return problems
}
