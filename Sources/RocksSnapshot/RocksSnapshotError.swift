/// An error from librocksdb, or from using this wrapper on a build without it.
///
/// Every case carries the database directory it concerns; RocksDB failures also carry the
/// message RocksDB returned (its `char** errptr`), verbatim.
public enum RocksSnapshotError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being done when RocksDB reported an error.
    public enum Operation: String, Hashable, Sendable {
        case open, listColumnFamilies, get, put, delete, flush, iterate
    }

    /// This build has no librocksdb (built with `--disable-default-traits`).
    case unavailable(path: String)
    /// RocksDB returned an error message.
    /// - `columnFamily` is `nil` for whole-database operations (open, list, flush of all).
    case rocksDB(operation: Operation, path: String, columnFamily: String?, message: String)
    /// The arguments cannot be passed to RocksDB (for example a name containing a NUL byte,
    /// a duplicate column family, or an empty column family list).
    case invalidArgument(path: String, reason: String)

    public var description: String {
        switch self {
        case .unavailable(let path):
            return "cannot open RocksDB database at \(path): binlogtool was built without RocksDB support; "
                + "rebuild with the default \"RocksDB\" trait (apt-get install librocksdb-dev)."
        case .rocksDB(let operation, let path, let columnFamily, let message):
            let cf = columnFamily.map { " column family \"\($0)\"" } ?? ""
            return "RocksDB \(operation.rawValue) failed for \(path)\(cf): \(message)"
        case .invalidArgument(let path, let reason):
            return "invalid RocksDB request for \(path): \(reason)"
        }
    }
}
