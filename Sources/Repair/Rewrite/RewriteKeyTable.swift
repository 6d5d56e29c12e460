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
    /// One byte per slot: 0 for empty, else the top bits of the key's hash (with bit 7 set). Most
    /// lookups are misses; they touch only this array (a quarter of the slots' size in cache).
    private var tags: [UInt8]
    /// Index of the key in each slot, -1 for empty.
    private var slots: [Int32]
    private var hashes: [UInt64] = []
    /// Every key's bytes, one after the other; key `k` is `arena[offsets[k]..<offsets[k + 1]]`.
    private var arena: [UInt8] = []
    private var offsets: [Int] = [0]
    private(set) var values: [Value] = []
    private var mask: Int

    init(capacity: Int = 1024) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = [Int32](repeating: -1, count: n)
        tags = [UInt8](repeating: 0, count: n)
        mask = n - 1
    }

    var count: Int { values.count }

    @inline(__always)
    private static func tag(_ hash: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: hash >> 57) | 0x80 }

    /// The bytes of key `k`.
    func key(_ k: Int) -> [UInt8] { Array(arena[offsets[k]..<offsets[k + 1]]) }

    /// The slot where `key` is, or the empty slot where it would go, and its index if present.
    ///
    /// Only slots whose tag matches go on to the key's bytes (a tag is the hash's top 7 bits: one
    /// false match in 128): a hit reads the tag, the slot, the key's offsets and its bytes; the
    /// full hashes are only for ``grow()``.
    @inline(__always)
    private func probe(_ key: UnsafeRawBufferPointer, hash: UInt64) -> (slot: Int, index: Int?) {
        let tag = Self.tag(hash)
        return tags.withUnsafeBufferPointer { tags in
            slots.withUnsafeBufferPointer { slots in
                arena.withUnsafeBytes { arena in
                    offsets.withUnsafeBufferPointer { offsets in
                        var i = Int(truncatingIfNeeded: hash) & mask
                        while true {
                            let t = tags[i]
                            if t == 0 { return (i, nil) }
                            if t == tag {
                                let k = Int(slots[i])
                                let from = offsets[k]
                                if offsets[k + 1] - from == key.count
                                    && Self.equal(arena.baseAddress.map { $0 + from }, key.baseAddress, key.count)
                                {
                                    return (i, k)
                                }
                            }
                            i = (i + 1) & mask
                        }
                    }
                }
            }
        }
    }

    /// Whether `n` bytes at `a` and `b` are equal: short keys (most) in words, without a call.
    @inline(__always)
    private static func equal(_ a: UnsafeRawPointer?, _ b: UnsafeRawPointer?, _ n: Int) -> Bool {
        guard n > 0, let a, let b else { return true }
        if n >= 8 {
            if n > 32 { return memcmp(a, b, n) == 0 }
            var i = 0
            while i + 8 <= n {
                if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                    return false
                }
                i += 8
            }
            // The last 8 bytes (overlapping the words already compared).
            return a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        }
        for i in 0..<n where a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) {
            return false
        }
        return true
    }

    /// The index of `key`, or nil.
    func index(of key: UnsafeRawBufferPointer, hash: UInt64) -> Int? { probe(key, hash: hash).index }

    func index(of key: UnsafeRawBufferPointer) -> Int? { index(of: key, hash: Self.hash(key)) }

    /// The index of `key`, inserting it with `make()` when absent.
    mutating func findOrInsert(_ key: UnsafeRawBufferPointer, hash: UInt64, _ make: () -> Value) -> Int {
        let (slot, found) = probe(key, hash: hash)
        if let found { return found }
        let k = values.count
        arena.append(contentsOf: key)
        offsets.append(arena.count)
        values.append(make())
        hashes.append(hash)
        slots[slot] = Int32(k)
        tags[slot] = Self.tag(hash)
        if values.count * 2 > slots.count { grow() }
        return k
    }

    mutating func findOrInsert(_ key: UnsafeRawBufferPointer, _ make: () -> Value) -> Int {
        findOrInsert(key, hash: Self.hash(key), make)
    }

    /// Value `index`, borrowed for reading (reading one field does not copy the whole value).
    subscript(index: Int) -> Value {
        _read { yield values[index] }
        _modify { yield &values[index] }
    }

    private mutating func grow() {
        let n = slots.count * 2
        slots = [Int32](repeating: -1, count: n)
        tags = [UInt8](repeating: 0, count: n)
        mask = n - 1
        for k in 0..<values.count {
            var i = Int(truncatingIfNeeded: hashes[k]) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(k)
            tags[i] = Self.tag(hashes[k])
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
