@testable import BinlogToolCore
import Testing

/// Text output's argument quoting: the word-at-a-time test for a bare token agrees with the
/// byte rule for every byte value at every position, and the escapes are those redis-cli prints.
@Suite struct QuotedArgumentTests {
    static func byteRule(_ bytes: [UInt8]) -> Bool {
        !bytes.isEmpty && !bytes.contains { $0 <= 0x20 || $0 >= 0x7F || $0 == 0x22 || $0 == 0x27 || $0 == 0x5C }
    }

    @Test func bareTokenAgreesWithTheByteRule() {
        var checked = 0
        for length in 0...19 {
            for position in 0..<max(1, length) {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    if length > 0 { bytes[position] = UInt8(value) }
                    let fast = bytes.withUnsafeBytes { isBareToken($0) }
                    if fast != Self.byteRule(bytes) {
                        Issue.record("length \(length), byte \(value) at \(position): \(fast)")
                        return
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == 256 * (1 + (1...19).reduce(0, +)))
    }

    static func quoted(_ bytes: [UInt8], maxBytes: Int = 0) -> String {
        var collected: [UInt8] = []
        do {
            let out = OutputBuffer { collected += $0; return true }
            bytes.withUnsafeBytes { out.appendQuotedArgument($0, maxBytes: maxBytes) }
            out.flush()
        }
        return String(decoding: collected, as: UTF8.self)
    }

    @Test func escapes() {
        #expect(Self.quoted(Array("plain_token-1:2".utf8)) == "plain_token-1:2")
        #expect(Self.quoted(Array("sixteen_bytes_ok".utf8)) == "sixteen_bytes_ok")
        #expect(Self.quoted([]) == "\"\"")
        #expect(Self.quoted(Array("a b".utf8)) == "\"a b\"")
        #expect(Self.quoted(Array("it's \"q\" \\ end".utf8)) == "\"it's \\\"q\\\" \\\\ end\"")
        #expect(Self.quoted([0x0A, 0x0D, 0x09, 0x00, 0x7F, 0xFF, 0x41]) == "\"\\n\\r\\t\\x00\\x7f\\xffA\"")
        #expect(Self.quoted(Array("abcdefghij".utf8), maxBytes: 4) == "\"abcd\"...[10 bytes]")
        // A long argument escaped in pieces: every byte once, in order.
        let long = [UInt8](repeating: 0x01, count: 20_000)
        #expect(Self.quoted(long) == "\"" + String(repeating: "\\x01", count: 20_000) + "\"")
    }
}
