#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// A key ordering for one column family: the name RocksDB records in the MANIFEST and the
/// comparison function that implements it.
///
/// RocksDB refuses to open a column family whose stored comparator name differs from the given
/// one, so `name` must match the writer's exactly (for Pika, e.g.
/// `blackwidow.ListsDataKeyComparator`). The function must define the same order the writer
/// used, be pure and thread-safe (RocksDB calls it from its own threads), and **must never
/// trap**: a trap inside a C callback kills the process. Malformed or shortened keys must fall
/// back to a defined order (typically bytewise) instead of reading out of range.
public struct KeyComparator: Sendable {
    /// A three-way comparison: negative if `a < b`, zero if equal, positive if `a > b`.
    /// The buffers are only valid during the call.
    public typealias Compare = @Sendable (_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int32

    /// The name stored in the database's MANIFEST.
    public let name: String
    /// The ordering.
    public let compare: Compare
    /// `true` for RocksDB's built-in `leveldb.BytewiseComparator` (no Swift callback is registered).
    public let isBuiltinBytewise: Bool

    /// Creates a custom comparator registered under `name`.
    /// - Parameters:
    ///   - name: the exact comparator name the database was written with.
    ///   - compare: the ordering; must never trap (see the type's documentation).
    public init(name: String, compare: @escaping Compare) {
        self.name = name
        self.compare = compare
        self.isBuiltinBytewise = false
    }

    private init(builtinBytewise: Void) {
        self.name = "leveldb.BytewiseComparator"
        self.compare = KeyComparator.compareBytewise
        self.isBuiltinBytewise = true
    }

    /// RocksDB's default ordering, `leveldb.BytewiseComparator`: unsigned bytewise, and on a
    /// common prefix the shorter key first.
    public static let bytewise = KeyComparator(builtinBytewise: ())

    /// Unsigned bytewise comparison (`memcmp` over the shorter length; on a tie the shorter
    /// buffer sorts first). RocksDB calls this a "Slice compare".
    /// - Returns: -1, 0 or 1.
    public static func compareBytewise(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int32 {
        let common = min(a.count, b.count)
        if common > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let r = memcmp(pa, pb, common)
            if r != 0 { return r < 0 ? -1 : 1 }
        }
        if a.count == b.count { return 0 }
        return a.count < b.count ? -1 : 1
    }
}

/// How RocksDB should open (or create) one column family.
public struct ColumnFamilyDescriptor: Sendable {
    /// The column family name (`default`, `data_cf`, …).
    public var name: String
    /// The ordering of its keys.
    public var comparator: KeyComparator

    /// - Parameters:
    ///   - name: the column family name.
    ///   - comparator: its ordering; bytewise unless the writer used a custom one.
    public init(_ name: String, comparator: KeyComparator = .bytewise) {
        self.name = name
        self.comparator = comparator
    }
}

/// An open column family of a database: a handle that is only meaningful for the database
/// (`ReadOnlyDatabase` or `DatabaseWriter`) that returned it.
public struct ColumnFamily: Hashable, Sendable, CustomStringConvertible {
    /// The column family name.
    public let name: String
    /// Position in the database's handle list.
    let index: Int

    init(name: String, index: Int) {
        self.name = name
        self.index = index
    }

    public var description: String { name }
}
