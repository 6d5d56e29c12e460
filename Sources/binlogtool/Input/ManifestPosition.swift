import BinlogFormat

/// The producer position a binlog directory's manifest records.
struct ManifestPosition {
    var producer: ResumePoint
    var logicID: UInt64
    var term: UInt32
}

/// Reads `manifest` in `directory` (v3.0+ layout), or nil when there is none.
func readManifestPosition(directory: String) -> ManifestPosition? {
    let bytes = readRawBytes(directory + "/manifest", at: 0, count: 24)
    guard bytes.count == 24 else { return nil }
    return bytes.withUnsafeBytes { b in
        ManifestPosition(
            producer: ResumePoint(
                fileNumber: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 0, as: UInt32.self)),
                offset: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 4, as: UInt64.self))),
            logicID: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 12, as: UInt64.self)),
            term: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 20, as: UInt32.self)))
    }
}
