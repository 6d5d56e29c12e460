/// A 64-bit hash of an item's bytes, used to recognise the same command written twice without
/// keeping the command. It is a wyhash-style hash: 16 bytes at a time folded by a 64×64→128-bit
/// multiply, in two independent lanes, so an item of a few hundred bytes costs about a hundred
/// instructions. Not cryptographic: two different commands collide with probability about 2⁻⁶⁴,
/// and a collision only ever makes two items look alike to the duplicate detector.
public enum ContentHash {
    private static let s0: UInt64 = 0xa076_1d64_78bd_642f
    private static let s1: UInt64 = 0xe703_7ed1_a0b4_28db
    private static let s2: UInt64 = 0x8ebc_6af0_9c88_c6e3
    private static let s3: UInt64 = 0x5899_65cc_7537_4cc3

    /// The 128-bit product of `a` and `b`, high and low halves folded together.
    @inline(__always)
    private static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }

    @inline(__always)
    private static func load64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    private static func load32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
    }

    /// The hash of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let length = bytes.count
        guard let base = bytes.baseAddress, length > 0 else { return mix(s0, s1) }
        var p = base
        var n = length
        var lane0 = s0 ^ mix(UInt64(length) ^ s1, s3)
        var lane1 = lane0 ^ s2
        while n > 32 {
            lane0 = mix(load64(p, 0) ^ s1, load64(p, 8) ^ lane0)
            lane1 = mix(load64(p, 16) ^ s2, load64(p, 24) ^ lane1)
            p += 32
            n -= 32
        }
        var seed = length > 32 ? lane0 ^ lane1 : lane0
        if n > 16 {
            seed = mix(load64(p, 0) ^ s1, load64(p, 8) ^ seed)
            p += 16
            n -= 16
        }
        // 1–16 bytes left: read them as two (possibly overlapping) words.
        var a: UInt64
        var b: UInt64
        if n >= 8 {
            a = load64(p, 0)
            b = load64(p, n - 8)
        } else if n >= 4 {
            a = load32(p, 0) << 32 | load32(p, n - 4)
            b = 0
        } else {
            a =
                UInt64(p.load(as: UInt8.self)) << 16 | UInt64(p.load(fromByteOffset: n >> 1, as: UInt8.self)) << 8
                | UInt64(p.load(fromByteOffset: n - 1, as: UInt8.self))
            b = 0
        }
        let r = (a ^ s1).multipliedFullWidth(by: b ^ seed)
        return mix(r.low ^ s0 ^ UInt64(length), r.high ^ s1)
    }

    /// The hash of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { hash($0) }
    }
}
