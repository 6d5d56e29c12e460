/// The byte layouts of Pika's RocksDB keys and data values (Docs/Format.md §K6, §K7).
///
/// v3 (blackwidow, 3.x/3.5):
///
/// | record | key |
/// |---|---|
/// | meta, string | `K` |
/// | hash field, set member, zset member | `le32(len K) ‖ K ‖ le32(ver) ‖ data` |
/// | list element | `le32(len K) ‖ K ‖ le32(ver) ‖ le64(index)` |
/// | zset score index | `le32(len K) ‖ K ‖ le32(ver) ‖ le64(bits of score) ‖ member` |
///
/// v4 (floyd, 4.0): `enc(K)` escapes each `00` as `00 01` and appends `00 00`.
///
/// | record | key |
/// |---|---|
/// | meta, string | `00×8 ‖ enc(K) ‖ 00×16` |
/// | hash field, set member, zset member | `00×8 ‖ enc(K) ‖ le64(ver) ‖ data ‖ 00×16` |
/// | list element | `00×8 ‖ enc(K) ‖ le64(ver) ‖ le64(index) ‖ 00×16` |
/// | zset score index | `00×8 ‖ enc(K) ‖ le64(ver) ‖ le64(bits of score) ‖ member ‖ 00×16` |
///
/// v4 data values are `x ‖ 00×16 ‖ le64(ctime)` (`base_data_value_format.h@v4.0.1`).
package enum PikaKeyFormat {
    /// A new list's left index, 2^63 − 1 (`InitalLeftIndex`); LPUSH writes here, then decrements.
    package static let initialListLeftIndex: UInt64 = 9_223_372_036_854_775_807
    /// A new list's right index, 2^63 (`InitalRightIndex`); RPUSH writes here, then increments.
    package static let initialListRightIndex: UInt64 = 9_223_372_036_854_775_808
    /// v4: zero bytes before the encoded key (`kPrefixReserveLength`).
    package static let v4PrefixReserveLength = 8
    /// v4: zero bytes after every key (`kSuffixReserveLength`).
    package static let v4KeySuffixLength = 16
    /// v4: bytes after the payload of a data value: 16 reserve + 8 ctime.
    package static let v4DataValueSuffixLength = 24

    // MARK: v3

    /// `le32(len K) ‖ K ‖ le32(ver)`: the scan prefix of every v3 data record of `key`.
    /// - Parameter version: the meta version; only its low 32 bits are stored.
    package static func v3DataPrefix(_ key: [UInt8], version: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(key.count + 8)
        StorageBytes.append(UInt32(truncatingIfNeeded: key.count), to: &bytes)
        bytes += key
        StorageBytes.append(UInt32(truncatingIfNeeded: version), to: &bytes)
        return bytes
    }

    /// v3 hash field / set member / zset member key: `prefix ‖ data`.
    package static func v3DataKey(_ key: [UInt8], version: UInt64, data: [UInt8]) -> [UInt8] {
        v3DataPrefix(key, version: version) + data
    }

    /// v3 list element key: `prefix ‖ le64(index)`.
    package static func v3ListDataKey(_ key: [UInt8], version: UInt64, index: UInt64) -> [UInt8] {
        var bytes = v3DataPrefix(key, version: version)
        StorageBytes.append(index, to: &bytes)
        return bytes
    }

    /// v3 zset score-index key: `prefix ‖ le64(bits of score) ‖ member`.
    package static func v3ZSetScoreKey(_ key: [UInt8], version: UInt64, score: Double, member: [UInt8]) -> [UInt8] {
        var bytes = v3DataPrefix(key, version: version)
        StorageBytes.append(score.bitPattern, to: &bytes)
        return bytes + member
    }

    // MARK: v4

    /// Appends `enc(key)`: each `00` becomes `00 01`, then the terminator `00 00`
    /// (`EncodeUserKey` in `storage_define.h@v4.0.1`).
    package static func appendEncodedUserKey(_ key: [UInt8], to bytes: inout [UInt8]) {
        for byte in key {
            bytes.append(byte)
            if byte == 0 { bytes.append(1) }
        }
        bytes.append(0)
        bytes.append(0)
    }

    /// Decodes `enc(K)` starting at `offset`.
    /// - Returns: the user key and the offset just past the `00 00` terminator, or `nil` if
    ///   there is no terminator or a `00` is followed by anything but `01`/`00`.
    package static func decodeUserKey(_ bytes: [UInt8], from offset: Int) -> (key: [UInt8], end: Int)? {
        var key: [UInt8] = []
        var i = offset
        while i < bytes.count {
            let byte = bytes[i]
            if byte != 0 {
                key.append(byte)
                i += 1
                continue
            }
            guard i + 1 < bytes.count else { return nil }
            switch bytes[i + 1] {
            case 0: return (key, i + 2)
            case 1: key.append(0); i += 2
            default: return nil
            }
        }
        return nil
    }

    /// v4 meta/string key `00×8 ‖ enc(K) ‖ 00×16` (`BaseMetaKey`).
    package static func v4MetaKey(_ key: [UInt8]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: v4PrefixReserveLength)
        bytes.reserveCapacity(key.count + 28)
        appendEncodedUserKey(key, to: &bytes)
        bytes += repeatElement(0, count: v4KeySuffixLength)
        return bytes
    }

    /// Decodes a v4 meta key back to the user key, or `nil` if it is not `00×8 ‖ enc(K) ‖ 00×16`.
    package static func v4UserKey(fromMetaKey bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= v4PrefixReserveLength + 2 + v4KeySuffixLength,
            let (key, end) = decodeUserKey(bytes, from: v4PrefixReserveLength),
            end + v4KeySuffixLength == bytes.count
        else { return nil }
        return key
    }

    /// `00×8 ‖ enc(K) ‖ le64(ver)`: the scan prefix of every v4 data record of `key`
    /// (`BaseDataKey::EncodeSeekKey` with empty data).
    package static func v4DataPrefix(_ key: [UInt8], version: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: v4PrefixReserveLength)
        bytes.reserveCapacity(key.count + 18)
        appendEncodedUserKey(key, to: &bytes)
        StorageBytes.append(version, to: &bytes)
        return bytes
    }

    /// v4 hash field / set member / zset member key: `prefix ‖ data ‖ 00×16`.
    package static func v4DataKey(_ key: [UInt8], version: UInt64, data: [UInt8]) -> [UInt8] {
        v4DataPrefix(key, version: version) + data + repeatElement(0, count: v4KeySuffixLength)
    }

    /// v4 list element key: `prefix ‖ le64(index) ‖ 00×16`.
    package static func v4ListDataKey(_ key: [UInt8], version: UInt64, index: UInt64) -> [UInt8] {
        var bytes = v4DataPrefix(key, version: version)
        StorageBytes.append(index, to: &bytes)
        return bytes + repeatElement(0, count: v4KeySuffixLength)
    }

    /// v4 zset score-index key: `prefix ‖ le64(bits of score) ‖ member ‖ 00×16`.
    package static func v4ZSetScoreKey(_ key: [UInt8], version: UInt64, score: Double, member: [UInt8]) -> [UInt8] {
        var bytes = v4DataPrefix(key, version: version)
        StorageBytes.append(score.bitPattern, to: &bytes)
        return bytes + member + repeatElement(0, count: v4KeySuffixLength)
    }

    /// v4 data value `payload ‖ 00×16 ‖ le64(ctime)`.
    /// - Parameter storedCreationTime: the ctime field exactly as stored (flagged or not).
    package static func v4DataValue(_ payload: [UInt8], storedCreationTime: UInt64) -> [UInt8] {
        var bytes = payload + repeatElement(0, count: 16)
        StorageBytes.append(storedCreationTime, to: &bytes)
        return bytes
    }
}
