import SystemPackage

/// A failure while writing a binlog: every case names the file it concerns.
///
/// Thrown by ``BinlogWriter`` and by the ``BinlogOutput`` implementations. Memory output never
/// fails with an I/O case; only ``itemTooLarge(path:byteCount:limit:)`` can reach it.
public enum BinlogWriteError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The target file already exists and the output was not told to replace it.
    case outputExists(path: String)
    /// `open(2)` of a new (temporary) file failed.
    case createFailed(path: String, errno: Errno)
    /// `write(2)` failed; `offset` is the file offset in bytes where the failed write began.
    case writeFailed(path: String, offset: UInt64, errno: Errno)
    /// `fsync(2)` of a finished file, or of the directory after the renames, failed.
    case syncFailed(path: String, errno: Errno)
    /// `close(2)` failed (on some file systems the last write error is reported here).
    case closeFailed(path: String, errno: Errno)
    /// `rename(2)` of a temporary file into place failed.
    case renameFailed(from: String, to: String, errno: Errno)
    /// An item whose payload is larger than Pika's writer can take: `Binlog::Put(const char*, int)`
    /// takes an `int` length, so at most `limit` (2 147 483 647) bytes.
    case itemTooLarge(path: String, byteCount: Int, limit: Int)

    /// The file the error is about (the destination, for a rename).
    public var path: String {
        switch self {
        case .outputExists(let p), .createFailed(let p, _), .writeFailed(let p, _, _), .syncFailed(let p, _),
            .closeFailed(let p, _), .itemTooLarge(let p, _, _):
            p
        case .renameFailed(_, let to, _): to
        }
    }

    public var description: String {
        switch self {
        case .outputExists(let p):
            "\(p): already exists; remove it or allow replacing existing output"
        case .createFailed(let p, let e):
            "\(p): cannot create: \(e); check that the directory exists and is writable"
        case .writeFailed(let p, let o, let e):
            "\(p): write failed at byte \(o): \(e); check free space"
        case .syncFailed(let p, let e):
            "\(p): fsync failed: \(e); the data may not be on disk, write it again"
        case .closeFailed(let p, let e):
            "\(p): close failed: \(e); the data may not be on disk, write it again"
        case .renameFailed(let from, let to, let e):
            "\(to): cannot rename \(from) into place: \(e); files not yet renamed were removed, write again"
        case .itemTooLarge(let p, let n, let limit):
            "\(p): item of \(n) bytes is larger than Pika's writer accepts (\(limit) bytes)"
        }
    }
}
