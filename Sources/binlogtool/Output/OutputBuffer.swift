#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes bound for a file descriptor, gathered in one reused buffer and written in large pieces.
/// Formatting appends bytes here; nothing is allocated per record once the buffer has grown.
final class OutputBuffer {
    private var bytes: [UInt8] = []
    private let fd: Int32
    private let flushThreshold: Int
    /// Set when a write fails (e.g. the reader of a pipe went away).
    private(set) var failed = false

    init(fd: Int32 = 1, flushThreshold: Int = 1 << 20) {
        self.fd = fd
        self.flushThreshold = flushThreshold
        bytes.reserveCapacity(flushThreshold + (1 << 16))
    }

    deinit { flush() }

    @inline(__always) func append(_ byte: UInt8) { bytes.append(byte) }
    @inline(__always) func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
    func append(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }
    func append(bytes other: UnsafeRawBufferPointer) { bytes.append(contentsOf: other) }
    func append(bytes other: [UInt8]) { bytes.append(contentsOf: other) }

    /// Appends the decimal digits of `value`.
    func append<T: BinaryInteger>(decimal value: T) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            append(decimal: UInt64(-Int64(value)))
            return
        }
        var v = UInt64(value)
        if v < 10 {
            bytes.append(0x30 + UInt8(v))
            return
        }
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch on the stack
        withUnsafeMutableBytes(of: &tmp) { scratch in
            var i = scratch.count
            while v > 0 {
                i -= 1
                scratch[i] = 0x30 + UInt8(v % 10)
                v /= 10
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[i...]))
        }
    }

    /// Writes out what has gathered when it is past the threshold.
    @inline(__always) func flushIfNeeded() {
        if bytes.count >= flushThreshold { flush() }
    }

    func flush() {
        guard !bytes.isEmpty else { return }
        if !failed {
            bytes.withUnsafeBytes { buf in
                var off = 0
                while off < buf.count {
                    let n = write(fd, buf.baseAddress! + off, buf.count - off)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failed = true
                        return
                    }
                    off += n
                }
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Whether `fd` is a terminal.
func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }

/// Writes a line to stderr at once.
func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
}
