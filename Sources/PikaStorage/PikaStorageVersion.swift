/// Which Pika release family wrote a snapshot: it decides the key/value encoding, the
/// comparators, and the time units (Docs/Format.md §K1).
public enum PikaStorageVersion: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Pika 3.3.x, 3.4.x, 3.5.0–3.5.2, 3.5.4, 3.5.5: blackwidow ("v3") encoding, one RocksDB per
    /// data type, int32 seconds, zset score keys ordered by raw (key, version) prefix bytes.
    case v3 = "3"
    /// Pika 3.5.3 (and 3.5.3-alpha): like `v3`, but its `blackwidow.ZSetsScoreKeyComparator`
    /// orders versions as signed integers (commit e787effc, reverted before 3.5.4).
    case v3_5_3 = "3.5.3"
    /// Pika 4.0.0: floyd ("v4") encoding, `db-instance-num` RocksDB instances with column
    /// families; timestamps and versions in unix **seconds** (uint64).
    case v4_0_0 = "4.0.0"
    /// Pika 4.0.1: like 4.0.0, but timestamps are unix **milliseconds with bit 63 set** and
    /// versions are milliseconds; values with bit 63 clear are read as seconds (Docs/Format.md §K7.2).
    case v4_0_1 = "4.0.1"

    /// The two on-disk encodings.
    public enum Encoding: String, Hashable, Sendable {
        /// 3.x/3.5: `strings/ hashes/ lists/ sets/ zsets/ [streams/]`, `blackwidow.*` comparators.
        case blackwidow
        /// 4.0: instance directories `0/ 1/ …`, `floyd.*` comparators.
        case floyd
    }

    /// The encoding family of this version.
    public var encoding: Encoding {
        switch self {
        case .v3, .v3_5_3: return .blackwidow
        case .v4_0_0, .v4_0_1: return .floyd
        }
    }

    /// Maps a Pika release string ("3.5.0", "v4.0.1", "3.5.3-alpha") to its storage version.
    /// - Returns: `nil` for releases this module does not know (before 3.3, after 4.0).
    public init?(release: String) {
        var text = Substring(release)
        if text.first == "v" || text.first == "V" { text = text.dropFirst() }
        let numbers = text.split(separator: "-", maxSplits: 1).first.map { $0.split(separator: ".") } ?? []
        guard numbers.count >= 2, let major = Int(numbers[0]), let minor = Int(numbers[1]) else { return nil }
        let patch = numbers.count >= 3 ? Int(numbers[2]) : 0
        switch (major, minor) {
        case (3, 3), (3, 4): self = .v3
        case (3, 5): self = patch == 3 ? .v3_5_3 : .v3
        case (4, 0):
            guard let patch else { return nil }
            self = patch == 0 ? .v4_0_0 : .v4_0_1
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .v3: return "Pika 3.3/3.4/3.5 (blackwidow encoding)"
        case .v3_5_3: return "Pika 3.5.3 (blackwidow encoding, 3.5.3 zset score order)"
        case .v4_0_0: return "Pika 4.0.0 (floyd encoding, seconds)"
        case .v4_0_1: return "Pika 4.0.1 (floyd encoding, flagged milliseconds)"
        }
    }
}

/// Pika's data types. The raw value is the v4 type tag, the first byte of every value in the
/// `default` column family (`DataType` in `src/storage/src/base_value_format.h@v4.0.1`).
public enum PikaDataType: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case string = 0
    case hash = 1
    case set = 2
    case list = 3
    case zset = 4
    case stream = 5

    /// The order in which Pika's TYPE command probes the per-type databases in 3.x
    /// (`BlackWidow::Type`): string, hash, list, zset, set; streams (3.5.3+) last.
    public static let typeCommandOrder: [PikaDataType] = [.string, .hash, .list, .zset, .set, .stream]

    /// The v3 directory that holds this type (`strings`, `hashes`, …).
    public var v3DirectoryName: String {
        switch self {
        case .string: return "strings"
        case .hash: return "hashes"
        case .set: return "sets"
        case .list: return "lists"
        case .zset: return "zsets"
        case .stream: return "streams"
        }
    }

    /// The name Redis' TYPE command prints.
    public var description: String {
        switch self {
        case .string: return "string"
        case .hash: return "hash"
        case .set: return "set"
        case .list: return "list"
        case .zset: return "zset"
        case .stream: return "stream"
        }
    }
}
