#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// How a Pika db directory (`<dump>/<date>/db0/` or `<db-path>/db0/`) is split into RocksDB
/// databases (Docs/Format.md §K2).
public enum SnapshotLayout: Hashable, Sendable, CustomStringConvertible {
    /// 3.3/3.4/3.5: one RocksDB per type, `strings/ hashes/ lists/ sets/ zsets/`, plus
    /// `streams/` from 3.5.3 on.
    case perType(hasStreams: Bool)
    /// 4.0: `count` RocksDB instances `0/ … count-1/`, each holding every type.
    case instances(count: Int)

    /// The v3 type directories, in the order they are opened.
    static let v3Types: [PikaDataType] = [.string, .hash, .list, .zset, .set]

    /// Detects the layout from the subdirectories of `directory` that hold a RocksDB `CURRENT`
    /// file. Reads directory entries only.
    /// - Throws: `PikaStorageError.unrecognizedLayout` if neither layout (or both) is present,
    ///   or if only some of the five v3 directories exist.
    public static func detect(in directory: String) throws(PikaStorageError) -> SnapshotLayout {
        guard isDirectory(directory) else {
            throw .unrecognizedLayout(directory: directory, reason: "no such directory")
        }
        var present: [PikaDataType] = []
        for type in v3Types where try isDatabase(directory + "/" + type.v3DirectoryName) { present.append(type) }
        var instanceCount = 0
        while try isDatabase(directory + "/" + String(instanceCount)) { instanceCount += 1 }

        if !present.isEmpty && instanceCount > 0 {
            throw .unrecognizedLayout(
                directory: directory, reason: "it holds both per-type directories (3.x) and instance directories (4.0)")
        }
        if instanceCount > 0 { return .instances(count: instanceCount) }
        if present.count == v3Types.count {
            return .perType(hasStreams: try isDatabase(directory + "/streams"))
        }
        if present.isEmpty {
            throw .unrecognizedLayout(
                directory: directory, reason: "no strings/ hashes/ lists/ sets/ zsets/ or 0/ RocksDB directory")
        }
        let missing = v3Types.filter { !present.contains($0) }.map(\.v3DirectoryName).joined(separator: ", ")
        throw .unrecognizedLayout(directory: directory, reason: "per-type directories missing: \(missing)")
    }

    public var description: String {
        switch self {
        case .perType(let hasStreams): return hasStreams ? "per-type (3.5.3+ with streams)" : "per-type (3.x)"
        case .instances(let count): return "\(count)-instance (4.0)"
        }
    }

    /// Whether `path` is a directory holding a RocksDB `CURRENT` file.
    /// - Throws: `.unreadable` when the directory exists but its `CURRENT` cannot be looked at
    ///   (a directory without search permission): it is there, not missing.
    static func isDatabase(_ path: String) throws(PikaStorageError) -> Bool {
        guard isDirectory(path) else { return false }
        var status = stat()
        guard stat(path + "/CURRENT", &status) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return false }
            throw .unreadable(path: path, errno: code)
        }
        return (status.st_mode & S_IFMT) == S_IFREG
    }

    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }
}
