#if canImport(Glibc)
import Glibc
#endif
import BinlogFormat

/// Progress on stderr, only when stderr is a terminal, at most ten updates a second: bytes done
/// of the total, the percentage and the rate (`12.5 MiB of 96.0 MiB (13%), 41.2 MiB/s`).
public struct Progress {
    public let enabled = isTerminal(2)
    /// The bytes the whole run will decode, when known (not for `.lz4` inputs, whose decoded
    /// size is only known at their end).
    public var total: UInt64?
    private var startNanos: UInt64 = 0
    private var lastNanos: UInt64 = 0
    private var shown = false

    public init(total: UInt64? = nil) {
        self.total = total
    }

    /// Progress over the files of a binlog input: their sizes add up to the total unless one is
    /// compressed.
    public init(files: [BinlogFileEntry]) {
        self.init(total: files.contains { $0.compressed } ? nil : files.reduce(0) { $0 + $1.byteCount })
    }

    public mutating func tick(_ bytes: UInt64) {
        guard enabled else { return }
        let now = Self.monotonicNanos()
        if startNanos == 0 { startNanos = now }
        guard lastNanos == 0 || now - lastNanos > 100_000_000 else { return }
        lastNanos = now
        shown = true
        let line = "\r" + Self.line(bytes: bytes, total: total, elapsedNanos: now - startNanos) + "\u{1B}[K"
        line.utf8CString.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count - 1) }
    }

    public mutating func finish() {
        guard shown else { return }
        let line = "\r\u{1B}[K"
        line.utf8CString.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count - 1) }
    }

    /// The progress text: done, of the total and the percentage when known, and the rate once a
    /// tenth of a second has passed.
    public static func line(bytes: UInt64, total: UInt64?, elapsedNanos: UInt64) -> String {
        var line = mebibytes(bytes)
        if let total, total > 0 {
            line += " of " + mebibytes(total) + " (\(min(100, bytes * 100 / total))%)"
        }
        line += " decoded"
        if elapsedNanos >= 100_000_000 {
            line += ", " + mebibytes(UInt64(Double(bytes) * 1e9 / Double(elapsedNanos))) + "/s"
        }
        return line
    }

    /// `12.5 MiB`: one decimal.
    public static func mebibytes(_ bytes: UInt64) -> String {
        let tenths = bytes * 10 / 1_048_576
        return "\(tenths / 10).\(tenths % 10) MiB"
    }

    private static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
