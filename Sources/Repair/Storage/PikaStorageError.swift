import RocksSnapshot

/// An error while opening or decoding a Pika snapshot.
public enum PikaStorageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// RocksDB failed (open, read, iterate), or this build has no RocksDB.
    case database(RocksSnapshotError)
    /// The directory is not a Pika db directory this module understands.
    case unrecognizedLayout(directory: String, reason: String)
    /// An explicit version was given that does not fit the directory layout.
    case layoutMismatch(directory: String, version: PikaStorageVersion, layout: SnapshotLayout)
    /// A column family that the requested data lives in is not present (or was not opened).
    case missingColumnFamily(path: String, columnFamily: String)
    /// A stored key or value does not have the shape its column family requires.
    case malformedRecord(path: String, columnFamily: String, key: [UInt8], reason: String)
    /// A builder argument cannot be encoded in the chosen version (test encoder only).
    case unencodable(reason: String)

    public var description: String {
        switch self {
        case .database(let error):
            return error.description
        case .unrecognizedLayout(let directory, let reason):
            return "\(directory) is not a Pika snapshot db directory: \(reason); "
                + "pass the db<N> directory of a bgsave dump (holding strings/ hashes/ … or 0/ 1/ …)."
        case .layoutMismatch(let directory, let version, let layout):
            return "\(directory) has the \(layout) layout, which \(version) does not write; check the version option."
        case .missingColumnFamily(let path, let columnFamily):
            return
                "\(path) has no column family \"\(columnFamily)\"; the snapshot is incomplete or from another version."
        case .malformedRecord(let path, let columnFamily, let key, let reason):
            return
                "malformed record in \(path) column family \"\(columnFamily)\" at key \(printableBytes(key)): \(reason)"
        case .unencodable(let reason):
            return "cannot encode: \(reason)"
        }
    }
}

/// Bytes for messages: printable ASCII as is, everything else as `\xNN`, at most 80 bytes.
func printableBytes(_ bytes: [UInt8]) -> String {
    var text = "\""
    for byte in bytes.prefix(80) {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            text += "\\" + String(UnicodeScalar(byte))
        case 0x20..<0x7F:
            text.unicodeScalars.append(UnicodeScalar(byte))
        default:
            let hex = String(byte, radix: 16)
            text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    text += bytes.count > 80 ? "\"…" : "\""
    return text
}
