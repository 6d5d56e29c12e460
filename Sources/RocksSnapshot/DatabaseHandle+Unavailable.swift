#if !RocksDB
    // Stand-ins used when the package is built without the "RocksDB" trait: the public API keeps
    // compiling, and every attempt to open or list a database throws `.unavailable`.

    enum OpenMode {
        case readOnly
        case createReadWrite
    }

    final class DatabaseHandle {
        let path: String
        let columnFamilyNames: [String]

        private init(path: String) {
            self.path = path
            self.columnFamilyNames = []
        }

        static func open(
            path: String, descriptors: [ColumnFamilyDescriptor], mode: OpenMode
        ) throws(RocksSnapshotError) -> DatabaseHandle {
            throw .unavailable(path: path)
        }

        static func listColumnFamilies(path: String) throws(RocksSnapshotError) -> [String] {
            throw .unavailable(path: path)
        }

        func close() {}
        func get(_ key: [UInt8], columnFamily index: Int) throws(RocksSnapshotError) -> [UInt8]? {
            throw .unavailable(path: path)
        }
        func put(_ key: [UInt8], _ value: [UInt8], columnFamily index: Int) throws(RocksSnapshotError) {
            throw .unavailable(path: path)
        }
        func delete(_ key: [UInt8], columnFamily index: Int) throws(RocksSnapshotError) {
            throw .unavailable(path: path)
        }
        func flush(columnFamily index: Int) throws(RocksSnapshotError) { throw .unavailable(path: path) }
        func makeIterator(columnFamily index: Int) -> IteratorHandle { IteratorHandle(path: path, columnFamily: index) }
    }

    final class IteratorHandle {
        private let path: String
        let columnFamilyIndex: Int

        fileprivate init(path: String, columnFamily: Int) {
            self.path = path
            self.columnFamilyIndex = columnFamily
        }

        var isValid: Bool { false }
        func seekToFirst() {}
        func seekToLast() {}
        func next() {}
        func previous() {}
        func seek(to key: [UInt8]) {}
        func withKey<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
            try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        func withValue<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
            try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        func checkStatus() throws(RocksSnapshotError) { throw .unavailable(path: path) }
    }
#endif
