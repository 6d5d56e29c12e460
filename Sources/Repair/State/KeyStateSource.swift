/// The value of one key, as the Redis data types define it. Collections are never empty: a
/// command that empties one deletes the key (Redis and Pika both do).
public enum KeyspaceValue: Hashable, Sendable {
    /// A string: raw bytes (integers and floats are strings too).
    case string([UInt8])
    /// A hash: field → value.
    case hash([[UInt8]: [UInt8]])
    /// A list, head first.
    case list([[UInt8]])
    /// A set of members.
    case set(Set<[UInt8]>)
    /// A sorted set: member → score.
    case zset([[UInt8]: Double])
    /// A stream: its entries in ID order and the last ID ever added (XDEL does not lower it).
    case stream(entries: [StreamEntry], lastID: StreamID)

    /// The Redis `TYPE` name.
    public var typeName: String {
        switch self {
        case .string: "string"
        case .hash: "hash"
        case .list: "list"
        case .set: "set"
        case .zset: "zset"
        case .stream: "stream"
        }
    }
}

/// A stream entry ID, `<milliseconds>-<sequence>`.
public struct StreamID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: UInt64
    public var sequence: UInt64

    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// Parses an explicit `ms-seq` or `ms` ID (the sequence defaults to 0); `nil` for `*`, `ms-*`
    /// and anything else.
    public init?(_ bytes: [UInt8]) {
        let dash = bytes.firstIndex(of: UInt8(ascii: "-"))
        let msPart = dash.map { Array(bytes[..<$0]) } ?? bytes
        guard let ms = RedisNumbers.parseUInt64(msPart) else { return nil }
        var seq: UInt64 = 0
        if let dash {
            guard let s = RedisNumbers.parseUInt64(Array(bytes[(dash + 1)...])) else { return nil }
            seq = s
        }
        self.init(milliseconds: ms, sequence: seq)
    }

    public static func < (a: StreamID, b: StreamID) -> Bool {
        (a.milliseconds, a.sequence) < (b.milliseconds, b.sequence)
    }

    /// `ms-seq`.
    public var description: String { "\(milliseconds)-\(sequence)" }

    /// `ms-seq` as bytes.
    public var bytes: [UInt8] { Array(description.utf8) }

    /// `0-0`: the last ID of a stream that never had an entry.
    public static let zero = StreamID(milliseconds: 0, sequence: 0)
}

/// One stream entry: its ID and its field/value pairs in the order they were given.
public struct StreamEntry: Hashable, Sendable {
    public var id: StreamID
    /// `field, value, field, value, …`.
    public var fieldsAndValues: [[UInt8]]

    public init(id: StreamID, fieldsAndValues: [[UInt8]]) {
        self.id = id
        self.fieldsAndValues = fieldsAndValues
    }
}

extension KeyspaceModel {
    /// What a key holds at some moment: nothing, or a value with its absolute expiry.
    ///
    /// Nested in ``KeyspaceModel`` (the snapshot verifier has a `KeyState` of its own in this
    /// module); outside it, write `KeyspaceModel.KeyState`.
    public enum KeyState: Hashable, Sendable {
        /// The key does not exist (never written, deleted, or expired at the time asked about).
        case absent
        /// The key exists.
        /// - Parameters:
        ///   - value: its contents.
        ///   - expiresAtMs: its absolute expiry in unix milliseconds, `nil` for none.
        case present(KeyspaceValue, expiresAtMs: Int64?)
    }
}

/// Where a ``KeyspaceModel`` learns the state of a key before the log touched it, when the log
/// does not start at the beginning of history: normally a bgsave snapshot read through RocksDB
/// (read-only).
///
/// The model asks once per key, the first time an item touches it, and remembers the answer.
public protocol KeyStateSource {
    /// The state of `key` *before the first replayed item*, judged at `referenceTimeMs`.
    ///
    /// A snapshot whose `info` offset lags its data (Docs/Format.md §S2) already holds the effect of some
    /// items after its offset; the caller must start the replay where the data really is, or the
    /// model would apply those items twice.
    ///
    /// - Parameters:
    ///   - key: the user key, binary.
    ///   - referenceTimeMs: the exec time of the item that needs the key, in unix milliseconds;
    ///     a stored expiry at or before it makes the key ``KeyspaceModel/KeyState/absent``. Never the wall clock.
    /// - Returns: the state, or `nil` when this source cannot tell (the key is then unknown).
    /// - Throws: whatever reading the snapshot throws; the model passes it on.
    func state(of key: [UInt8], at referenceTimeMs: Int64) throws -> KeyspaceModel.KeyState?
}
