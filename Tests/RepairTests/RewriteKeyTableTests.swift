import Testing

@testable import Repair

/// ``RewriteKeyTable`` (the rewrite's key → plan table, looked up with borrowed bytes) against a
/// `Dictionary` of the same keys.
@Suite struct RewriteKeyTableTests {
    /// Keys of every length from 0 to 40 bytes that differ in one byte only (first, middle or
    /// last: each word of the comparison and the overlapping tail), through several growths.
    @Test func findsExactlyTheKeysInserted() {
        var table = RewriteKeyTable<Int>(capacity: 4)
        var reference: [[UInt8]: Int] = [:]
        var absent: [[UInt8]] = []
        for length in 0...40 {
            let base = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ length) }
            for place in Set([0, length / 2, length - 1]) where length > 0 || place == 0 {
                var key = base
                if length > 0 { key[place] ^= 0x5A }
                let value = reference.count
                let k = key.withUnsafeBytes { table.findOrInsert($0) { value } }
                if reference[key] == nil {
                    reference[key] = value
                    #expect(k == value)
                }
                var other = key
                if length > 0 { other[place] ^= 0x01 } else { other = [0] }
                absent.append(other)
            }
        }
        #expect(table.count == reference.count)
        for (key, value) in reference {
            let k = key.withUnsafeBytes { table.index(of: $0) }
            #expect(k.map { table[$0] } == value, "\(key)")
            #expect(k.map { table.key($0) } == key)
            // Inserting again finds the same entry.
            #expect(key.withUnsafeBytes { table.findOrInsert($0) { -1 } } == k)
        }
        for key in absent where reference[key] == nil {
            #expect(key.withUnsafeBytes { table.index(of: $0) } == nil, "\(key)")
        }
        #expect(table.count == reference.count)
    }

    /// Keys that differ only by trailing zero bytes are different keys (the table keeps a key's
    /// first 16 bytes zero-padded beside its length).
    @Test func trailingZerosMakeADifferentKey() {
        var table = RewriteKeyTable<Int>(capacity: 1)
        let keys: [[UInt8]] = [[], [0], [0, 0], [7], [7, 0], Array(repeating: 0, count: 16), Array(repeating: 0, count: 17)]
        for (i, key) in keys.enumerated() {
            #expect(key.withUnsafeBytes { table.findOrInsert($0) { i } } == i)
        }
        for (i, key) in keys.enumerated() {
            #expect(key.withUnsafeBytes { table.index(of: $0) } == i)
            #expect(table.key(i) == key)
        }
    }
}
