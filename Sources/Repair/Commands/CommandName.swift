import BinlogFormat

/// A command name of at most 16 bytes, ASCII-lowercased, packed into two words.
struct PackedName: Hashable, Sendable {
    var low: UInt64
    var high: UInt64
    var count: UInt8

    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= 16)
        var words: (UInt64, UInt64) = (0, 0)
        if let base = bytes.baseAddress {
            withUnsafeMutableBytes(of: &words) { w in w.baseAddress!.copyMemory(from: base, byteCount: bytes.count) }
        }
        low = Self.lowercased(words.0)
        high = Self.lowercased(words.1)
        count = UInt8(bytes.count)
    }

    /// `asciiLower` on each byte of `w` at once: `A`–`Z` get bit 5 set, every other byte
    /// (including those of 0x80 and above) stays as it is.
    @inline(__always)
    static func lowercased(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let low7 = w & (0x7F &* ones)
        // Bit 7 of each byte: set when the byte's low 7 bits are ≥ 'A' (0x41), resp. > 'Z' (0x5A).
        let atLeastA = low7 &+ (0x80 - 0x41) &* ones
        let aboveZ = low7 &+ (0x80 - 0x5B) &* ones
        let upper = (atLeastA ^ aboveZ) & ~w & (0x80 &* ones)
        return w | (upper >> 2)
    }

    init(_ text: String) {
        var s = text
        self = s.withUTF8 { PackedName(UnsafeRawBufferPointer($0)) }
    }
}

/// Command names (at most 16 bytes) to catalogue indices as a fixed open-addressing array: a
/// lookup per item costs a multiply and a compare or two, not a SipHash.
struct NameTable: Sendable {
    private var names: [PackedName?]
    private var entries: [Int16]
    private let mask: Int

    init(_ table: [String: Int]) {
        var n = 16
        while n < table.count * 4 { n <<= 1 }
        mask = n - 1
        names = [PackedName?](repeating: nil, count: n)
        entries = [Int16](repeating: -1, count: n)
        for (text, entry) in table {
            let name = PackedName(text)
            var i = Self.slot(name, mask)
            while names[i] != nil { i = (i + 1) & mask }
            names[i] = name
            entries[i] = Int16(entry)
        }
    }

    @inline(__always)
    static func slot(_ name: PackedName, _ mask: Int) -> Int {
        let h = (name.low &* 0x9E37_79B9_7F4A_7C15) ^ (name.high &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(name.count)
        return Int(truncatingIfNeeded: h >> 40) & mask
    }

    @inline(__always)
    func lookup(_ name: PackedName) -> Int16? {
        var i = Self.slot(name, mask)
        while let candidate = names[i] {
            if candidate == name { return entries[i] }
            i = (i + 1) & mask
        }
        return nil
    }
}
