#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#elseif canImport(Darwin)
    internal import Darwin
#endif

extension RocksDBSupport {
    /// The release of the librocksdb this process loaded (`7.8.3`): the real file name of the
    /// mapped `librocksdb.so.*` (`/proc/self/maps`, then the symlinks resolved). Nil without
    /// RocksDB, off Linux, or when the name carries no version.
    public static let libraryVersion: String? = {
        guard isAvailable, let maps = fopen("/proc/self/maps", "r") else { return nil }
        defer { fclose(maps) }
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), maps) != nil {
            let text = String(decoding: line.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard let slash = text.firstIndex(of: "/"), text.contains("librocksdb") else { continue }
            let mapped = String(text[slash...])
            guard let real = realpath(mapped, nil) else { continue }
            defer { free(real) }
            // `librocksdb.so.7.8.3` → `7.8.3`.
            let name = String(cString: real).split(separator: "/").last.map(String.init) ?? ""
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            guard let so = parts.firstIndex(of: "so"), so + 1 < parts.count else { return nil }
            return parts[(so + 1)...].joined(separator: ".")
        }
        return nil
    }()
}
