import RocksSnapshot

// Hash, set, zset and list accessors. Each reads the live meta record first (absent, expired
// at `reference` or count 0 → empty answer), then only data records carrying its version.

extension PikaSnapshot {
    private var isV3: Bool { version.encoding == .blackwidow }

    /// The scan prefix of `key`'s data records at `version`.
    private func dataPrefix(_ key: [UInt8], version dataVersion: UInt64) -> [UInt8] {
        isV3
            ? PikaKeyFormat.v3DataPrefix(key, version: dataVersion)
            : PikaKeyFormat.v4DataPrefix(key, version: dataVersion)
    }

    /// The key of a hash field / set member / zset member record.
    private func dataKey(_ key: [UInt8], version dataVersion: UInt64, data: [UInt8]) -> [UInt8] {
        isV3
            ? PikaKeyFormat.v3DataKey(key, version: dataVersion, data: data)
            : PikaKeyFormat.v4DataKey(key, version: dataVersion, data: data)
    }

    /// The `data` part of a scanned data key (v4: minus the 16 reserve bytes).
    private func dataPart(
        of storedKey: [UInt8], prefixCount: Int, store: Store, role: ColumnFamilyRole
    ) throws(PikaStorageError) -> [UInt8] {
        let end = isV3 ? storedKey.count : storedKey.count - PikaKeyFormat.v4KeySuffixLength
        guard end >= prefixCount else {
            throw store.malformed(role, key: storedKey, "data key shorter than its prefix and reserve")
        }
        return Array(storedKey[prefixCount..<end])
    }

    /// A stored data value's payload: v3 as is; v4 minus `00×16 ‖ le64(ctime)`.
    /// - Parameter legacyRaw: accept v4 values shorter than 24 bytes as raw (4.0.0 HINCRBY, Docs/Format.md §K7.3).
    private func payload(
        of value: [UInt8], storedKey: [UInt8], store: Store, role: ColumnFamilyRole, legacyRaw: Bool = false
    ) throws(PikaStorageError) -> [UInt8] {
        if isV3 { return value }
        let suffix = PikaKeyFormat.v4DataValueSuffixLength
        if value.count < suffix {
            if legacyRaw { return value }
            throw store.malformed(
                role, key: storedKey, "data value of \(value.count) bytes, expected at least \(suffix)")
        }
        return Array(value[..<(value.count - suffix)])
    }

    /// A zset member record's value decoded as a score (8 bytes of IEEE-754 bits, little-endian).
    private func score(
        of value: [UInt8], storedKey: [UInt8], store: Store
    ) throws(PikaStorageError) -> Double {
        let bytes = try payload(of: value, storedKey: storedKey, store: store, role: .zsetData)
        guard bytes.count == 8, let bits = StorageBytes.uint64(bytes, at: 0) else {
            throw store.malformed(.zsetData, key: storedKey, "score of \(bytes.count) bytes, expected 8")
        }
        return Double(bitPattern: bits)
    }

    // MARK: Hashes

    /// HGET at `reference`: the value of `field`, or `nil`.
    public func hashField(_ key: [UInt8], field: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> [UInt8]? {
        guard let (record, store) = try liveRecordAndStore(for: key, type: .hash, at: reference) else { return nil }
        let storedKey = dataKey(key, version: record.version, data: field)
        guard let value = try store.get(storedKey, .hashData) else { return nil }
        return try payload(of: value, storedKey: storedKey, store: store, role: .hashData, legacyRaw: true)
    }

    /// HGETALL at `reference`, in bytewise field order (empty if the hash does not exist).
    public func hashFields(_ key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> [HashField] {
        guard let (record, store) = try liveRecordAndStore(for: key, type: .hash, at: reference) else { return [] }
        let prefix = dataPrefix(key, version: record.version)
        var fields: [HashField] = []
        try store.scan(.hashData, prefix: prefix) { (storedKey, value) throws(PikaStorageError) in
            let field = try dataPart(of: storedKey, prefixCount: prefix.count, store: store, role: .hashData)
            let payload = try payload(of: value, storedKey: storedKey, store: store, role: .hashData, legacyRaw: true)
            fields.append(HashField(field: field, value: payload))
            return true
        }
        return fields
    }

    /// HLEN at `reference`: the meta count (0 if the hash does not exist).
    public func hashLength(_ key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> Int64 {
        try liveRecordAndStore(for: key, type: .hash, at: reference)?.record.count ?? 0
    }

    // MARK: Sets

    /// SISMEMBER at `reference`.
    public func setContains(_ key: [UInt8], member: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> Bool {
        guard let (record, store) = try liveRecordAndStore(for: key, type: .set, at: reference) else { return false }
        return try store.get(dataKey(key, version: record.version, data: member), .setData) != nil
    }

    /// SMEMBERS at `reference`, in bytewise order (empty if the set does not exist).
    public func setMembers(_ key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> [[UInt8]] {
        guard let (record, store) = try liveRecordAndStore(for: key, type: .set, at: reference) else { return [] }
        let prefix = dataPrefix(key, version: record.version)
        var members: [[UInt8]] = []
        try store.scan(.setData, prefix: prefix) { (storedKey, _) throws(PikaStorageError) in
            members.append(try dataPart(of: storedKey, prefixCount: prefix.count, store: store, role: .setData))
            return true
        }
        return members
    }

    /// SCARD at `reference`: the meta count (0 if the set does not exist).
    public func setCardinality(_ key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> Int64 {
        try liveRecordAndStore(for: key, type: .set, at: reference)?.record.count ?? 0
    }

    // MARK: Sorted sets

    /// ZSCORE at `reference`, read from the member → score column family (bytewise, so it does
    /// not depend on the score comparator).
    public func zsetScore(_ key: [UInt8], member: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> Double? {
        guard let (record, store) = try liveRecordAndStore(for: key, type: .zset, at: reference) else { return nil }
        let storedKey = dataKey(key, version: record.version, data: member)
        guard let value = try store.get(storedKey, .zsetData) else { return nil }
        return try score(of: value, storedKey: storedKey, store: store)
    }

    /// ZCARD at `reference`: the meta count (0 if the zset does not exist).
    public func zsetCardinality(_ key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> Int64 {
        try liveRecordAndStore(for: key, type: .zset, at: reference)?.record.count ?? 0
    }

    /// ZRANGE 0 -1 WITHSCORES at `reference`: every member from the member → score column
    /// family, sorted by score, then member bytes (Redis' order).
    public func zsetMembers(_ key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> [ZSetMember] {
        guard let (record, store) = try liveRecordAndStore(for: key, type: .zset, at: reference) else { return [] }
        let prefix = dataPrefix(key, version: record.version)
        var members: [ZSetMember] = []
        try store.scan(.zsetData, prefix: prefix) { (storedKey, value) throws(PikaStorageError) in
            let member = try dataPart(of: storedKey, prefixCount: prefix.count, store: store, role: .zsetData)
            members.append(ZSetMember(member: member, score: try score(of: value, storedKey: storedKey, store: store)))
            return true
        }
        members.sort { a, b in
            a.score != b.score ? a.score < b.score : a.member.lexicographicallyPrecedes(b.member)
        }
        return members
    }

    /// The zset's score index at `reference`, in the order Pika's score comparator stores it
    /// (what ZRANGE reads): a seek to `prefix ‖ -inf`, then every entry with the live version.
    /// - Throws: `.missingColumnFamily` if the score column family was not opened.
    public func zsetMembersByScoreIndex(_ key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> [ZSetMember]
    {
        guard let (record, store) = try liveRecordAndStore(for: key, type: .zset, at: reference) else { return [] }
        let prefix = dataPrefix(key, version: record.version)
        var seekKey = prefix
        StorageBytes.append((-Double.infinity).bitPattern, to: &seekKey)
        var members: [ZSetMember] = []
        try store.scan(.zsetScore, prefix: prefix, seekKey: seekKey) { (storedKey, _) throws(PikaStorageError) in
            let rest = try dataPart(of: storedKey, prefixCount: prefix.count, store: store, role: .zsetScore)
            guard rest.count >= 8, let bits = StorageBytes.uint64(rest, at: 0) else {
                throw store.malformed(.zsetScore, key: storedKey, "score index key without an 8-byte score")
            }
            members.append(ZSetMember(member: Array(rest[8...]), score: Double(bitPattern: bits)))
            return true
        }
        return members
    }

    // MARK: Lists

    /// LLEN at `reference`: the meta count (0 if the list does not exist).
    public func listLength(_ key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> Int64 {
        try liveRecordAndStore(for: key, type: .list, at: reference)?.record.count ?? 0
    }

    /// LRANGE 0 -1 at `reference`: the elements at indexes `left+1 … right-1` of the live
    /// version, in index order, at most `count` of them. Fewer elements than LLEN mean missing
    /// data records (a gap).
    public func listElements(_ key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> [[UInt8]] {
        guard let (record, store) = try liveRecordAndStore(for: key, type: .list, at: reference),
            let indexes = record.listIndexes
        else { return [] }
        let prefix = dataPrefix(key, version: record.version)
        var seekKey = prefix
        StorageBytes.append(indexes.left &+ 1, to: &seekKey)
        let keyCount = prefix.count + 8 + (isV3 ? 0 : PikaKeyFormat.v4KeySuffixLength)
        let limit = record.count
        var elements: [[UInt8]] = []
        try store.scan(.listData, prefix: prefix, seekKey: seekKey) { (storedKey, value) throws(PikaStorageError) in
            guard storedKey.count == keyCount, let index = StorageBytes.uint64(storedKey, at: prefix.count) else {
                throw store.malformed(
                    .listData, key: storedKey, "list data key of \(storedKey.count) bytes, expected \(keyCount)")
            }
            guard index < indexes.right, Int64(elements.count) < limit else { return false }
            elements.append(try payload(of: value, storedKey: storedKey, store: store, role: .listData))
            return true
        }
        return elements
    }
}
