/// Where in a snapshot a record lives.
public enum StorageLocation: Hashable, Sendable, CustomStringConvertible {
    /// v3: the per-type RocksDB directory (`strings/`, `hashes/`, …).
    case typeDirectory(PikaDataType)
    /// v4: the RocksDB instance directory `0/`, `1/`, ….
    case instance(Int)

    public var description: String {
        switch self {
        case .typeDirectory(let type): return type.v3DirectoryName
        case .instance(let index): return String(index)
        }
    }
}

/// The top-level record of one user key in a snapshot: a string value, or the meta record of
/// a hash, set, list, zset or stream. Decoded as stored, whether live or not.
///
/// | field | v3 (3.x/3.5) | v4 (4.0) |
/// |---|---|---|
/// | `count` | meta `le32` (`le64` for lists); 1 for strings | meta `le32` after the tag (`le64` for lists) |
/// | `version` | meta `le32` (0 for strings) | meta `le64` (0 for strings) |
/// | `expiry` | `le32` seconds, 0 = none | `le64`, 0 = none; bit 63 set = milliseconds, clear = seconds |
/// | `creationTime` | not stored | `le64` ctime, same units rule |
public struct KeyRecord: Hashable, Sendable {
    /// The user key.
    public var key: [UInt8]
    /// The data type (v3: the directory it was found in; v4: the value's tag byte).
    public var type: PikaDataType
    /// Where it was found.
    public var location: StorageLocation
    /// Number of fields / members / elements / stream entries; 1 for strings. Pika treats a
    /// collection with count 0 as absent (that is how DEL leaves it).
    public var count: Int64
    /// The version that live data records of this key carry (a creation timestamp: seconds
    /// in v3 and 4.0.0, milliseconds in 4.0.1). 0 for strings.
    public var version: UInt64
    /// The absolute expiry, or `nil` for none.
    public var expiry: Expiry?
    /// v4 only: the creation time (ctime), or `nil` if not stored or zero. Meaningless for
    /// 4.0.1 HyperLogLog values (written without the millisecond flag).
    public var creationTime: UnixTime?
    /// Lists only: the free slots around the elements, which occupy `left+1 … right-1`.
    public var listIndexes: ListIndexes?
    /// Strings only: the value.
    public var value: [UInt8]?
    /// v4 strings only: the HyperLogLog flag (bit 0x80 of the first reserve byte).
    public var isHyperLogLog: Bool

    /// Pika's "exists" rule at `reference`: not expired, and (for collections) count ≠ 0.
    /// - Parameter reference: the time to judge at; never the wall clock.
    public func isLive(at reference: UnixTime) -> Bool {
        if let expiry, expiry.hasPassed(at: reference) { return false }
        return type == .string || count != 0
    }
}

/// A list's index window from its meta record.
public struct ListIndexes: Hashable, Sendable {
    /// The next LPUSH slot; the first element is at `left + 1`.
    public var left: UInt64
    /// The next RPUSH slot; the last element is at `right - 1`.
    public var right: UInt64

    public init(left: UInt64, right: UInt64) {
        self.left = left
        self.right = right
    }

    /// A new (or deleted) list: left 2^63 − 1, right 2^63 (`InitalLeftIndex`/`InitalRightIndex`).
    public static let initial = ListIndexes(left: 9_223_372_036_854_775_807, right: 9_223_372_036_854_775_808)
}

/// One hash field and its value.
public struct HashField: Hashable, Sendable {
    public var field: [UInt8]
    public var value: [UInt8]

    public init(field: [UInt8], value: [UInt8]) {
        self.field = field
        self.value = value
    }
}

/// One sorted-set member and its score.
public struct ZSetMember: Hashable, Sendable {
    public var member: [UInt8]
    public var score: Double

    public init(member: [UInt8], score: Double) {
        self.member = member
        self.score = score
    }
}
