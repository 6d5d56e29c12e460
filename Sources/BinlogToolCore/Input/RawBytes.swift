#if canImport(Glibc)
import Glibc
#endif

/// Reads up to `count` bytes of a file at `offset` (for showing damaged bytes).
public func readRawBytes(_ path: String?, at offset: UInt64, count: Int) -> [UInt8] {
    guard let path, count > 0 else { return [] }
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: count)
    let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
    return n > 0 ? Array(bytes.prefix(n)) : []
}

public func fileSize(_ path: String) -> UInt64? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return UInt64(st.st_size)
}
