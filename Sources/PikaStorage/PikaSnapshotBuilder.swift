@_spi(Testing) import RocksSnapshot

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Writes a Pika db directory in a chosen version's layout and encoding, the way Pika's
/// storage layer leaves it after the corresponding commands. For tests only.
///
/// - 3.x: `strings/ hashes/ lists/ sets/ zsets/ [streams/]`, `blackwidow.*` comparators.
/// - 4.0: `0/ … n-1/`, each with the seven column families and the `floyd.*` comparators; keys
///   go to the instance their slot maps to.
///
/// Versions and times are written in the version's units: int32 seconds (3.x), uint64 seconds
/// (4.0.0), uint64 milliseconds with bit 63 set (4.0.1). Data versions are taken as given.
/// Call `finish()` to flush and close; without it the writes stay in the WAL (as in a crashed
/// or unflushed database).
@_spi(Testing)
public final class PikaSnapshotBuilder {
    /// The db directory being written.
    public let directory: String
    /// The encoding being written.
    public let version: PikaStorageVersion
    /// `default-slot-num` for 4.0 routing.
    public let slotCount: Int
    private let writers: [StorageLocation: DatabaseWriter]
    private let columnFamilies: [StorageLocation: [ColumnFamilyRole: ColumnFamily]]
    private let instanceCount: Int

    /// Creates `directory` (one level) and every RocksDB database and column family inside it.
    /// - Parameters:
    ///   - directory: the `db<N>` directory to create; its parent must exist.
    ///   - version: the layout and encoding to write.
    ///   - instanceCount: 4.0 `db-instance-num`.
    ///   - slotCount: 4.0 `default-slot-num`.
    ///   - includeStreams: 3.x only: also create `streams/` (3.5.3+).
    /// - Throws: `PikaStorageError.database` with RocksDB's message.
    public init(
        creatingAt directory: String, version: PikaStorageVersion,
        instanceCount: Int = PikaSlot.defaultInstanceCount, slotCount: Int = PikaSlot.defaultSlotCount,
        includeStreams: Bool = false
    ) throws(PikaStorageError) {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw .unencodable(reason: "cannot create \(directory) (errno \(errno))")
        }
        guard instanceCount > 0, slotCount > 0 else {
            throw .unencodable(reason: "instance and slot counts must be positive")
        }
        let locations: [(StorageLocation, String)]
        switch version.encoding {
        case .blackwidow:
            locations = (SnapshotLayout.v3Types + (includeStreams ? [.stream] : [])).map {
                (.typeDirectory($0), directory + "/" + $0.v3DirectoryName)
            }
        case .floyd:
            locations = (0..<instanceCount).map { (.instance($0), directory + "/" + String($0)) }
        }
        var writers: [StorageLocation: DatabaseWriter] = [:]
        var columnFamilies: [StorageLocation: [ColumnFamilyRole: ColumnFamily]] = [:]
        for (location, path) in locations {
            let schema = Store.schema(for: location, version: version)
            let writer: DatabaseWriter
            do {
                writer = try DatabaseWriter(
                    creatingAt: path,
                    columnFamilies: schema.map { ColumnFamilyDescriptor($0.name, comparator: $0.comparator) })
            } catch { throw .database(error) }
            writers[location] = writer
            columnFamilies[location] = Dictionary(
                uniqueKeysWithValues: schema.map { ($0.role, writer.columnFamily(named: $0.name)!) })
        }
        self.directory = directory
        self.version = version
        self.slotCount = slotCount
        self.instanceCount = instanceCount
        self.writers = writers
        self.columnFamilies = columnFamilies
    }

    deinit {
        for writer in writers.values { writer.close() }
    }

    /// Flushes every memtable into SST files (unless `flush` is false) and closes every database.
    public func finish(flush: Bool = true) throws(PikaStorageError) {
        for writer in writers.values {
            if flush {
                do { try writer.flush() } catch { throw .database(error) }
            }
            writer.close()
        }
    }

    // MARK: Strings

    /// SET (with an absolute expiry for SETEX/EXPIREAT).
    /// - Parameters:
    ///   - expiresAt: absolute expiry, `nil` for none.
    ///   - createdAt: 4.0 ctime, `nil` to store 0.
    ///   - hyperLogLog: 4.0: set the HyperLogLog flag in the first reserve byte.
    ///   - instance: 4.0: write into this instance instead of the routed one.
    public func putString(
        _ key: [UInt8], _ value: [UInt8], expiresAt: UnixTime? = nil, createdAt: UnixTime? = nil,
        hyperLogLog: Bool = false, instance: Int? = nil
    ) throws(PikaStorageError) {
        switch version.encoding {
        case .blackwidow:
            var stored = value
            StorageBytes.append(try v3Time(expiresAt), to: &stored)
            try put(key, stored, .typeDirectory(.string), .meta)
        case .floyd:
            var stored: [UInt8] = [PikaDataType.string.rawValue] + value
            var reserve = [UInt8](repeating: 0, count: 16)
            if hyperLogLog { reserve[0] |= 0x80 }
            stored += reserve
            StorageBytes.append(try v4Time(createdAt), to: &stored)
            StorageBytes.append(try v4Time(expiresAt), to: &stored)
            try put(PikaKeyFormat.v4MetaKey(key), stored, try location(of: key, override: instance), .meta)
        }
    }

    // MARK: Collections

    /// A hash with exactly `fields` (distinct field names), at data version `version`.
    public func putHash(
        _ key: [UInt8], _ fields: [HashField], version dataVersion: UInt64,
        expiresAt: UnixTime? = nil, createdAt: UnixTime? = nil
    ) throws(PikaStorageError) {
        let location = try writeMeta(key, .hash, count: fields.count, dataVersion, expiresAt, createdAt)
        for field in fields {
            try put(
                dataKey(key, dataVersion, field.field), try dataValue(field.value, createdAt),
                location, .hashData)
        }
    }

    /// 4.0.0's HINCRBY bug (issue #2886): overwrite one hash field's data record with a raw
    /// value, without the 24-byte data-value suffix. 4.0 only.
    public func putLegacyHashField(
        _ key: [UInt8], field: [UInt8], rawValue: [UInt8], version dataVersion: UInt64
    ) throws(PikaStorageError) {
        guard version.encoding == .floyd else { throw .unencodable(reason: "legacy hash values exist only in 4.0") }
        try put(dataKey(key, dataVersion, field), rawValue, try location(of: key), .hashData)
    }

    /// A set with exactly `members` (distinct), at data version `version`.
    public func putSet(
        _ key: [UInt8], _ members: [[UInt8]], version dataVersion: UInt64,
        expiresAt: UnixTime? = nil, createdAt: UnixTime? = nil
    ) throws(PikaStorageError) {
        let location = try writeMeta(key, .set, count: members.count, dataVersion, expiresAt, createdAt)
        for member in members {
            try put(dataKey(key, dataVersion, member), try dataValue([], createdAt), location, .setData)
        }
    }

    /// A sorted set with exactly `members` (distinct), at data version `version`: member → score
    /// records and score-index records.
    public func putZSet(
        _ key: [UInt8], _ members: [ZSetMember], version dataVersion: UInt64,
        expiresAt: UnixTime? = nil, createdAt: UnixTime? = nil
    ) throws(PikaStorageError) {
        let location = try writeMeta(key, .zset, count: members.count, dataVersion, expiresAt, createdAt)
        for entry in members {
            var scoreBytes: [UInt8] = []
            StorageBytes.append(entry.score.bitPattern, to: &scoreBytes)
            try put(dataKey(key, dataVersion, entry.member), try dataValue(scoreBytes, createdAt), location, .zsetData)
            let scoreKey =
                version.encoding == .blackwidow
                ? PikaKeyFormat.v3ZSetScoreKey(key, version: dataVersion, score: entry.score, member: entry.member)
                : PikaKeyFormat.v4ZSetScoreKey(key, version: dataVersion, score: entry.score, member: entry.member)
            try put(scoreKey, try dataValue([], createdAt), location, .zsetScore)
        }
    }

    /// A list holding `elements` in order at indexes `leftIndex+1 …`, at data version `version`.
    /// - Parameter leftIndex: the meta's left index; the default is a list built by RPUSH only.
    ///   Pass a smaller value to model LPUSHes (indexes below 2^63).
    public func putList(
        _ key: [UInt8], _ elements: [[UInt8]], version dataVersion: UInt64,
        leftIndex: UInt64 = ListIndexes.initial.left,
        expiresAt: UnixTime? = nil, createdAt: UnixTime? = nil
    ) throws(PikaStorageError) {
        let right = leftIndex &+ UInt64(elements.count) &+ 1
        let location = try writeMeta(
            key, .list, count: elements.count, dataVersion, expiresAt, createdAt,
            listIndexes: ListIndexes(left: leftIndex, right: right))
        for (offset, element) in elements.enumerated() {
            let index = leftIndex &+ 1 &+ UInt64(offset)
            let storedKey =
                version.encoding == .blackwidow
                ? PikaKeyFormat.v3ListDataKey(key, version: dataVersion, index: index)
                : PikaKeyFormat.v4ListDataKey(key, version: dataVersion, index: index)
            try put(storedKey, try dataValue(element, createdAt), location, .listData)
        }
    }

    /// DEL as Pika stores it: a string's record is removed; a collection's meta record is
    /// rewritten with count 0, no expiry and `newVersion`, and its data records stay behind
    /// (stale). Also models EXPIRE with a non-positive TTL.
    public func deleteKey(
        _ key: [UInt8], type: PikaDataType, newVersion: UInt64 = 0, instance: Int? = nil
    ) throws(PikaStorageError) {
        switch (version.encoding, type) {
        case (.blackwidow, .string):
            do {
                try writers[.typeDirectory(.string)]!.delete(key, in: columnFamilies[.typeDirectory(.string)]![.meta]!)
            } catch { throw .database(error) }
        case (.floyd, .string):
            let location = try location(of: key, override: instance)
            do {
                try writers[location]!.delete(PikaKeyFormat.v4MetaKey(key), in: columnFamilies[location]![.meta]!)
            } catch { throw .database(error) }
        case (_, .list):
            _ = try writeMeta(
                key, .list, count: 0, newVersion, nil, nil,
                listIndexes: .initial)
        default:
            _ = try writeMeta(key, type, count: 0, newVersion, nil, nil)
        }
    }

    // MARK: Encoding

    private func location(of key: [UInt8], override: Int? = nil) throws(PikaStorageError) -> StorageLocation {
        if let override {
            guard (0..<instanceCount).contains(override) else {
                throw .unencodable(reason: "instance \(override) out of 0..<\(instanceCount)")
            }
            return .instance(override)
        }
        return .instance(PikaSlot.instance(of: key, slotCount: slotCount, instanceCount: instanceCount))
    }

    private func put(
        _ key: [UInt8], _ value: [UInt8], _ location: StorageLocation, _ role: ColumnFamilyRole
    ) throws(PikaStorageError) {
        guard let writer = writers[location], let columnFamily = columnFamilies[location]?[role] else {
            throw .unencodable(reason: "no column family for \(role) in \(location)")
        }
        do { try writer.put(key, value, in: columnFamily) } catch { throw .database(error) }
    }

    private func dataKey(_ key: [UInt8], _ dataVersion: UInt64, _ data: [UInt8]) -> [UInt8] {
        version.encoding == .blackwidow
            ? PikaKeyFormat.v3DataKey(key, version: dataVersion, data: data)
            : PikaKeyFormat.v4DataKey(key, version: dataVersion, data: data)
    }

    private func dataValue(_ payload: [UInt8], _ createdAt: UnixTime?) throws(PikaStorageError) -> [UInt8] {
        version.encoding == .blackwidow
            ? payload : PikaKeyFormat.v4DataValue(payload, storedCreationTime: try v4Time(createdAt))
    }

    /// Writes a collection's meta record and returns where its data records go.
    private func writeMeta(
        _ key: [UInt8], _ type: PikaDataType, count: Int, _ dataVersion: UInt64,
        _ expiresAt: UnixTime?, _ createdAt: UnixTime?, listIndexes: ListIndexes? = nil
    ) throws(PikaStorageError) -> StorageLocation {
        var value: [UInt8] = []
        switch version.encoding {
        case .blackwidow:
            guard dataVersion <= UInt64(UInt32.max) else {
                throw .unencodable(reason: "3.x versions are 32-bit, got \(dataVersion)")
            }
            if let listIndexes {
                StorageBytes.append(UInt64(count), to: &value)
                StorageBytes.append(UInt32(dataVersion), to: &value)
                StorageBytes.append(try v3Time(expiresAt), to: &value)
                StorageBytes.append(listIndexes.left, to: &value)
                StorageBytes.append(listIndexes.right, to: &value)
            } else {
                StorageBytes.append(UInt32(truncatingIfNeeded: count), to: &value)
                StorageBytes.append(UInt32(dataVersion), to: &value)
                StorageBytes.append(try v3Time(expiresAt), to: &value)
            }
            try put(key, value, .typeDirectory(type), .meta)
            return .typeDirectory(type)
        case .floyd:
            value.append(type.rawValue)
            if let listIndexes {
                StorageBytes.append(UInt64(count), to: &value)
                StorageBytes.append(dataVersion, to: &value)
                // Each index sits in a 16-byte slot whose second half Pika never initialises;
                // fill it with garbage so readers prove they ignore it.
                StorageBytes.append(listIndexes.left, to: &value)
                value += repeatElement(0xAB, count: 8)
                StorageBytes.append(listIndexes.right, to: &value)
                value += repeatElement(0xCD, count: 8)
            } else {
                StorageBytes.append(UInt32(truncatingIfNeeded: count), to: &value)
                StorageBytes.append(dataVersion, to: &value)
            }
            value += repeatElement(0, count: 16)
            StorageBytes.append(try v4Time(createdAt), to: &value)
            StorageBytes.append(try v4Time(expiresAt), to: &value)
            let location = try location(of: key)
            try put(PikaKeyFormat.v4MetaKey(key), value, location, .meta)
            return location
        }
    }

    /// 3.x: signed 32-bit seconds, 0 for none.
    private func v3Time(_ time: UnixTime?) throws(PikaStorageError) -> UInt32 {
        guard let time else { return 0 }
        guard let seconds = Int32(exactly: time.seconds) else {
            throw .unencodable(reason: "3.x times are 32-bit seconds, got \(time.seconds)")
        }
        return UInt32(bitPattern: seconds)
    }

    /// 4.0.0: seconds; 4.0.1: milliseconds with bit 63 set; 0 for none.
    private func v4Time(_ time: UnixTime?) throws(PikaStorageError) -> UInt64 {
        guard let time else { return 0 }
        guard time.milliseconds >= 0 else { throw .unencodable(reason: "negative time \(time)") }
        switch version {
        case .v4_0_0: return UInt64(time.seconds)
        default: return UInt64(time.milliseconds) | (1 << 63)
        }
    }
}
