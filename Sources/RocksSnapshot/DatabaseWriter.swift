/// A read-write RocksDB database, for tests that need to build databases in Pika's layouts.
///
/// Not for production use: binlogtool never opens a snapshot read-write (a read-write open
/// takes the `LOCK`, replays and deletes WALs, compacts, and rewrites the MANIFEST).
@_spi(Testing)
public final class DatabaseWriter {
    /// The database directory.
    public let path: String
    /// The open column families (`default` first if it had to be added).
    public let columnFamilies: [ColumnFamily]
    private let handle: DatabaseHandle

    /// Opens `path` read-write, creating the directory (one level) and any missing column
    /// families.
    /// - Parameters:
    ///   - path: the database directory; its parent must exist.
    ///   - columnFamilies: every column family of the database, with its comparator.
    /// - Throws: `RocksSnapshotError` with RocksDB's message.
    public init(creatingAt path: String, columnFamilies: [ColumnFamilyDescriptor]) throws(RocksSnapshotError) {
        self.handle = try DatabaseHandle.open(path: path, descriptors: columnFamilies, mode: .createReadWrite)
        self.path = path
        self.columnFamilies = handle.columnFamilyNames.enumerated().map { ColumnFamily(name: $1, index: $0) }
    }

    /// The column family called `name`, or `nil`.
    public func columnFamily(named name: String) -> ColumnFamily? {
        columnFamilies.first { $0.name == name }
    }

    /// Writes `key` → `value` (through the WAL and memtable).
    public func put(_ key: [UInt8], _ value: [UInt8], in columnFamily: ColumnFamily) throws(RocksSnapshotError) {
        try handle.put(key, value, columnFamily: columnFamily.index)
    }

    /// Deletes `key` (writes a tombstone).
    public func delete(_ key: [UInt8], in columnFamily: ColumnFamily) throws(RocksSnapshotError) {
        try handle.delete(key, columnFamily: columnFamily.index)
    }

    /// Flushes the memtables of every column family into SST files and waits for it.
    public func flush() throws(RocksSnapshotError) {
        for columnFamily in columnFamilies {
            try handle.flush(columnFamily: columnFamily.index)
        }
    }

    /// Closes the database (without flushing: unflushed writes stay in the WAL). Idempotent;
    /// using the writer afterwards is a programmer error.
    public func close() {
        handle.close()
    }
}
