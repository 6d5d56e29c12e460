#if RocksDB
    internal import CRocksDB

    #if canImport(Glibc)
        internal import Glibc
    #elseif canImport(Musl)
        internal import Musl
    #elseif canImport(Darwin)
        internal import Darwin
    #endif

    // The C wall: everything below owns librocksdb objects. Rules followed here (Docs/Format.md §K11):
    // - every `char* errptr` and every `rocksdb_get*` result is released with `rocksdb_free`;
    // - every `*_create` has its `*_destroy`;
    // - comparators outlive the DB (destroyed after `rocksdb_close`), and their callbacks
    //   capture nothing: state travels through an `Unmanaged` box.

    /// Keeps a Swift comparison function and its C name alive for as long as RocksDB holds the
    /// comparator. Retained once by `rocksdb_comparator_create`'s state, released by its destructor.
    private final class ComparatorBox {
        let compare: KeyComparator.Compare
        let cName: UnsafeMutablePointer<CChar>

        init(_ comparator: KeyComparator) {
            self.compare = comparator.compare
            self.cName = strdup(comparator.name)
        }

        deinit { free(cName) }
    }

    /// Creates a RocksDB comparator that calls `comparator.compare`.
    /// The result must be passed to `rocksdb_comparator_destroy` after every DB using it is closed.
    private func makeCComparator(_ comparator: KeyComparator) -> OpaquePointer {
        let state = Unmanaged.passRetained(ComparatorBox(comparator)).toOpaque()
        return rocksdb_comparator_create(
            state,
            { state in
                guard let state else { return }
                Unmanaged<ComparatorBox>.fromOpaque(state).release()
            },
            { state, a, aLength, b, bLength in
                guard let state else { return 0 }
                let box = Unmanaged<ComparatorBox>.fromOpaque(state).takeUnretainedValue()
                let left = UnsafeRawBufferPointer(start: a, count: a == nil ? 0 : aLength)
                let right = UnsafeRawBufferPointer(start: b, count: b == nil ? 0 : bLength)
                return box.compare(left, right)
            },
            { state in
                guard let state else { return nil }
                return UnsafePointer(Unmanaged<ComparatorBox>.fromOpaque(state).takeUnretainedValue().cName)
            }
        )
    }

    /// Takes the message out of a RocksDB `errptr`, freeing it.
    private func consumeError(_ error: UnsafeMutablePointer<CChar>?) -> String? {
        guard let error else { return nil }
        let message = String(cString: error)
        rocksdb_free(error)
        return message
    }

    /// How `DatabaseHandle.open` opens a directory.
    enum OpenMode {
        /// `rocksdb_open_for_read_only_column_families` with `error_if_wal_file_exists = 0`:
        /// takes no LOCK, writes nothing, replays WAL files into memory only.
        case readOnly
        /// `rocksdb_open_column_families` creating the directory and missing column families.
        case createReadWrite
    }

    /// Owner of one open `rocksdb_t` and everything that must outlive it.
    final class DatabaseHandle {
        let path: String
        let columnFamilyNames: [String]
        private var db: OpaquePointer?
        private var handles: [OpaquePointer]
        private var comparators: [OpaquePointer]
        private let readOptions: OpaquePointer

        private init(
            path: String, names: [String], db: OpaquePointer, handles: [OpaquePointer], comparators: [OpaquePointer]
        ) {
            self.path = path
            self.columnFamilyNames = names
            self.db = db
            self.handles = handles
            self.comparators = comparators
            self.readOptions = rocksdb_readoptions_create()
            // Blocks read are not kept in RocksDB's block cache: each column family's default
            // cache (8 MB, table.h) would otherwise fill with the blocks a check touches (8 MB of
            // a 1 M-key verify-snapshot's peak); the verifier caches what it reads, and scans read a
            // block once.
            rocksdb_readoptions_set_fill_cache(readOptions, 0)
        }

        deinit {
            close()
            rocksdb_readoptions_destroy(readOptions)
        }

        /// Closes the database: CF handles, then the DB, then the comparators. Idempotent.
        func close() {
            guard let db else { return }
            for handle in handles { rocksdb_column_family_handle_destroy(handle) }
            handles = []
            rocksdb_close(db)
            self.db = nil
            for comparator in comparators { rocksdb_comparator_destroy(comparator) }
            comparators = []
        }

        static func open(
            path: String, descriptors: [ColumnFamilyDescriptor], mode: OpenMode
        ) throws(RocksSnapshotError) -> DatabaseHandle {
            let descriptors = try validated(path: path, descriptors: descriptors)

            let dbOptions = rocksdb_options_create()!
            defer { rocksdb_options_destroy(dbOptions) }
            switch mode {
            case .readOnly:
                rocksdb_options_set_create_if_missing(dbOptions, 0)
                rocksdb_options_set_create_missing_column_families(dbOptions, 0)
            case .createReadWrite:
                rocksdb_options_set_create_if_missing(dbOptions, 1)
                rocksdb_options_set_create_missing_column_families(dbOptions, 1)
            }

            var comparators: [OpaquePointer] = []
            var cfOptions: [OpaquePointer?] = []
            defer { for options in cfOptions { rocksdb_options_destroy(options) } }
            for descriptor in descriptors {
                let options = rocksdb_options_create()!
                if !descriptor.comparator.isBuiltinBytewise {
                    let comparator = makeCComparator(descriptor.comparator)
                    comparators.append(comparator)
                    rocksdb_options_set_comparator(options, comparator)
                }
                cfOptions.append(options)
            }

            let cNames: [UnsafeMutablePointer<CChar>?] = descriptors.map { strdup($0.name) }
            defer { for name in cNames { free(name) } }
            var rawHandles = [OpaquePointer?](repeating: nil, count: descriptors.count)
            var error: UnsafeMutablePointer<CChar>? = nil

            let db: OpaquePointer? = cNames.withUnsafeBufferPointer { namesBuffer in
                namesBuffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { names in
                    cfOptions.withUnsafeBufferPointer { optionsBuffer in
                        optionsBuffer.withMemoryRebound(to: Optional<OpaquePointer>.self) { options in
                            rawHandles.withUnsafeMutableBufferPointer { handlesBuffer in
                                switch mode {
                                case .readOnly:
                                    return rocksdb_open_for_read_only_column_families(
                                        dbOptions, path, Int32(descriptors.count), names.baseAddress,
                                        options.baseAddress, handlesBuffer.baseAddress,
                                        0,  // error_if_wal_file_exists: dumps may hold WALs
                                        &error)
                                case .createReadWrite:
                                    return rocksdb_open_column_families(
                                        dbOptions, path, Int32(descriptors.count), names.baseAddress,
                                        options.baseAddress, handlesBuffer.baseAddress, &error)
                                }
                            }
                        }
                    }
                }
            }

            if let message = consumeError(error) {
                if let db {
                    for case let handle? in rawHandles { rocksdb_column_family_handle_destroy(handle) }
                    rocksdb_close(db)
                }
                for comparator in comparators { rocksdb_comparator_destroy(comparator) }
                throw .rocksDB(operation: .open, path: path, columnFamily: nil, message: message)
            }
            guard let db else {
                for comparator in comparators { rocksdb_comparator_destroy(comparator) }
                throw .rocksDB(operation: .open, path: path, columnFamily: nil, message: "no database handle returned")
            }
            return DatabaseHandle(
                path: path, names: descriptors.map(\.name), db: db,
                handles: rawHandles.map { $0! }, comparators: comparators)
        }

        /// `rocksdb_list_column_families`: reads CURRENT and the MANIFEST only.
        static func listColumnFamilies(path: String) throws(RocksSnapshotError) -> [String] {
            let options = rocksdb_options_create()!
            defer { rocksdb_options_destroy(options) }
            var count = 0
            var error: UnsafeMutablePointer<CChar>? = nil
            let list = rocksdb_list_column_families(options, path, &count, &error)
            if let message = consumeError(error) {
                if let list { rocksdb_list_column_families_destroy(list, count) }
                throw .rocksDB(operation: .listColumnFamilies, path: path, columnFamily: nil, message: message)
            }
            guard let list else { return [] }
            defer { rocksdb_list_column_families_destroy(list, count) }
            return (0..<count).map { list[$0].map { String(cString: $0) } ?? "" }
        }

        private func handle(_ index: Int) -> OpaquePointer {
            precondition(db != nil, "RocksDB database \(path) used after close()")
            precondition(handles.indices.contains(index), "column family handle from another database")
            return handles[index]
        }

        func get(_ key: [UInt8], columnFamily index: Int) throws(RocksSnapshotError) -> [UInt8]? {
            let cf = handle(index)
            var length = 0
            var error: UnsafeMutablePointer<CChar>? = nil
            let value: UnsafeMutablePointer<CChar>? = key.withUnsafeBytes { k in
                rocksdb_get_cf(
                    db, readOptions, cf, k.baseAddress?.assumingMemoryBound(to: CChar.self), k.count, &length, &error)
            }
            if let message = consumeError(error) {
                if let value { rocksdb_free(value) }
                throw .rocksDB(operation: .get, path: path, columnFamily: columnFamilyNames[index], message: message)
            }
            guard let value else { return nil }
            defer { rocksdb_free(value) }
            return [UInt8](UnsafeRawBufferPointer(start: value, count: length))
        }

        func put(_ key: [UInt8], _ value: [UInt8], columnFamily index: Int) throws(RocksSnapshotError) {
            let cf = handle(index)
            let writeOptions = rocksdb_writeoptions_create()
            defer { rocksdb_writeoptions_destroy(writeOptions) }
            var error: UnsafeMutablePointer<CChar>? = nil
            key.withUnsafeBytes { k in
                value.withUnsafeBytes { v in
                    rocksdb_put_cf(
                        db, writeOptions, cf, k.baseAddress?.assumingMemoryBound(to: CChar.self), k.count,
                        v.baseAddress?.assumingMemoryBound(to: CChar.self), v.count, &error)
                }
            }
            if let message = consumeError(error) {
                throw .rocksDB(operation: .put, path: path, columnFamily: columnFamilyNames[index], message: message)
            }
        }

        func delete(_ key: [UInt8], columnFamily index: Int) throws(RocksSnapshotError) {
            let cf = handle(index)
            let writeOptions = rocksdb_writeoptions_create()
            defer { rocksdb_writeoptions_destroy(writeOptions) }
            var error: UnsafeMutablePointer<CChar>? = nil
            key.withUnsafeBytes { k in
                rocksdb_delete_cf(
                    db, writeOptions, cf, k.baseAddress?.assumingMemoryBound(to: CChar.self), k.count, &error)
            }
            if let message = consumeError(error) {
                throw .rocksDB(operation: .delete, path: path, columnFamily: columnFamilyNames[index], message: message)
            }
        }

        func flush(columnFamily index: Int) throws(RocksSnapshotError) {
            let cf = handle(index)
            let flushOptions = rocksdb_flushoptions_create()
            defer { rocksdb_flushoptions_destroy(flushOptions) }
            rocksdb_flushoptions_set_wait(flushOptions, 1)
            var error: UnsafeMutablePointer<CChar>? = nil
            rocksdb_flush_cf(db, flushOptions, cf, &error)
            if let message = consumeError(error) {
                throw .rocksDB(operation: .flush, path: path, columnFamily: columnFamilyNames[index], message: message)
            }
        }

        func makeIterator(columnFamily index: Int) -> IteratorHandle {
            IteratorHandle(database: self, columnFamily: index, cf: handle(index), db: db!)
        }

        private static func validated(
            path: String, descriptors: [ColumnFamilyDescriptor]
        ) throws(RocksSnapshotError) -> [ColumnFamilyDescriptor] {
            if path.utf8.contains(0) { throw .invalidArgument(path: path, reason: "the path contains a NUL byte") }
            var seen = Set<String>()
            for descriptor in descriptors {
                if descriptor.name.utf8.contains(0) || descriptor.comparator.name.utf8.contains(0) {
                    throw .invalidArgument(path: path, reason: "column family or comparator name contains a NUL byte")
                }
                if !seen.insert(descriptor.name).inserted {
                    throw .invalidArgument(path: path, reason: "column family \"\(descriptor.name)\" is listed twice")
                }
            }
            // RocksDB requires the default column family in every open.
            if seen.contains("default") { return descriptors }
            return [ColumnFamilyDescriptor("default")] + descriptors
        }
    }

    /// Owner of one `rocksdb_iterator_t`; keeps its database open.
    final class IteratorHandle {
        private let database: DatabaseHandle
        let columnFamilyIndex: Int
        private let iterator: OpaquePointer
        private let readOptions: OpaquePointer

        fileprivate init(database: DatabaseHandle, columnFamily: Int, cf: OpaquePointer, db: OpaquePointer) {
            self.database = database
            self.columnFamilyIndex = columnFamily
            self.readOptions = rocksdb_readoptions_create()
            self.iterator = rocksdb_create_iterator_cf(db, readOptions, cf)
        }

        deinit {
            rocksdb_iter_destroy(iterator)
            rocksdb_readoptions_destroy(readOptions)
        }

        var isValid: Bool { rocksdb_iter_valid(iterator) != 0 }
        func seekToFirst() { rocksdb_iter_seek_to_first(iterator) }
        func seekToLast() { rocksdb_iter_seek_to_last(iterator) }
        func next() { rocksdb_iter_next(iterator) }
        func previous() { rocksdb_iter_prev(iterator) }

        func seek(to key: [UInt8]) {
            key.withUnsafeBytes { k in
                rocksdb_iter_seek(iterator, k.baseAddress?.assumingMemoryBound(to: CChar.self), k.count)
            }
        }

        /// The current key, borrowed until the iterator moves. Only call when `isValid`.
        func withKey<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
            var length = 0
            let pointer = rocksdb_iter_key(iterator, &length)
            return try body(UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : length))
        }

        /// The current value, borrowed until the iterator moves. Only call when `isValid`.
        func withValue<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
            var length = 0
            let pointer = rocksdb_iter_value(iterator, &length)
            return try body(UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : length))
        }

        func checkStatus() throws(RocksSnapshotError) {
            var error: UnsafeMutablePointer<CChar>? = nil
            rocksdb_iter_get_error(iterator, &error)
            if let message = consumeError(error) {
                throw .rocksDB(
                    operation: .iterate, path: database.path,
                    columnFamily: database.columnFamilyNames[columnFamilyIndex], message: message)
            }
        }
    }
#endif
