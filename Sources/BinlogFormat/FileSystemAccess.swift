import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Small read-only file-system helpers for the metadata readers (manifest, context, `info`) and
// directory discovery. Nothing here writes.

/// Read-only file-system helpers (namespaced to keep the module's internal names free).
enum FileSystemAccess {
    /// What `stat(2)` (following symlinks) says about a path.
    struct PathStatus {
        enum Kind { case regular, directory, other }
        var kind: Kind
        /// `st_size` in bytes.
        var byteCount: UInt64
    }

    /// `stat(2)` of `path`, following symlinks; `nil` plus the `strerror` text when it fails.
    static func status(of path: String) -> (status: PathStatus?, failure: String?) {
        var info = stat()
        if stat(path, &info) != 0 {
            return (nil, describeErrno(errno))
        }
        let format = info.st_mode & S_IFMT
        let kind: PathStatus.Kind =
            format == S_IFREG ? .regular : format == S_IFDIR ? .directory : .other
        return (PathStatus(kind: kind, byteCount: UInt64(max(0, info.st_size))), nil)
    }

    /// The names in directory `path` except `.` and `..`, unsorted; or the `strerror` text.
    static func names(in path: String) -> Result<[String], DirectoryReadFailure> {
        guard let dir = opendir(path) else { return .failure(DirectoryReadFailure(reason: describeErrno(errno))) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names)
    }

    struct DirectoryReadFailure: Error {
        var reason: String
    }

    static func describeErrno(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }

    /// Reads at most `maxByteCount` bytes from the start of the file at `path`.
    /// - Returns: the bytes and the file's total size (`byteCount` can exceed `bytes.count`).
    /// - Throws: ``BinlogIOError`` `.missing` when it cannot be opened, `.read` when reading fails.
    static func readPrefix(of path: String, maxByteCount: Int) throws(BinlogIOError) -> (bytes: [UInt8], byteCount: UInt64) {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(FilePath(path), .readOnly)
        } catch {
            throw BinlogIOError(kind: .missing, path: path, offset: 0, reason: "\(error)")
        }
        defer { try? descriptor.close() }
        var bytes = [UInt8](repeating: 0, count: maxByteCount)
        var count = 0
        do {
            while count < maxByteCount {
                let n = try bytes.withUnsafeMutableBytes { buffer in
                    try descriptor.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
                }
                if n == 0 { break }
                count += n
            }
        } catch {
            throw BinlogIOError(kind: .read, path: path, offset: UInt64(count), reason: "\(error)")
        }
        bytes.removeSubrange(count...)
        let total: Int64
        do {
            total = try descriptor.seek(offset: 0, from: .end)
        } catch {
            throw BinlogIOError(kind: .read, path: path, offset: UInt64(count), reason: "\(error)")
        }
        return (bytes, UInt64(max(total, Int64(count))))
    }

    /// The last path component (`/a/b/` gives `b`).
    static func lastComponent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if let slash = trimmed.lastIndex(of: "/") {
            return String(trimmed[trimmed.index(after: slash)...])
        }
        return String(trimmed)
    }

    /// `directory/name` without doubling a trailing slash.
    static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}

/// Little-endian fixed-width loads from a byte array (host-order `memcpy` in Pika, which is
/// little-endian on every platform Pika ships for). Bytes past the end read as zero.
extension Array where Element == UInt8 {
    func metadataUInt32(at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<4 where offset + i < count {
            value |= UInt32(self[offset + i]) << (8 * i)
        }
        return value
    }

    func metadataUInt64(at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 where offset + i < count {
            value |= UInt64(self[offset + i]) << (8 * i)
        }
        return value
    }

    mutating func setMetadataField(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    mutating func setMetadataField(_ value: UInt64, at offset: Int) {
        for i in 0..<8 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }
}
