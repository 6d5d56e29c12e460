import BinlogFormat

/// A command name of at most 16 bytes, ASCII-lowercased, packed into two words.
struct PackedName: Hashable, Sendable {
    var low: UInt64
    var high: UInt64
    var count: UInt8

    init(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= 16)
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { w in
            for i in 0..<bytes.count { w[i] = asciiLower(bytes[i]) }
        }
        low = words.0
        high = words.1
        count = UInt8(bytes.count)
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
