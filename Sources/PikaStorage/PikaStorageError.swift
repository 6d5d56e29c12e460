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
    /// RocksDB could not open a database whose table files are in a newer format than Pika 3.5 and
    /// 4.0 write (block-based table `format_version` above 5, read from a file's footer): written
    /// by a newer RocksDB (`writtenBy`, from its OPTIONS file) than this build's librocksdb
    /// (`readerVersion`). Not corruption.
    case newerTableFormat(path: String, formatVersion: UInt32, writtenBy: String?, readerVersion: String?)
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
        case .newerTableFormat(let path, let formatVersion, let writtenBy, let readerVersion):
            let writer = writtenBy.map { "RocksDB \($0)" } ?? "a newer RocksDB"
            let reader = readerVersion.map { "librocksdb \($0)" } ?? "librocksdb"
            return "\(path): written by \(writer) in table format_version \(formatVersion), which this build's "
                + "\(reader) cannot read (Pika 3.5 and 4.0 write format_version 5); the data is not corrupt. "
                + "Read it with a binlogtool built against a librocksdb that reads format_version \(formatVersion) "
                + "(\(writer) wrote it), or have that RocksDB rewrite the database with format_version=5"
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

/// The block-based table magic number, the last 8 bytes of every SST file RocksDB writes by default.
let blockBasedTableMagic: UInt64 = 0x88e2_41b7_85f4_cff7
/// The highest table `format_version` the RocksDB releases Pika 3.5 and 4.0 pin write by default.
let pikaTableFormatVersion: UInt32 = 5

/// After RocksDB failed to open `path`: a table file whose footer names a newer format than Pika
/// writes, as a typed error (RocksDB's own error is text only), or nil.
func newerTableFormat(in path: String, readerVersion: String?) -> PikaStorageError? {
    guard let dir = opendir(path) else { return nil }
    defer { closedir(dir) }
    var found: (file: String, version: UInt32)? = nil
    var newestOptions: (number: Int, name: String)? = nil
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name.hasPrefix("OPTIONS-"), let n = Int(name.dropFirst("OPTIONS-".count)), n > (newestOptions?.number ?? -1) {
            newestOptions = (n, name)
        }
        guard found == nil, name.hasSuffix(".sst") else { continue }
        let file = path + "/" + name
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { continue }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_size >= 12 else { continue }
        var tail = [UInt8](repeating: 0, count: 12)
        guard pread(fd, &tail, 12, off_t(status.st_size - 12)) == 12 else { continue }
        var version: UInt32 = 0
        var magic: UInt64 = 0
        for i in 0..<4 { version |= UInt32(tail[i]) << (8 * UInt32(i)) }
        for i in 0..<8 { magic |= UInt64(tail[4 + i]) << (8 * UInt64(i)) }
        if magic == blockBasedTableMagic && version > pikaTableFormatVersion { found = (file, version) }
    }
    guard let found else { return nil }
    var writtenBy: String? = nil
    if let options = newestOptions, let f = fopen(path + "/" + options.name, "r") {
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 1024)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let trimmed = text.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("rocksdb_version=") {
                writtenBy = String(trimmed.dropFirst("rocksdb_version=".count))
                break
            }
        }
    }
    // A reader at least as new as the writer reads it: then the failure is something else.
    if let w = writtenBy, let r = readerVersion, !releaseIsNewer(w, than: r) { return nil }
    return .newerTableFormat(path: found.file, formatVersion: found.version, writtenBy: writtenBy, readerVersion: readerVersion)
}

/// Whether dotted release `a` (`9.8.4`) is above `b` (`7.8.3`), number by number.
func releaseIsNewer(_ a: String, than b: String) -> Bool {
    let x = a.split(separator: ".").map { Int($0) ?? 0 }
    let y = b.split(separator: ".").map { Int($0) ?? 0 }
    for i in 0..<max(x.count, y.count) {
        let p = i < x.count ? x[i] : 0
        let q = i < y.count ? y[i] : 0
        if p != q { return p > q }
    }
    return false
}
