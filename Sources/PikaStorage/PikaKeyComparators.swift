import RocksSnapshot

/// Pika's custom RocksDB comparators, re-implemented in Swift under their exact names
/// (Docs/Format.md §K4; `src/storage/src/custom_comparator.h` at v3.5.0/v3.5.3/v4.0.1).
///
/// Every function follows Pika's order on well-formed keys (including the shortened separator
/// keys RocksDB stores in index blocks) and **never traps**: when a key is too short for the
/// field being compared, the remaining bytes are compared bytewise instead, which agrees with
/// Pika wherever Pika itself does not read past the end.
public enum PikaKeyComparators {
    /// `blackwidow.ListsDataKeyComparator` (3.x/3.5 `lists/data_cf`).
    public static let blackwidowListsDataKey = KeyComparator(
        name: "blackwidow.ListsDataKeyComparator", compare: compareBlackwidowListsDataKeys)
    /// `blackwidow.ZSetsScoreKeyComparator` as written by 3.3–3.5.2, 3.5.4 and 3.5.5.
    public static let blackwidowZSetsScoreKey = KeyComparator(
        name: "blackwidow.ZSetsScoreKeyComparator", compare: compareBlackwidowZSetsScoreKeys)
    /// `blackwidow.ZSetsScoreKeyComparator` as written by 3.5.3 (same name, versions compared
    /// as signed integers).
    public static let blackwidowZSetsScoreKey353 = KeyComparator(
        name: "blackwidow.ZSetsScoreKeyComparator", compare: compareBlackwidowZSetsScoreKeys353)
    /// `floyd.ListsDataKeyComparator` (4.0 `list_data_cf`).
    public static let floydListsDataKey = KeyComparator(
        name: "floyd.ListsDataKeyComparator", compare: compareFloydListsDataKeys)
    /// `floyd.ZSetsScoreKeyComparator` (4.0 `zset_score_cf`).
    public static let floydZSetsScoreKey = KeyComparator(
        name: "floyd.ZSetsScoreKeyComparator", compare: compareFloydZSetsScoreKeys)

    // MARK: Orders

    /// v3 list data keys `le32(len) ‖ K ‖ i32 version ‖ u64 index`: user key (Slice compare,
    /// without the length word), then "ends here sorts first", then the version as `Int32`, the
    /// same end rule, then the index as `UInt64`; bytes after the index are ignored.
    public static func compareBlackwidowListsDataKeys(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int32
    {
        guard a.count >= 4, b.count >= 4 else { return bytewise(a, b) }
        let aKeyEnd = 4 + Int(StorageBytes.uint32(a, at: 0))
        let bKeyEnd = 4 + Int(StorageBytes.uint32(b, at: 0))
        guard aKeyEnd <= a.count, bKeyEnd <= b.count else { return bytewise(a, b) }
        let keyOrder = bytewise(slice(a, 4, aKeyEnd), slice(b, 4, bKeyEnd))
        if keyOrder != 0 { return keyOrder }
        // Equal user keys imply equal key ends.
        var offset = aKeyEnd
        if let endOrder = endOrder(a, b, offset) { return endOrder }
        guard offset + 4 <= a.count, offset + 4 <= b.count else { return tail(a, b, offset) }
        let aVersion = Int32(bitPattern: StorageBytes.uint32(a, at: offset))
        let bVersion = Int32(bitPattern: StorageBytes.uint32(b, at: offset))
        if aVersion != bVersion { return aVersion < bVersion ? -1 : 1 }
        offset += 4
        if let endOrder = endOrder(a, b, offset) { return endOrder }
        guard offset + 8 <= a.count, offset + 8 <= b.count else { return tail(a, b, offset) }
        let aIndex = StorageBytes.uint64(a, at: offset)
        let bIndex = StorageBytes.uint64(b, at: offset)
        if aIndex != bIndex { return aIndex < bIndex ? -1 : 1 }
        return 0
    }

    /// v3 zset score keys `le32(len) ‖ K ‖ le32(version) ‖ f64 score ‖ member` (3.3–3.5.2,
    /// 3.5.4+): Slice compare of the first `4 + len + 4` bytes (raw little-endian version bytes),
    /// then the score as a double, then "ends after the score sorts first", then the member.
    public static func compareBlackwidowZSetsScoreKeys(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer)
        -> Int32
    {
        guard a.count >= 4, b.count >= 4 else { return bytewise(a, b) }
        let aPrefixEnd = 8 + Int(StorageBytes.uint32(a, at: 0))
        let bPrefixEnd = 8 + Int(StorageBytes.uint32(b, at: 0))
        guard aPrefixEnd <= a.count, bPrefixEnd <= b.count else { return bytewise(a, b) }
        let prefixOrder = bytewise(slice(a, 0, aPrefixEnd), slice(b, 0, bPrefixEnd))
        if prefixOrder != 0 { return prefixOrder }
        return compareScoreAndMember(a, b, scoreOffset: aPrefixEnd)
    }

    /// v3 zset score keys as ordered by Pika 3.5.3: Slice compare of `4 + len` bytes, then the
    /// version as `Int32`, then score and member as in `compareBlackwidowZSetsScoreKeys`.
    public static func compareBlackwidowZSetsScoreKeys353(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer)
        -> Int32
    {
        guard a.count >= 4, b.count >= 4 else { return bytewise(a, b) }
        let aKeyEnd = 4 + Int(StorageBytes.uint32(a, at: 0))
        let bKeyEnd = 4 + Int(StorageBytes.uint32(b, at: 0))
        guard aKeyEnd <= a.count, bKeyEnd <= b.count else { return bytewise(a, b) }
        let keyOrder = bytewise(slice(a, 0, aKeyEnd), slice(b, 0, bKeyEnd))
        if keyOrder != 0 { return keyOrder }
        let offset = aKeyEnd
        guard offset + 4 <= a.count, offset + 4 <= b.count else { return tail(a, b, offset) }
        let aVersion = Int32(bitPattern: StorageBytes.uint32(a, at: offset))
        let bVersion = Int32(bitPattern: StorageBytes.uint32(b, at: offset))
        if aVersion != bVersion { return aVersion < bVersion ? -1 : 1 }
        return compareScoreAndMember(a, b, scoreOffset: offset + 4)
    }

    /// v4 list data keys `00×8 ‖ enc(K) ‖ u64 version ‖ u64 index ‖ 00×16`: Slice compare up
    /// to and including the `00 00` delimiter (reserve bytes included), the end rule, the
    /// version as `UInt64`, the end rule, the index as `UInt64`; the trailing reserve is ignored.
    public static func compareFloydListsDataKeys(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int32 {
        let reserve = PikaKeyFormat.v4PrefixReserveLength
        guard a.count > reserve, b.count > reserve,
            let aKeyEnd = delimiterEnd(a, from: reserve), let bKeyEnd = delimiterEnd(b, from: reserve)
        else { return bytewise(a, b) }
        let keyOrder = bytewise(slice(a, 0, aKeyEnd), slice(b, 0, bKeyEnd))
        if keyOrder != 0 { return keyOrder }
        var offset = aKeyEnd
        if let endOrder = endOrder(a, b, offset) { return endOrder }
        guard offset + 8 <= a.count, offset + 8 <= b.count else { return tail(a, b, offset) }
        let aVersion = StorageBytes.uint64(a, at: offset)
        let bVersion = StorageBytes.uint64(b, at: offset)
        if aVersion != bVersion { return aVersion < bVersion ? -1 : 1 }
        offset += 8
        if let endOrder = endOrder(a, b, offset) { return endOrder }
        guard offset + 8 <= a.count, offset + 8 <= b.count else { return tail(a, b, offset) }
        let aIndex = StorageBytes.uint64(a, at: offset)
        let bIndex = StorageBytes.uint64(b, at: offset)
        if aIndex != bIndex { return aIndex < bIndex ? -1 : 1 }
        return 0
    }

    /// v4 zset score keys `00×8 ‖ enc(K) ‖ u64 version ‖ f64 score ‖ member ‖ 00×16`: Slice
    /// compare of the encoded key after the reserve, up to and including its delimiter, the
    /// version as `UInt64`, the score as a double, then Slice compare of everything after the
    /// score (member plus reserve, or what is left of a shortened separator).
    public static func compareFloydZSetsScoreKeys(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int32 {
        let reserve = PikaKeyFormat.v4PrefixReserveLength
        guard a.count > reserve, b.count > reserve,
            let aKeyEnd = delimiterEnd(a, from: reserve), let bKeyEnd = delimiterEnd(b, from: reserve)
        else { return bytewise(a, b) }
        let keyOrder = bytewise(slice(a, reserve, aKeyEnd), slice(b, reserve, bKeyEnd))
        if keyOrder != 0 { return keyOrder }
        // The reserve bytes are skipped by Pika; they are always zero.
        var offset = aKeyEnd
        guard offset + 8 <= a.count, offset + 8 <= b.count else { return tail(a, b, offset) }
        let aVersion = StorageBytes.uint64(a, at: offset)
        let bVersion = StorageBytes.uint64(b, at: offset)
        if aVersion != bVersion { return aVersion < bVersion ? -1 : 1 }
        offset += 8
        guard offset + 8 <= a.count, offset + 8 <= b.count else { return tail(a, b, offset) }
        let scoreOrder = compareScores(a, b, at: offset)
        if scoreOrder != 0 { return scoreOrder }
        offset += 8
        return tail(a, b, offset)
    }

    // MARK: Pieces

    @inline(__always)
    private static func bytewise(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int32 {
        KeyComparator.compareBytewise(a, b)
    }

    @inline(__always)
    private static func slice(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    /// Bytewise order of the bytes from `offset` on (the bytes before it are equal).
    @inline(__always)
    private static func tail(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, _ offset: Int) -> Int32 {
        bytewise(slice(a, min(offset, a.count), a.count), slice(b, min(offset, b.count), b.count))
    }

    /// Pika's "a key that ends here sorts first" rule, or `nil` if neither ends at `offset`.
    @inline(__always)
    private static func endOrder(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, _ offset: Int) -> Int32? {
        let aEnds = offset >= a.count
        let bEnds = offset >= b.count
        if aEnds && bEnds { return 0 }
        if aEnds { return -1 }
        if bEnds { return 1 }
        return nil
    }

    /// Numeric order of two 8-byte little-endian IEEE doubles at `offset`; -0 equals +0.
    /// NaN (never written by Pika) falls back to the order of the raw bits, to stay total.
    @inline(__always)
    private static func compareScores(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, at offset: Int) -> Int32
    {
        let aBits = StorageBytes.uint64(a, at: offset)
        let bBits = StorageBytes.uint64(b, at: offset)
        let aScore = Double(bitPattern: aBits)
        let bScore = Double(bitPattern: bBits)
        if aScore.isNaN || bScore.isNaN {
            return aBits == bBits ? 0 : (aBits < bBits ? -1 : 1)
        }
        if aScore == bScore { return 0 }
        return aScore < bScore ? -1 : 1
    }

    /// blackwidow: score, then "ends after the score sorts first", then member bytes.
    private static func compareScoreAndMember(
        _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, scoreOffset offset: Int
    ) -> Int32 {
        guard offset + 8 <= a.count, offset + 8 <= b.count else { return tail(a, b, offset) }
        let scoreOrder = compareScores(a, b, at: offset)
        if scoreOrder != 0 { return scoreOrder }
        return tail(a, b, offset + 8)  // Slice compare already sorts an empty member first.
    }

    /// The offset just past the first `00 00` pair at or after `start` (Pika's
    /// `SeekUserkeyDelim`), or `nil` if there is none.
    @inline(__always)
    private static func delimiterEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var zeroAhead = false
        var i = start
        while i < bytes.count {
            let isZero = bytes[i] == 0
            if isZero && zeroAhead { return i + 1 }
            zeroAhead = isZero
            i += 1
        }
        return nil
    }
}
