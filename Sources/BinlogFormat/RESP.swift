/// Pika logs each command as a RESP multi-bulk: `*<argc>\r\n` then `$<len>\r\n<bytes>\r\n` per
/// argument (`Cmd::ToRedisProtocol`, `RedisCommandArgsToString`). Arguments are binary-safe.

/// Where one argument lies inside the RESP bytes.
public struct ArgumentRange: Hashable, Sendable {
    public var offset: Int
    public var count: Int
}

/// Why RESP bytes did not parse. Offsets are relative to the start of the RESP content.
public enum RESPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The content does not start with `*`.
    case notAnArray(offset: Int)
    /// A `*` or `$` count that is not a decimal number followed by CRLF.
    case badCount(offset: Int)
    /// An element that does not start with `$`.
    case notABulkString(offset: Int)
    /// A bulk string whose bytes are not followed by CRLF.
    case missingTerminator(offset: Int)
    /// The content ended inside an element.
    case truncated(offset: Int)
    /// Bytes remain after the last element.
    case trailingBytes(offset: Int, count: Int)
    /// `*0`: a command with no arguments.
    case emptyArray(offset: Int)

    public var description: String {
        switch self {
        case .notAnArray(let o): "RESP does not start with '*' (content byte \(o))"
        case .badCount(let o): "bad RESP count at content byte \(o)"
        case .notABulkString(let o): "RESP element is not a bulk string at content byte \(o)"
        case .missingTerminator(let o): "RESP bulk string not terminated by CRLF at content byte \(o)"
        case .truncated(let o): "RESP content ends inside an element at content byte \(o)"
        case .trailingBytes(let o, let n): "\(n) bytes after the RESP command at content byte \(o)"
        case .emptyArray(let o): "RESP array with no elements at content byte \(o)"
        }
    }
}

/// A growable array of ``ArgumentRange`` that is allocated once and reused for every item.
public struct ArgumentBuffer: ~Copyable {
    @usableFromInline var storage: UnsafeMutablePointer<ArgumentRange>
    @usableFromInline var capacity: Int
    public private(set) var count = 0

    public init(capacity: Int = 64) {
        self.capacity = max(capacity, 4)
        storage = .allocate(capacity: self.capacity)
    }

    deinit { storage.deallocate() }

    mutating func removeAll() { count = 0 }

    @inline(__always)
    mutating func append(_ range: ArgumentRange) {
        if count == capacity { grow() }
        (storage + count).initialize(to: range)
        count += 1
    }

    @inline(never)
    mutating func grow() {
        let bigger = UnsafeMutablePointer<ArgumentRange>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: storage, count: count)
        storage.deallocate()
        storage = bigger
        capacity *= 2
    }

    var view: UnsafeBufferPointer<ArgumentRange> { UnsafeBufferPointer(start: storage, count: count) }
}

public enum RESP {
    /// Parses one RESP multi-bulk that must fill `bytes` exactly.
    /// - Returns: the ranges of the arguments in `arguments` (cleared first).
    /// - Throws: ``RESPError`` with the content offset of the first bad byte.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, into arguments: inout ArgumentBuffer
    ) throws(RESPError) {
        arguments.removeAll()
        let n = bytes.count
        guard n > 0, let p = bytes.baseAddress else { throw .truncated(offset: 0) }
        // Raw loads below: every index is checked against `n` first.
        guard p.load(as: UInt8.self) == UInt8(ascii: "*") else { throw .notAnArray(offset: 0) }
        var i = 1
        let argc = try readCount(p, n, &i)
        guard argc > 0 else { throw .emptyArray(offset: 0) }
        for _ in 0..<argc {
            let len: Int
            if let fast = bulkHeader(p, n, &i) {
                len = fast
            } else {
                guard i < n else { throw .truncated(offset: i) }
                guard p.load(fromByteOffset: i, as: UInt8.self) == UInt8(ascii: "$") else {
                    throw .notABulkString(offset: i)
                }
                i += 1
                len = try readCount(p, n, &i)
            }
            guard len <= n - i else { throw .truncated(offset: i) }
            arguments.append(ArgumentRange(offset: i, count: len))
            i += len
            guard n - i >= 2 else { throw .truncated(offset: i) }
            guard isCRLF(p, i) else { throw .missingTerminator(offset: i) }
            i += 2
        }
        if i != n { throw .trailingBytes(offset: i, count: n - i) }
    }

    /// Whether the two bytes at `i` are CR LF; the caller checked they exist.
    @inline(__always)
    static func isCRLF(_ p: UnsafeRawPointer, _ i: Int) -> Bool {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt16.self)) == 0x0A0D
    }

    /// Reads decimal digits then CRLF at `i` of the `n` bytes at `p`; Pika writes plain digits (and
    /// zero-padded ones in padding items, Docs/Format.md §B9).
    @inline(__always)
    static func readCount(_ p: UnsafeRawPointer, _ n: Int, _ i: inout Int) throws(RESPError) -> Int {
        // Fast path, 8 bytes at once: 1–6 digits and the CRLF after them.
        if n - i >= 8 {
            let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let digits = w ^ 0x3030_3030_3030_3030
            // Bit 7 of each byte: set where the byte is not '0'...'9' (no carries cross bytes).
            let nonDigit = (((digits & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7676_7676_7676_7676) | digits) & 0x8080_8080_8080_8080
            let k = nonDigit.trailingZeroBitCount >> 3
            if k >= 1 && k <= 6 && (w >> (8 &* UInt64(k))) & 0xFFFF == 0x0A0D {
                i &+= k &+ 2
                return decimalValue(digits, count: k)
            }
        }
        return try readCountSlow(p, n, &i)
    }

    /// `$<1–5 digits>\r\n` at `i`, read with one 8-byte load: the length, with `i` moved past it;
    /// nil (and `i` unchanged) for anything else, left to the byte-by-byte path.
    @inline(__always)
    static func bulkHeader(_ p: UnsafeRawPointer, _ n: Int, _ i: inout Int) -> Int? {
        guard n - i >= 8 else { return nil }
        let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        guard w & 0xFF == UInt64(UInt8(ascii: "$")) else { return nil }
        let rest = w >> 8
        let digits = rest ^ 0x3030_3030_3030_3030
        let nonDigit = (((digits & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7676_7676_7676_7676) | digits) & 0x8080_8080_8080_8080
        let k = nonDigit.trailingZeroBitCount >> 3
        guard k >= 1 && k <= 5 && (rest >> (8 &* UInt64(k))) & 0xFFFF == 0x0A0D else { return nil }
        i &+= k &+ 3
        return decimalValue(digits, count: k)
    }

    /// The value of the `count` (1–8) decimal digits in the low bytes of `digits` (each byte 0–9,
    /// the first digit lowest), SWAR: pairs, then quads, then the eight.
    @inline(__always)
    static func decimalValue(_ digits: UInt64, count: Int) -> Int {
        // Move the digits to the top: the zero bytes below become leading zeros.
        var v = digits << (64 &- 8 &* UInt64(count))
        v = ((v & 0x0F0F_0F0F_0F0F_0F0F) &* 2561) >> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
        v = ((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
        return Int(truncatingIfNeeded: v)
    }

    /// ``readCount(_:_:_:)`` one byte at a time, with the exact error for bad input.
    @inline(never)
    static func readCountSlow(_ p: UnsafeRawPointer, _ n: Int, _ i: inout Int) throws(RESPError) -> Int {
        let start = i
        var j = i
        var value = 0
        while j < n {
            let d = p.load(fromByteOffset: j, as: UInt8.self) &- 0x30
            if d > 9 { break }
            // 10 digits are more than any length that fits in an item.
            guard j - start < 10 else { throw .badCount(offset: start) }
            value = value &* 10 &+ Int(d)
            j += 1
        }
        guard j > start else { throw j >= n ? .truncated(offset: start) : .badCount(offset: start) }
        guard n - j >= 2 else { throw .truncated(offset: j) }
        guard isCRLF(p, j) else { throw .badCount(offset: start) }
        i = j + 2
        return value
    }
}

/// A parsed command, borrowed from the decoder: valid only until the decoder moves on.
/// Copy what you keep with ``ownedArguments()``.
public struct RESPCommand {
    /// The whole RESP content.
    public let bytes: UnsafeRawBufferPointer
    /// The argument ranges; for E2b items the four affiliated arguments are already left out.
    public let ranges: UnsafeBufferPointer<ArgumentRange>

    @inlinable
    public init(bytes: UnsafeRawBufferPointer, ranges: UnsafeBufferPointer<ArgumentRange>) {
        self.bytes = bytes
        self.ranges = ranges
    }

    /// Number of arguments, the command name included.
    @inlinable
    public var count: Int { ranges.count }

    /// The bytes of argument `index` (0 is the command name).
    @inlinable
    public subscript(index: Int) -> UnsafeRawBufferPointer {
        let r = ranges[index]
        return UnsafeRawBufferPointer(rebasing: bytes[r.offset..<(r.offset + r.count)])
    }

    /// The command name in lower case (allocates: use for printing, not in hot loops).
    public var lowercasedName: String {
        guard count > 0 else { return "" }
        return String(decoding: self[0].map { asciiLower($0) }, as: UTF8.self)
    }

    /// Whether the command name equals `name` ignoring ASCII case; `name` must be lower case.
    public func nameIs(_ name: StaticString) -> Bool {
        guard count > 0 else { return false }
        let arg = self[0]
        guard arg.count == name.utf8CodeUnitCount else { return false }
        let p = name.utf8Start
        for i in 0..<arg.count where asciiLower(arg[i]) != p[i] { return false }
        return true
    }

    /// A copy of every argument.
    public func ownedArguments() -> [[UInt8]] {
        (0..<count).map { Array(self[$0]) }
    }
}

@inline(__always)
public func asciiLower(_ c: UInt8) -> UInt8 {
    (c >= 0x41 && c <= 0x5A) ? c | 0x20 : c
}
