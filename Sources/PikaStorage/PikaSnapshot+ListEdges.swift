import RocksSnapshot

extension PikaSnapshot {
    /// The first and last `count` elements of list `key` at `reference` (LRANGE 0 count-1 and
    /// LRANGE -count -1), read with two seeks.
    public func listEdges(
        _ key: [UInt8], count: Int, at reference: UnixTime
    ) throws(PikaStorageError) -> (head: [[UInt8]], tail: [[UInt8]]) {
        guard let (record, store) = try liveRecordAndStore(for: key, type: .list, at: reference),
            let indexes = record.listIndexes
        else { return ([], []) }
        let isV3 = version.encoding == .blackwidow
        let prefix =
            isV3
            ? PikaKeyFormat.v3DataPrefix(key, version: record.version)
            : PikaKeyFormat.v4DataPrefix(key, version: record.version)
        let keyCount = prefix.count + 8 + (isV3 ? 0 : PikaKeyFormat.v4KeySuffixLength)
        func read(from first: UInt64, limit: Int) throws(PikaStorageError) -> [[UInt8]] {
            var seekKey = prefix
            StorageBytes.append(first, to: &seekKey)
            var elements: [[UInt8]] = []
            try store.scan(.listData, prefix: prefix, seekKey: seekKey) { (storedKey, value) throws(PikaStorageError) in
                guard storedKey.count == keyCount, let index = StorageBytes.uint64(storedKey, at: prefix.count) else {
                    throw store.malformed(.listData, key: storedKey, "list data key of \(storedKey.count) bytes")
                }
                guard index < indexes.right, elements.count < limit else { return false }
                if isV3 {
                    elements.append(value)
                } else {
                    guard value.count >= PikaKeyFormat.v4DataValueSuffixLength else {
                        throw store.malformed(.listData, key: storedKey, "list value of \(value.count) bytes")
                    }
                    elements.append(Array(value[..<(value.count - PikaKeyFormat.v4DataValueSuffixLength)]))
                }
                return true
            }
            return elements
        }
        let n = Int(min(Int64(count), record.count))
        let head = try read(from: indexes.left &+ 1, limit: n)
        let tail = try read(from: indexes.right &- UInt64(n), limit: n)
        return (head, tail)
    }
}
