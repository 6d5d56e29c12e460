import RocksSnapshot

/// A read-only view of one Pika db directory: a bgsave dump's `<dump>/<date>/db<N>/`, or a
/// (stopped) server's `<db-path>/db<N>/`.
///
/// Every RocksDB inside is opened with `ReadOnlyDatabase` (no LOCK, nothing written). The
/// answers follow Pika's own read path (Docs/Format.md §K9):
/// - a key exists if its meta record is present, not expired at the **caller's reference time**
///   (never the wall clock), and, for collections, has count ≠ 0;
/// - data records count only if they carry the meta record's version, so data left behind by
///   DEL or expiry (stale versions) is ignored;
/// - in 4.0 a key is looked up in the instance its slot maps to (`crc32(tag) % slotCount %
///   instanceCount`), then, if `searchAllInstances`, in every other instance.
///
/// Typical use:
/// ```swift
/// let snapshot = try PikaSnapshot(directory: "dump/20261120/db0")
/// let at = UnixTime(seconds: 1_795_218_125)
/// if let value = try snapshot.string(Array("k".utf8), at: at) { … }
/// ```
public final class PikaSnapshot: Sendable {
    /// How to open a snapshot.
    public struct Options: Sendable {
        /// The writer's version; `nil` detects it (per-type directories → `.v3`; instance
        /// directories → 4.0.1 if a sampled timestamp has bit 63 set, 4.0.0 if sampled
        /// timestamps are plain seconds, 4.0.1 if none is set). 3.5.3 is never detected.
        public var version: PikaStorageVersion?
        /// Pika's `default-slot-num` (4.0 routing).
        public var slotCount: Int
        /// 4.0: after the routed instance, also look in every other instance.
        public var searchAllInstances: Bool
        /// Open the zset score index (`score_cf` / `zset_score_cf`), which needs Pika's custom
        /// comparator. Without it, `zsetMembersByScoreIndex` throws `missingColumnFamily`;
        /// every other accessor works (zset scores come from the bytewise member CF).
        public var openZSetScoreIndex: Bool

        public init(
            version: PikaStorageVersion? = nil, slotCount: Int = PikaSlot.defaultSlotCount,
            searchAllInstances: Bool = true, openZSetScoreIndex: Bool = true
        ) {
            self.version = version
            self.slotCount = slotCount
            self.searchAllInstances = searchAllInstances
            self.openZSetScoreIndex = openZSetScoreIndex
        }
    }

    /// The db directory that was opened.
    public let directory: String
    /// Its layout.
    public let layout: SnapshotLayout
    /// The writer's storage version (given or detected).
    public let version: PikaStorageVersion
    /// The options used.
    public let options: Options
    /// v3: one store per type directory present; v4: one per instance, by index.
    let stores: [Store]

    /// Opens every RocksDB database of the db directory `directory`, read-only.
    /// - Parameters:
    ///   - directory: the `db<N>` directory (holding `strings/ …` or `0/ 1/ …`).
    ///   - options: version override, 4.0 routing, score index.
    /// - Throws: `PikaStorageError.unrecognizedLayout`, `.layoutMismatch` (explicit version
    ///   contradicts the layout), `.database` (RocksDB could not open a directory; the message is
    ///   RocksDB's), `.malformedRecord` (while sampling timestamps for detection).
    public init(directory: String, options: Options = Options()) throws(PikaStorageError) {
        let layout = try SnapshotLayout.detect(in: directory)
        let encoding: PikaStorageVersion.Encoding
        switch layout {
        case .perType: encoding = .blackwidow
        case .instances: encoding = .floyd
        }
        if let version = options.version, version.encoding != encoding {
            throw .layoutMismatch(directory: directory, version: version, layout: layout)
        }
        let comparatorVersion = options.version ?? (encoding == .blackwidow ? .v3 : .v4_0_1)

        var stores: [Store] = []
        switch layout {
        case .perType(let hasStreams):
            for type in SnapshotLayout.v3Types + (hasStreams ? [.stream] : []) {
                stores.append(
                    try Store.open(
                        path: directory + "/" + type.v3DirectoryName, location: .typeDirectory(type),
                        version: comparatorVersion, openScoreIndex: options.openZSetScoreIndex))
            }
        case .instances(let count):
            for index in 0..<count {
                stores.append(
                    try Store.open(
                        path: directory + "/" + String(index), location: .instance(index),
                        version: comparatorVersion, openScoreIndex: options.openZSetScoreIndex))
            }
        }

        self.directory = directory
        self.layout = layout
        self.options = options
        self.stores = stores
        if let version = options.version {
            self.version = version
        } else if encoding == .blackwidow {
            self.version = .v3
        } else {
            self.version = try Self.detectFloydVersion(stores)
        }
    }

    // MARK: Records

    /// The 4.0 instance that Pika routes `key` to (`crc32(tag) % slotCount % instanceCount`),
    /// or `nil` for a 3.x snapshot.
    public func routedInstance(of key: [UInt8]) -> Int? {
        guard case .instances(let count) = layout else { return nil }
        return PikaSlot.instance(of: key, slotCount: options.slotCount, instanceCount: count)
    }

    /// Every top-level record stored for `key`, live or not: in 3.x one per type directory
    /// holding it (in Pika's TYPE order); in 4.0 one per instance holding it (the routed
    /// instance first; others only if `searchAllInstances`).
    /// - Throws: `.database` on read errors, `.malformedRecord` for undecodable values.
    public func records(for key: [UInt8]) throws(PikaStorageError) -> [KeyRecord] {
        var result: [KeyRecord] = []
        for store in searchOrder(for: key) {
            if let record = try store.record(for: key, version: version) { result.append(record) }
        }
        return result
    }

    /// The live records of `key` at `reference`: in 3.x every live type (a key can be a string
    /// and a hash at once), in TYPE order; in 4.0 at most one.
    public func liveRecords(for key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> [KeyRecord] {
        var result: [KeyRecord] = []
        for store in searchOrder(for: key) {
            guard let record = try store.record(for: key, version: version), record.isLive(at: reference) else {
                continue
            }
            result.append(record)
            if case .instances = layout { break }
        }
        return result
    }

    /// The live types of `key` at `reference`, in Pika's TYPE order (3.x may report several).
    public func types(of key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> [PikaDataType] {
        try liveRecords(for: key, at: reference).map(\.type)
    }

    /// What Pika's TYPE returns at `reference`: the first live type, or `nil` ("none").
    public func type(of key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> PikaDataType? {
        try liveRecords(for: key, at: reference).first?.type
    }

    /// Pika's EXISTS at `reference`.
    public func exists(_ key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> Bool {
        try !liveRecords(for: key, at: reference).isEmpty
    }

    /// The expiry of `key` at `reference`.
    /// - Parameters:
    ///   - type: the type to ask about (3.x keeps one expiry per type); `nil` = the first live type.
    /// - Returns: `.noSuchKey` if there is no live record (of that type), else `.persistent` or
    ///   `.expires(…)` with the absolute time as stored.
    public func expiration(
        of key: [UInt8], type: PikaDataType? = nil, at reference: UnixTime
    ) throws(PikaStorageError) -> Expiration {
        let record: KeyRecord?
        if let type {
            record = try liveRecordAndStore(for: key, type: type, at: reference)?.record
        } else {
            record = try liveRecords(for: key, at: reference).first
        }
        guard let record else { return .noSuchKey }
        return record.expiry.map { .expires($0) } ?? .persistent
    }

    /// The value of string `key` at `reference` (GET), or `nil` if it is absent, expired or
    /// not a string.
    public func string(_ key: [UInt8], at reference: UnixTime) throws(PikaStorageError) -> [UInt8]? {
        try liveRecordAndStore(for: key, type: .string, at: reference)?.record.value
    }

    /// Calls `body` with every top-level record in the snapshot (every string and every meta
    /// record, live or not), store by store, in key order within a store.
    /// - Throws: `.database` on read errors, `.malformedRecord` for undecodable records.
    public func forEachRecord(_ body: (KeyRecord) -> Void) throws(PikaStorageError) {
        for store in stores {
            let iterator = store.database.makeIterator(over: try store.columnFamily(.meta))
            iterator.seekToFirst()
            while iterator.isValid {
                let record: KeyRecord
                switch store.location {
                case .typeDirectory(let type):
                    record = try KeyRecord.decodeV3(
                        key: iterator.key, value: iterator.value, type: type, path: store.path)
                case .instance(let index):
                    record = try KeyRecord.decodeV4(
                        metaKey: iterator.key, userKey: nil, value: iterator.value, instance: index,
                        path: store.path, version: version)
                }
                body(record)
                iterator.next()
            }
            try store.check(iterator)
        }
    }

    // MARK: Internals

    /// The stores to probe for `key`, in order.
    func searchOrder(for key: [UInt8]) -> [Store] {
        guard let routed = routedInstance(of: key) else {
            // v3: Pika's TYPE order.
            return PikaDataType.typeCommandOrder.compactMap { type in
                stores.first { $0.location == .typeDirectory(type) }
            }
        }
        guard options.searchAllInstances else { return [stores[routed]] }
        return [stores[routed]] + stores.enumerated().filter { $0.offset != routed }.map(\.element)
    }

    /// The live record of `key` with type `type`, or `nil` if `key` has no live record of that type.
    public func liveRecord(for key: [UInt8], type: PikaDataType, at reference: UnixTime) throws(PikaStorageError) -> KeyRecord? {
        try liveRecordAndStore(for: key, type: type, at: reference)?.record
    }

    /// The live record of `key` with type `type`, and the store holding it (where its data
    /// records are), or `nil` if `key` has no live record of that type.
    func liveRecordAndStore(
        for key: [UInt8], type: PikaDataType, at reference: UnixTime
    ) throws(PikaStorageError) -> (record: KeyRecord, store: Store)? {
        switch layout {
        case .perType:
            guard let store = stores.first(where: { $0.location == .typeDirectory(type) }),
                let record = try store.record(for: key, version: version), record.isLive(at: reference)
            else { return nil }
            return (record, store)
        case .instances:
            for store in searchOrder(for: key) {
                guard let record = try store.record(for: key, version: version), record.isLive(at: reference) else {
                    continue
                }
                return record.type == type ? (record, store) : nil
            }
            return nil
        }
    }

    /// Samples up to `limit` values per instance for their ctime/etime encoding (Docs/Format.md §K7.2).
    private static func detectFloydVersion(_ stores: [Store], limit: Int = 1000) throws(PikaStorageError)
        -> PikaStorageVersion
    {
        let flag: UInt64 = 1 << 63
        var sawSeconds = false
        for store in stores {
            let iterator = store.database.makeIterator(over: try store.columnFamily(.meta))
            iterator.seekToFirst()
            var seen = 0
            while iterator.isValid && seen < limit {
                let value = iterator.value
                seen += 1
                iterator.next()
                guard let tag = value.first, tag <= PikaDataType.zset.rawValue, value.count >= 33 else { continue }
                // 4.0.1 writes HyperLogLog times without the flag; skip them.
                if tag == PikaDataType.string.rawValue && value[value.count - 32] & 0x80 != 0 { continue }
                for offset in [value.count - 16, value.count - 8] {
                    let time = StorageBytes.uint64(value, at: offset)!
                    if time & flag != 0 { return .v4_0_1 }
                    if time != 0 { sawSeconds = true }
                }
            }
            try store.check(iterator)
        }
        return sawSeconds ? .v4_0_0 : .v4_0_1
    }
}

/// The role a column family plays; its name depends on the encoding (Docs/Format.md §K3).
enum ColumnFamilyRole: Hashable, Sendable {
    case meta, hashData, setData, listData, zsetData, zsetScore, streamData
}

/// One opened RocksDB database of a snapshot.
struct Store: Sendable {
    let location: StorageLocation
    let path: String
    let database: ReadOnlyDatabase
    let columnFamilies: [ColumnFamilyRole: ColumnFamily]
    let names: [ColumnFamilyRole: String]

    /// The column families of one database: role, name, comparator.
    static func schema(
        for location: StorageLocation, version: PikaStorageVersion
    ) -> [(role: ColumnFamilyRole, name: String, comparator: KeyComparator)] {
        switch location {
        case .typeDirectory(let type):
            let meta: (ColumnFamilyRole, String, KeyComparator) = (.meta, "default", .bytewise)
            switch type {
            case .string: return [meta]
            case .hash: return [meta, (.hashData, "data_cf", .bytewise)]
            case .set: return [meta, (.setData, "member_cf", .bytewise)]
            case .list: return [meta, (.listData, "data_cf", PikaKeyComparators.blackwidowListsDataKey)]
            case .zset:
                let score =
                    version == .v3_5_3
                    ? PikaKeyComparators.blackwidowZSetsScoreKey353 : PikaKeyComparators.blackwidowZSetsScoreKey
                return [meta, (.zsetData, "data_cf", .bytewise), (.zsetScore, "score_cf", score)]
            case .stream: return [meta, (.streamData, "data_cf", .bytewise)]
            }
        case .instance:
            return [
                (.meta, "default", .bytewise),
                (.hashData, "hash_data_cf", .bytewise),
                (.setData, "set_data_cf", .bytewise),
                (.listData, "list_data_cf", PikaKeyComparators.floydListsDataKey),
                (.zsetData, "zset_data_cf", .bytewise),
                (.zsetScore, "zset_score_cf", PikaKeyComparators.floydZSetsScoreKey),
                (.streamData, "stream_data_cf", .bytewise),
            ]
        }
    }

    /// What a failure to open `path` was: a newer table format than this build reads (typed, from
    /// the files' footers), else RocksDB's own error.
    static func opening(_ path: String, _ error: RocksSnapshotError) -> PikaStorageError {
        guard case .rocksDB = error else { return .database(error) }
        return newerTableFormat(in: path, readerVersion: RocksDBSupport.libraryVersion) ?? .database(error)
    }

    /// Opens the column families of `schema` that the database has (read-only).
    static func open(
        path: String, location: StorageLocation, version: PikaStorageVersion, openScoreIndex: Bool
    ) throws(PikaStorageError) -> Store {
        let schema = schema(for: location, version: version)
        try requireReadableDatabase(at: path)
        let existing: [String]
        do { existing = try ReadOnlyDatabase.columnFamilyNames(at: path) } catch { throw opening(path, error) }
        let wanted = schema.filter { existing.contains($0.name) && (openScoreIndex || $0.role != .zsetScore) }
        let database: ReadOnlyDatabase
        do {
            database = try ReadOnlyDatabase(
                path: path, columnFamilies: wanted.map { ColumnFamilyDescriptor($0.name, comparator: $0.comparator) })
        } catch { throw opening(path, error) }
        var columnFamilies: [ColumnFamilyRole: ColumnFamily] = [:]
        for entry in wanted {
            columnFamilies[entry.role] = database.columnFamily(named: entry.name)
        }
        return Store(
            location: location, path: path, database: database, columnFamilies: columnFamilies,
            names: Dictionary(uniqueKeysWithValues: schema.map { ($0.role, $0.name) }))
    }

    /// The open column family for `role`.
    /// - Throws: `.missingColumnFamily` if the database lacks it or it was not opened.
    func columnFamily(_ role: ColumnFamilyRole) throws(PikaStorageError) -> ColumnFamily {
        guard let columnFamily = columnFamilies[role] else {
            throw .missingColumnFamily(path: path, columnFamily: names[role] ?? "\(role)")
        }
        return columnFamily
    }

    /// Point lookup in the column family for `role`.
    func get(_ key: [UInt8], _ role: ColumnFamilyRole) throws(PikaStorageError) -> [UInt8]? {
        let columnFamily = try columnFamily(role)
        do { return try database.get(key, in: columnFamily) } catch { throw .database(error) }
    }

    /// The decoded top-level record of `key` in this store, or `nil`.
    func record(for key: [UInt8], version: PikaStorageVersion) throws(PikaStorageError) -> KeyRecord? {
        switch location {
        case .typeDirectory(let type):
            guard let value = try get(key, .meta) else { return nil }
            return try KeyRecord.decodeV3(key: key, value: value, type: type, path: path)
        case .instance(let index):
            let metaKey = PikaKeyFormat.v4MetaKey(key)
            guard let value = try get(metaKey, .meta) else { return nil }
            return try KeyRecord.decodeV4(
                metaKey: metaKey, userKey: key, value: value, instance: index, path: path, version: version)
        }
    }

    /// Visits the entries of `role`'s column family whose keys start with `prefix`, beginning
    /// at `seekKey` (which must sort at or after the first such key), until `body` returns false.
    func scan(
        _ role: ColumnFamilyRole, prefix: [UInt8], seekKey: [UInt8]? = nil,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws(PikaStorageError) -> Bool
    ) throws(PikaStorageError) {
        let iterator = database.makeIterator(over: try columnFamily(role))
        iterator.seek(to: seekKey ?? prefix)
        while iterator.isValid {
            let key = iterator.key
            guard key.starts(with: prefix), try body(key, iterator.value) else { break }
            iterator.next()
        }
        try check(iterator)
    }

    func check(_ iterator: DatabaseIterator) throws(PikaStorageError) {
        do { try iterator.checkStatus() } catch { throw .database(error) }
    }

    func malformed(_ role: ColumnFamilyRole, key: [UInt8], _ reason: String) -> PikaStorageError {
        .malformedRecord(path: path, columnFamily: names[role] ?? "\(role)", key: key, reason: reason)
    }
}
