import Testing

@testable import PikaStorage
@testable import Repair

// Number parsing and formatting as Redis and Pika do them: the values a rewrite writes must be
// byte-identical to what the server stored.
@Suite struct StateNumbersTests {
    @Test(arguments: [
        ("0", Int64(0)), ("-1", -1), ("42", 42), ("9223372036854775807", .max), ("-9223372036854775808", .min),
    ])
    func int64Parses(_ text: String, _ value: Int64) {
        #expect(RedisNumbers.parseInt64(StateTest.b(text)) == value)
    }

    @Test(arguments: [
        "", "-", "-0", "01", "+1", " 1", "1 ", "1.0", "9223372036854775808", "-9223372036854775809", "1e3",
    ])
    func int64Rejects(_ text: String) {
        #expect(RedisNumbers.parseInt64(StateTest.b(text)) == nil)
    }

    /// `%.17Lf` with trailing zeros removed: the Redis documentation's INCRBYFLOAT examples and
    /// the edges (negative zero, exact ties, huge values).
    @Test(arguments: [
        ("10.50", "0.1", "10.6"), ("10.6", "-5", "5.6"), ("5.0e3", "2.0e2", "5200"), ("0", "2.5", "2.5"),
        ("0", "1.25", "1.25"), ("3", "0", "3"), ("0", "0", "0"), ("-0", "0", "0"), ("0", "-1e-20", "0"),
        ("0", "1e20", "100000000000000000000"), ("0", "0.000003814697265625", "0.00000381469726562"),
        ("0", "-0.000003814697265625", "-0.00000381469726562"), ("1", "-1", "0"), ("0", "0.1", "0.1"),
    ])
    func longDoubleFormatsLikeRedis(_ old: String, _ increment: String, _ expected: String) throws {
        let a = try #require(RedisNumbers.parseLongDouble(StateTest.b(old)))
        let b = try #require(RedisNumbers.parseLongDouble(StateTest.b(increment)))
        #expect(RedisNumbers.formatLongDouble(a + b).map(StateTest.text) == expected)
    }

    @Test func longDoubleRejects() {
        for text in ["", " 1", "1 ", "abc", "nan", "1e99999"] {
            #expect(RedisNumbers.parseLongDouble(StateTest.b(text)) == nil, "\(text)")
        }
        #expect(RedisNumbers.formatLongDouble(.infinity) == nil)
        #expect(RedisNumbers.formatLongDouble(.nan) == nil)
    }

    @Test func exactDecimalExpansion() {
        // 0.1 as a double is 0.1000000000000000055511151231257827…
        #expect(StateTest.text(ExactDecimal.fixed(0.1, fractionDigits: 20)) == "0.10000000000000000555")
        #expect(StateTest.text(ExactDecimal.fixed(2.5, fractionDigits: 0)) == "2")  // tie to even
        #expect(StateTest.text(ExactDecimal.fixed(3.5, fractionDigits: 0)) == "4")
        #expect(StateTest.text(ExactDecimal.fixed(-1.5, fractionDigits: 2)) == "-1.50")
        #expect(StateTest.text(ExactDecimal.fixed(1e300, fractionDigits: 0)).count == 301)
        #expect(
            StateTest.text(ExactDecimal.fixed(Double.leastNonzeroMagnitude, fractionDigits: 17))
                == "0.00000000000000000")
    }

    @Test(arguments: [
        (3.5, "3.5"), (10, "10"), (-1.5, "-1.5"), (Double.infinity, "inf"), (-Double.infinity, "-inf"),
        (0.1 + 0.2, "0.30000000000000004"), (1e20, "1e+20"), (0, "0"), (-0.0, "-0"),
    ])
    func scoresFormatShortest(_ value: Double, _ expected: String) {
        #expect(StateTest.text(RedisNumbers.formatDouble(value)) == expected)
    }

    @Test func scoresRoundTrip() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let value = Double(bitPattern: generator.next())
            guard value.isFinite else { continue }
            let text = RedisNumbers.formatDouble(value)
            #expect(RedisNumbers.parseDouble(text) == value, "\(value) → \(StateTest.text(text))")
        }
    }

    @Test func streamIDs() {
        #expect(StreamID(StateTest.b("1-2")) == StreamID(milliseconds: 1, sequence: 2))
        #expect(StreamID(StateTest.b("5")) == StreamID(milliseconds: 5, sequence: 0))
        #expect(StreamID(StateTest.b("*")) == nil)
        #expect(StreamID(StateTest.b("5-*")) == nil)
        #expect(StreamID(milliseconds: 1, sequence: 9) < StreamID(milliseconds: 2, sequence: 0))
    }
}
