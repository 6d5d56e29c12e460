import BinlogFormat

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A hash table from key bytes to a small value, looked up with *borrowed* bytes: the decoder's
/// arguments are views that die with the next record, and `Dictionary<[UInt8], …>` would need an
/// owned array (an allocation) for every lookup. Keys are copied once, when inserted.
///
/// Open addressing with linear probing over a power-of-two slot array; the stored hash is checked
/// before the bytes. Nothing is ever removed (the rewrite only adds keys).
struct RewriteKeyTable<Value> {
    private var hashes: [UInt64]
    private var slots: [Int32]
    private(set) var keys: [[UInt8]] = []
    private(set) var values: [Value] = []
    private var mask: Int

    init(capacity: Int = 1024) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        hashes = []
        slots = [Int32](repeating: -1, count: n)
        mask = n - 1
    }

    var count: Int { keys.count }

    /// The index of `key`, or nil.
    func index(of key: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let s = slots[i]
            if s < 0 { return nil }
            let k = Int(s)
            if hashes[k] == hash && Self.equal(keys[k], key) { return k }
            i = (i + 1) & mask
        }
    }

    func index(of key: UnsafeRawBufferPointer) -> Int? { index(of: key, hash: Self.hash(key)) }

    /// The index of `key`, inserting it with `make()` when absent.
    mutating func findOrInsert(_ key: UnsafeRawBufferPointer, hash: UInt64, _ make: () -> Value) -> Int {
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            let k = Int(s)
            if hashes[k] == hash && Self.equal(keys[k], key) { return k }
            i = (i + 1) & mask
        }
        let k = keys.count
        keys.append(Array(key))
        values.append(make())
        hashes.append(hash)
        slots[i] = Int32(k)
        if keys.count * 2 > slots.count { grow() }
        return k
    }

    mutating func findOrInsert(_ key: UnsafeRawBufferPointer, _ make: () -> Value) -> Int {
        findOrInsert(key, hash: Self.hash(key), make)
    }

    subscript(index: Int) -> Value {
        get { values[index] }
        set { values[index] = newValue }
    }

    private mutating func grow() {
        let n = slots.count * 2
        slots = [Int32](repeating: -1, count: n)
        mask = n - 1
        for k in 0..<keys.count {
            var i = Int(truncatingIfNeeded: hashes[k]) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(k)
        }
    }

    @inline(__always)
    private static func equal(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in
            x.count == 0 || memcmp(x.baseAddress!, b.baseAddress!, x.count) == 0
        }
    }

    /// A 64-bit hash of `bytes`: 8 bytes at a time, multiply-xorshift mixing (wyhash-like).
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var i = 0
        let n = bytes.count
        guard let p = bytes.baseAddress else { return h }
        while i + 8 <= n {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                w |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
                shift += 8
                i += 1
            }
            h = (h ^ w) &* 0xC4CE_B9FE_1A85_EC53
        }
        h ^= h >> 29
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 32
        return h
    }
}
