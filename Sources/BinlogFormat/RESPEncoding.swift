/// Writing RESP multi-bulk commands, byte for byte as Pika writes them (`*<n>\r\n`, then
/// `$<length>\r\n<bytes>\r\n` per argument). The one encoder: every writer of RESP (the
/// rewriter's replacements, the counters' absolute forms, the CLI's `--format resp`) builds on it.
/// Nothing here allocates beyond growing `out`.
extension RESP {
    /// Appends the RESP encoding of `arguments` to `out`.
    @inlinable
    public static func encode<Arg: Collection<UInt8>>(_ arguments: [Arg], into out: inout [UInt8]) {
        appendArrayHeader(arguments.count, to: &out)
        for arg in arguments {
            appendCount(UInt8(ascii: "$"), arg.count, to: &out)
            out.append(contentsOf: arg)
            appendCRLF(to: &out)
        }
    }

    /// The RESP encoding of `arguments`.
    @inlinable
    public static func encode<Arg: Collection<UInt8>>(_ arguments: [Arg]) -> [UInt8] {
        var out: [UInt8] = []
        encode(arguments, into: &out)
        return out
    }

    /// `*<count>\r\n`: the head of a command of `count` arguments.
    @inlinable
    public static func appendArrayHeader(_ count: Int, to out: inout [UInt8]) {
        appendCount(UInt8(ascii: "*"), count, to: &out)
    }

    /// `$<length>\r\n<bytes>\r\n`: one argument.
    @inlinable
    public static func appendBulk(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        appendCount(UInt8(ascii: "$"), bytes.count, to: &out)
        out.append(contentsOf: bytes)
        appendCRLF(to: &out)
    }

    /// `$<length>\r\n<bytes>\r\n` for a name known at compile time.
    @inlinable
    public static func appendBulk(_ text: StaticString, to out: inout [UInt8]) {
        text.withUTF8Buffer { appendBulk(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// One argument holding the decimal text of `value` (`-` first when negative).
    @inlinable
    public static func appendBulkDecimal(_ value: Int64, to out: inout [UInt8]) {
        withDecimal(value) { appendBulk($0, to: &out) }
    }

    /// `<marker><n>\r\n`.
    @inlinable @usableFromInline
    static func appendCount(_ marker: UInt8, _ n: Int, to out: inout [UInt8]) {
        out.append(marker)
        withDecimal(Int64(n)) { out.append(contentsOf: $0) }
        appendCRLF(to: &out)
    }

    @inlinable @usableFromInline
    static func appendCRLF(to out: inout [UInt8]) {
        out.append(0x0D)
        out.append(0x0A)
    }

    /// Calls `body` with the decimal text of `value` (a `-` first when negative), built on the stack.
    @inlinable
    public static func withDecimal<R>(_ value: Int64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var v = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &digits) { d -> R in
            var i = 24
            repeat {
                i -= 1
                d[i] = UInt8(truncatingIfNeeded: v % 10) + 0x30
                v /= 10
            } while v > 0
            if value < 0 {
                i -= 1
                d[i] = UInt8(ascii: "-")
            }
            return body(UnsafeRawBufferPointer(rebasing: d[i...]))
        }
    }
}
