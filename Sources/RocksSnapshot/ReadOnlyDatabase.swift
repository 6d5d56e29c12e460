/// A RocksDB directory opened **read-only**, with a chosen set of column families.
///
/// Opening uses `rocksdb_open_for_read_only_column_families` with
/// `error_if_wal_file_exists = 0`: RocksDB takes no `LOCK`, creates and modifies no file in the
/// directory, and replays any WAL files into memory only (so writes that were never flushed are
/// visible). Column families not listed are not opened, and their comparators are not checked.
///
/// The database stays open as long as this object or any iterator made from it is alive.
/// Concurrent reads from several threads are safe (RocksDB's `DB` is thread-safe for reads,
/// and this object is immutable); a single `DatabaseIterator` is not thread-safe.
public final class ReadOnlyDatabase: @unchecked Sendable {
    /// The directory that was opened.
    public let path: String
    /// The open column families, in the order they were opened (`default` first if it had to
    /// be added).
    public let columnFamilies: [ColumnFamily]
    private let handle: DatabaseHandle

    /// Opens `path` read-only.
    /// - Parameters:
    ///   - path: the RocksDB directory (the one holding `CURRENT`).
    ///   - columnFamilies: the column families to open, each with the comparator the writer
    ///     used (same name, same order). `default` is added with the bytewise comparator if
    ///     missing, because RocksDB requires it.
    /// - Throws: `RocksSnapshotError.rocksDB(operation: .open, …)` with RocksDB's message (no such
    ///   directory, unknown column family, comparator name mismatch, corruption, unsupported
    ///   format); `.invalidArgument` for duplicate or NUL-containing names; `.unavailable` when
    ///   built without RocksDB.
    public init(path: String, columnFamilies: [ColumnFamilyDescriptor]) throws(RocksSnapshotError) {
        self.handle = try DatabaseHandle.open(path: path, descriptors: columnFamilies, mode: .readOnly)
        self.path = path
        self.columnFamilies = handle.columnFamilyNames.enumerated().map { ColumnFamily(name: $1, index: $0) }
    }

    /// The column family names recorded in the MANIFEST of the (closed) database at `path`.
    ///
    /// Reads `CURRENT` and the MANIFEST only; writes nothing and takes no lock.
    /// - Throws: `RocksSnapshotError.rocksDB(operation: .listColumnFamilies, …)` if the
    ///   directory is not a RocksDB database; `.unavailable` when built without RocksDB.
    public static func columnFamilyNames(at path: String) throws(RocksSnapshotError) -> [String] {
        try DatabaseHandle.listColumnFamilies(path: path)
    }

    /// The open column family called `name`, or `nil` if it was not opened.
    public func columnFamily(named name: String) -> ColumnFamily? {
        columnFamilies.first { $0.name == name }
    }

    /// Point lookup.
    /// - Parameters:
    ///   - key: the exact key bytes.
    ///   - columnFamily: a column family of this database.
    /// - Returns: a copy of the value, or `nil` if the key is absent.
    /// - Throws: `RocksSnapshotError.rocksDB(operation: .get, …)` on I/O errors or corruption.
    public func get(_ key: [UInt8], in columnFamily: ColumnFamily) throws(RocksSnapshotError) -> [UInt8]? {
        try handle.get(key, columnFamily: columnFamily.index)
    }

    /// A new iterator over `columnFamily`, positioned nowhere (call a `seek…` method first).
    /// It reads the database state at the time of creation (an implicit snapshot).
    public func makeIterator(over columnFamily: ColumnFamily) -> DatabaseIterator {
        DatabaseIterator(handle.makeIterator(columnFamily: columnFamily.index), columnFamily: columnFamily)
    }
}

/// A cursor over one column family, in the column family's comparator order.
///
/// Usage: `seek(to:)` or `seekToFirst()`, then `while it.isValid { …; it.next() }`, then
/// `try it.checkStatus()` to distinguish "end of data" from an I/O error.
/// Reading `key`/`value` when `isValid` is false is a programmer error (precondition).
public final class DatabaseIterator {
    /// The column family being iterated.
    public let columnFamily: ColumnFamily
    private let handle: IteratorHandle

    init(_ handle: IteratorHandle, columnFamily: ColumnFamily) {
        self.handle = handle
        self.columnFamily = columnFamily
    }

    /// Whether the iterator is positioned at an entry.
    public var isValid: Bool { handle.isValid }

    /// Positions at the first entry.
    public func seekToFirst() { handle.seekToFirst() }

    /// Positions at the last entry.
    public func seekToLast() { handle.seekToLast() }

    /// Positions at the first entry whose key is at or after `key` in comparator order.
    public func seek(to key: [UInt8]) { handle.seek(to: key) }

    /// Moves to the next entry. Precondition: `isValid`.
    public func next() {
        precondition(handle.isValid, "DatabaseIterator.next() on an invalid iterator")
        handle.next()
    }

    /// Moves to the previous entry. Precondition: `isValid`.
    public func previous() {
        precondition(handle.isValid, "DatabaseIterator.previous() on an invalid iterator")
        handle.previous()
    }

    /// A copy of the current key. Precondition: `isValid`.
    public var key: [UInt8] { withKey { [UInt8]($0) } }

    /// A copy of the current value. Precondition: `isValid`.
    public var value: [UInt8] { withValue { [UInt8]($0) } }

    /// Calls `body` with the current key, borrowed: valid only inside `body`.
    /// Precondition: `isValid`.
    public func withKey<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        precondition(handle.isValid, "DatabaseIterator.key read on an invalid iterator")
        return try handle.withKey(body)
    }

    /// Calls `body` with the current value, borrowed: valid only inside `body`.
    /// Precondition: `isValid`.
    public func withValue<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        precondition(handle.isValid, "DatabaseIterator.value read on an invalid iterator")
        return try handle.withValue(body)
    }

    /// Throws the error that ended iteration, if any (an invalid iterator without error means
    /// the end of the data).
    /// - Throws: `RocksSnapshotError.rocksDB(operation: .iterate, …)`.
    public func checkStatus() throws(RocksSnapshotError) { try handle.checkStatus() }
}
