import BinlogFormat
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
            let pool = OutputChunkPool()
            let out = OutputBuffer(pool: pool) { chunk in
                collected += chunk.bytes
                pool.put(chunk)
                return true
            }
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

    /// The day's text is cached: times in any order, across days, leap days and the ends of the
    /// UInt32 range print what the calendar says.
    @Test func isoTimeMatchesTheCalendar() {
        func reference(_ t: UInt32) -> String {
            let (y, mo, d, h, mi, s) = UTCCalendar.civil(from: Int64(t))
            func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return "\(y)-\(two(mo))-\(two(d))T\(two(h)):\(two(mi)):\(two(s))Z"
        }
        var times: [UInt32] = [0, 59, 86_399, 86_400, 86_401, 951_782_400, 951_868_799, 951_868_800, 1_700_000_000,
                               1_699_999_999, 1_700_000_000, 4_102_444_800, UInt32.max, 0]
        var x: UInt32 = 12345
        for _ in 0..<2000 {
            x = x &* 1_103_515_245 &+ 12345
            times.append(x)
            times.append(x &+ 1)
        }
        var collected: [UInt8] = []
        do {
            let pool = OutputChunkPool()
            let out = OutputBuffer(pool: pool) { chunk in
                collected += chunk.bytes
                pool.put(chunk)
                return true
            }
            for t in times {
                out.appendISOTime(t)
                out.append(UInt8(ascii: "\n"))
            }
            out.flush()
        }
        let lines = String(decoding: collected, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines == times.map(reference))
        #expect(lines[5] == "2000-02-29T00:00:00Z")
        #expect(lines[12] == "2106-02-07T06:28:15Z")
    }
}
