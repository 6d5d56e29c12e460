// RocksSnapshot: a small, read-only Swift face of librocksdb for Pika bgsave checkpoints.
//
// This is the only module that imports `CRocksDB`. No C type appears in its public API:
// callers see `ReadOnlyDatabase`, `DatabaseIterator`, `ColumnFamily`, `KeyComparator` and
// `RocksSnapshotError`. A writer (`DatabaseWriter`) exists for tests only, behind
// `@_spi(Testing)`.
//
// Built without the "RocksDB" package trait, every type still exists, but opening a
// database throws `RocksSnapshotError.unavailable`.

/// Whether this build links librocksdb.
public enum RocksDBSupport {
    /// `true` when the package was built with the "RocksDB" trait (the default), `false` after
    /// `swift build --disable-default-traits`.
    public static var isAvailable: Bool {
        #if RocksDB
            return true
        #else
            return false
        #endif
    }
}
