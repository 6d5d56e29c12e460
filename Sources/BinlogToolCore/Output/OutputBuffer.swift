import BinlogFormat

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes bound for a file descriptor, gathered in one buffer allocated once and written in large
/// pieces. Formatting appends bytes here; nothing is allocated per record.
///
/// The buffer is raw memory written through ``reserve(_:)``: one capacity check per piece, no
/// copy-on-write or bounds checks per byte. Its stored properties are only ever touched by the
/// one formatting loop, so their run-time exclusivity checks are off (they cost more than the
/// appends themselves).
public final class OutputBuffer {
    private let fd: Int32
    private let flushThreshold: Int
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    /// Bytes gathered and not yet written.
    @exclusivity(unchecked) private(set) var count = 0
    /// Set when a write fails (e.g. the reader of a pipe went away).
    @exclusivity(unchecked) public private(set) var failed = false
    /// When set, the gathered bytes are handed here, storage and all, instead of being written to
    /// `fd` (`dump --jobs`: a worker's chunks), and the buffer goes on in fresh storage from
    /// `pool`; false from it means nobody reads them any more, as a failed write.
    private var sink: ((OutputChunk) -> Bool)? = nil
    private var pool: OutputChunkPool? = nil
    /// With a sink: the chunk whose storage `base` is.
    private var chunk: OutputChunk? = nil
    /// ``appendISOTime(_:)``'s last day (unix seconds / 86 400) and its `YYYY-MM-DDT` (11 bytes).
    @exclusivity(unchecked) var isoDay: UInt32 = .max
    @exclusivity(unchecked) var isoDayText: (UInt64, UInt64) = (0, 0)

    public init(fd: Int32 = 1, flushThreshold: Int = 1 << 20) {
        self.fd = fd
        self.flushThreshold = flushThreshold
        capacity = flushThreshold + (1 << 16)
        base = .allocate(capacity: capacity)
    }

    /// A buffer whose pieces (of about `pool.flushThreshold` bytes) are handed to `sink` in
    /// storage taken from `pool`, without a copy.
    public init(pool: OutputChunkPool, sink: @escaping (OutputChunk) -> Bool) {
        fd = -1
        flushThreshold = pool.flushThreshold
        let storage = pool.take()
        base = storage.base
        capacity = storage.capacity
        chunk = storage
        self.pool = pool
        self.sink = sink
    }

    deinit {
        flush()
        if let chunk {
            pool?.put(chunk)
        } else {
            base.deallocate()
        }
    }

    /// Writes into `storage` from now on (with a sink).
    private func use(_ storage: OutputChunk) {
        chunk = storage
        base = storage.base
        capacity = storage.capacity
    }

    /// Room for `n` more bytes: writes out what has gathered when they would not fit (and grows
    /// only for a single piece larger than the whole buffer). Write at most `n` bytes at the
    /// pointer returned, then ``commit(_:)`` how many were written.
    @inline(__always)
    func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if capacity &- count < n { makeRoom(n) }
        return base + count
    }

    @inline(__always)
    func commit(_ n: Int) { count &+= n }

    @inline(never)
    private func makeRoom(_ n: Int) {
        flush()
        if n > capacity {
            if let old = chunk {
                pool?.put(old)
                use(OutputChunk(capacity: n))
            } else {
                base.deallocate()
                capacity = n
                base = .allocate(capacity: n)
            }
        }
    }

    @inline(__always) public func append(_ byte: UInt8) {
        reserve(1).pointee = byte
        count &+= 1
    }
    @inline(__always) public func append(_ s: StaticString) {
        s.withUTF8Buffer { append(bytes: UnsafeRawBufferPointer($0)) }
    }
    /// Literals go to the `StaticString` form (no String, no reference counting).
    @_disfavoredOverload
    public func append(_ s: String) {
        var s = s
        s.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
    }
    @inline(__always) public func append(bytes other: UnsafeRawBufferPointer) {
        let n = other.count
        guard n > 0 else { return }
        UnsafeMutableRawPointer(reserve(n)).copyMemory(from: other.baseAddress!, byteCount: n)
        count &+= n
    }
    public func append(bytes other: [UInt8]) { other.withUnsafeBytes { append(bytes: $0) } }

    /// Appends the decimal digits of `value`.
    @inline(__always)
    public func append<T: BinaryInteger>(decimal value: T) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            appendDecimal(UInt64(-Int64(value)))
            return
        }
        appendDecimal(UInt64(value))
    }

    public func appendDecimal(_ value: UInt64) {
        let p = reserve(20)
        if value < 10 {
            p.pointee = 0x30 &+ UInt8(truncatingIfNeeded: value)
            count &+= 1
            return
        }
        let digits = decimalDigitCount(value)
        // Two digits at a time from the end, from the "00" … "99" table.
        let pairs = digitPairs.utf8Start
        var v = value
        var i = digits
        while i >= 2 {
            let q = v / 100
            let r = Int(truncatingIfNeeded: v &- q &* 100)
            v = q
            i &-= 2
            p[i] = pairs[2 &* r]
            p[i &+ 1] = pairs[2 &* r &+ 1]
        }
        if i == 1 { p[0] = 0x30 &+ UInt8(truncatingIfNeeded: v) }
        count &+= digits
    }

    /// Writes out what has gathered when it is past the threshold.
    @inline(__always) public func flushIfNeeded() {
        if count >= flushThreshold { flush() }
    }

    public func flush() {
        guard count > 0 else { return }
        let bytes = UnsafeRawBufferPointer(start: base, count: count)
        if !failed, let sink, let pool, let full = chunk {
            full.count = count
            use(pool.take())
            if !sink(full) { failed = true }
        } else if !failed, writeFully(bytes, to: fd).errno != nil {
            failed = true
        }
        count = 0
    }

    /// Writes out what has gathered, then `bytes` straight from where they are (no copy).
    public func writeThrough(_ bytes: UnsafeRawBufferPointer) {
        flush()
        if !failed, writeFully(bytes, to: fd).errno != nil { failed = true }
    }
}

/// Bytes gathered by one ``OutputBuffer`` and handed, with their storage, to the thread that
/// writes them out, which gives it back to the ``OutputChunkPool``. A chunk nobody takes (its job
/// cancelled or the run stopped) frees its storage when it is dropped.
public final class OutputChunk: @unchecked Sendable {
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    public internal(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// Storage for the ``OutputBuffer``s of worker threads, handed round and reused: fresh megabytes
/// per piece would be mapped and zeroed by the kernel one after the other. Keeps at most `spare`
/// chunks; the rest are freed.
public final class OutputChunkPool: @unchecked Sendable {
    public let flushThreshold: Int
    private let capacity: Int
    private let lock = Monitor()
    private var free: [OutputChunk] = []
    private let spare: Int

    public init(flushThreshold: Int = 1 << 20, spare: Int = 16) {
        self.flushThreshold = flushThreshold
        capacity = flushThreshold + (1 << 16)
        self.spare = spare
    }

    func take() -> OutputChunk {
        lock.lock()
        let chunk = free.popLast()
        lock.unlock()
        return chunk ?? OutputChunk(capacity: capacity)
    }

    /// Takes back a chunk once its bytes are written (one grown for a single larger piece is freed).
    public func put(_ chunk: OutputChunk) {
        guard chunk.capacity == capacity else { return }
        lock.lock()
        if free.count < spare { free.append(chunk) }
        lock.unlock()
    }
}

/// Number of decimal digits of `v` (1–20): a few comparisons, no division.
@inline(__always)
func decimalDigitCount(_ v: UInt64) -> Int {
    if v < 100_000 {
        if v < 100 { return v < 10 ? 1 : 2 }
        return v < 1_000 ? 3 : (v < 10_000 ? 4 : 5)
    }
    if v < 10_000_000_000 {
        if v < 10_000_000 { return v < 1_000_000 ? 6 : 7 }
        return v < 100_000_000 ? 8 : (v < 1_000_000_000 ? 9 : 10)
    }
    var n = 11
    var x = v / 100_000_000_000
    while x > 0 {
        n += 1
        x /= 10
    }
    return n
}

private let digitPairs: StaticString = """
    00010203040506070809101112131415161718192021222324252627282930313233343536373839\
    40414243444546474849505152535455565758596061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899
    """

/// Whether `fd` is a terminal.
func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }

/// Writes a line to stderr at once.
public func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
}
