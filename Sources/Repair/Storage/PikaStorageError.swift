import RocksSnapshot

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// An error while opening or decoding a Pika snapshot.
public enum PikaStorageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// RocksDB failed (open, read, iterate), or this build has no RocksDB.
    case database(RocksSnapshotError)
    /// A file or directory of the snapshot exists but cannot be read: the failing call's `errno`
    /// (`EACCES` for a permission problem), checked before RocksDB opens the database.
    case unreadable(path: String, errno: Int32)
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
        case .unreadable(let path, let code):
            return "\(path): cannot be read: \(String(cString: strerror(code)))"
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

/// Tries to read what RocksDB will open, so that a failure carries its `errno` (RocksDB reports
/// only text): the directory's entries, and every regular file in it opened for reading.
func requireReadableDatabase(at path: String) throws(PikaStorageError) {
    guard let dir = opendir(path) else { throw .unreadable(path: path, errno: errno) }
    defer { closedir(dir) }
    while true {
        errno = 0
        guard let entry = readdir(dir) else {
            if errno != 0 { throw .unreadable(path: path, errno: errno) }
            return
        }
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name == "." || name == ".." { continue }
        let file = path + "/" + name
        var status = stat()
        guard stat(file, &status) == 0 else { throw .unreadable(path: file, errno: errno) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { continue }
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: file, errno: errno) }
        close(fd)
    }
}
