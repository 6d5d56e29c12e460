extension KeyRecord {
    /// Decodes a v3 record found in `type`'s directory under key `key`.
    /// - Throws: `PikaStorageError.malformedRecord` if the value is too short.
    static func decodeV3(
        key: [UInt8], value: [UInt8], type: PikaDataType, path: String
    ) throws(PikaStorageError) -> KeyRecord {
        func malformed(_ reason: String) -> PikaStorageError {
            .malformedRecord(path: path, columnFamily: "default", key: key, reason: reason)
        }
        var record = KeyRecord(
            key: key, type: type, location: .typeDirectory(type), count: 0, version: 0,
            expiry: nil, creationTime: nil, listIndexes: nil, value: nil, isHyperLogLog: false)
        switch type {
        case .string:
            // user_value ‖ le32(etime_s)
            guard let etime = StorageBytes.uint32(value, at: value.count - 4) else {
                throw malformed("string value of \(value.count) bytes, expected at least 4")
            }
            record.count = 1
            record.value = Array(value[..<(value.count - 4)])
            record.expiry = v3Expiry(etime)
        case .hash, .set, .zset:
            // le32(count) ‖ le32(version) ‖ le32(etime_s); Pika reads the last 8 bytes for the
            // version and time.
            guard value.count >= 12 else { throw malformed("meta value of \(value.count) bytes, expected 12") }
            record.count = Int64(Int32(bitPattern: StorageBytes.uint32(value, at: 0)!))
            record.version = UInt64(StorageBytes.uint32(value, at: value.count - 8)!)
            record.expiry = v3Expiry(StorageBytes.uint32(value, at: value.count - 4)!)
        case .list:
            // le64(count) ‖ le32(version) ‖ le32(etime_s) ‖ le64(left) ‖ le64(right)
            guard value.count >= 32 else { throw malformed("list meta value of \(value.count) bytes, expected 32") }
            record.count = Int64(bitPattern: StorageBytes.uint64(value, at: 0)!)
            record.version = UInt64(StorageBytes.uint32(value, at: 8)!)
            record.expiry = v3Expiry(StorageBytes.uint32(value, at: 12)!)
            record.listIndexes = ListIndexes(
                left: StorageBytes.uint64(value, at: 16)!, right: StorageBytes.uint64(value, at: 24)!)
        case .stream:
            // groups_id 4 ‖ entries_added 8 ‖ 3 ids × 16 ‖ le32(length) ‖ le32(version); no TTL
            guard value.count >= 68 else { throw malformed("stream meta value of \(value.count) bytes, expected 68") }
            record.count = Int64(StorageBytes.uint32(value, at: 60)!)
            record.version = UInt64(StorageBytes.uint32(value, at: 64)!)
        }
        return record
    }

    /// Decodes a v4 record from the `default` column family of instance `instance`.
    /// - Parameters:
    ///   - metaKey: the stored key, `00×8 ‖ enc(K) ‖ 00×16`.
    ///   - userKey: the decoded user key, if the caller already has it.
    ///   - version: decides the comparison granularity of second-valued timestamps.
    /// - Throws: `PikaStorageError.malformedRecord` for an unknown type tag or a short value.
    static func decodeV4(
        metaKey: [UInt8], userKey: [UInt8]?, value: [UInt8], instance: Int, path: String,
        version storageVersion: PikaStorageVersion
    ) throws(PikaStorageError) -> KeyRecord {
        func malformed(_ reason: String) -> PikaStorageError {
            .malformedRecord(path: path, columnFamily: "default", key: metaKey, reason: reason)
        }
        guard let key = userKey ?? PikaKeyFormat.v4UserKey(fromMetaKey: metaKey) else {
            throw malformed("key is not 8 reserve bytes, an escaped user key and 16 reserve bytes")
        }
        guard let tag = value.first else { throw malformed("empty value") }
        guard let type = PikaDataType(rawValue: tag) else { throw malformed("unknown type tag \(tag)") }
        var record = KeyRecord(
            key: key, type: type, location: .instance(instance), count: 0, version: 0,
            expiry: nil, creationTime: nil, listIndexes: nil, value: nil, isHyperLogLog: false)
        let n = value.count
        switch type {
        case .string:
            // 00 ‖ value ‖ reserve16 ‖ le64(ctime) ‖ le64(etime)
            guard n >= 33 else { throw malformed("string value of \(n) bytes, expected at least 33") }
            record.count = 1
            record.value = Array(value[1..<(n - 32)])
            record.isHyperLogLog = value[n - 32] & 0x80 != 0
            record.creationTime = v4Time(StorageBytes.uint64(value, at: n - 16)!, storageVersion)?.time
            record.expiry = v4Time(StorageBytes.uint64(value, at: n - 8)!, storageVersion)
        case .hash, .set, .zset:
            // tag ‖ le32(count) ‖ le64(version) ‖ reserve16 ‖ le64(ctime) ‖ le64(etime)
            guard n >= 45 else { throw malformed("meta value of \(n) bytes, expected 45") }
            record.count = Int64(Int32(bitPattern: StorageBytes.uint32(value, at: 1)!))
            record.version = StorageBytes.uint64(value, at: n - 40)!
            record.creationTime = v4Time(StorageBytes.uint64(value, at: n - 16)!, storageVersion)?.time
            record.expiry = v4Time(StorageBytes.uint64(value, at: n - 8)!, storageVersion)
        case .list:
            // 03 ‖ le64(count) ‖ le64(version) ‖ left (16-byte slot) ‖ right (16-byte slot)
            //    ‖ reserve16 ‖ le64(ctime) ‖ le64(etime)
            guard n >= 81 else { throw malformed("list meta value of \(n) bytes, expected 81") }
            record.count = Int64(bitPattern: StorageBytes.uint64(value, at: 1)!)
            record.version = StorageBytes.uint64(value, at: n - 72)!
            record.listIndexes = ListIndexes(
                left: StorageBytes.uint64(value, at: n - 64)!, right: StorageBytes.uint64(value, at: n - 48)!)
            record.creationTime = v4Time(StorageBytes.uint64(value, at: n - 16)!, storageVersion)?.time
            record.expiry = v4Time(StorageBytes.uint64(value, at: n - 8)!, storageVersion)
        case .stream:
            // 05 ‖ groups_id 4 ‖ entries_added 8 ‖ 3 ids × 16 ‖ le32(length) ‖ le64(version); no TTL
            guard n >= 73 else { throw malformed("stream meta value of \(n) bytes, expected 73") }
            record.count = Int64(StorageBytes.uint32(value, at: 61)!)
            record.version = StorageBytes.uint64(value, at: 65)!
        }
        return record
    }

    /// v3 times: signed 32-bit seconds, 0 = none.
    private static func v3Expiry(_ raw: UInt32) -> Expiry? {
        raw == 0 ? nil : Expiry(time: UnixTime(seconds: Int64(Int32(bitPattern: raw))), granularity: .seconds)
    }

    /// v4 times (Docs/Format.md §K7.2): 0 = none; bit 63 set = milliseconds; clear = seconds. 4.0.0 compares
    /// at second granularity; 4.0.1 converts seconds to milliseconds and compares those.
    static func v4Time(_ raw: UInt64, _ version: PikaStorageVersion) -> Expiry? {
        if raw == 0 { return nil }
        let flag: UInt64 = 1 << 63
        if raw & flag != 0 {
            return Expiry(time: UnixTime(milliseconds: Int64(raw & ~flag)), granularity: .milliseconds)
        }
        return Expiry(
            time: UnixTime(seconds: Int64(raw)),
            granularity: version == .v4_0_0 ? .seconds : .milliseconds)
    }
}
