import BinlogToolCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--start-time`, `--stop-time`, `--snapshot-time`: ISO 8601 or unix seconds (``parseTime(_:)``).
@Suite struct TimeArgumentTests {
    /// 2026-11-20T23:40:40Z, the exec time of the `basic` fixture's later items.
    static let basicLater: UInt32 = 1_795_218_040

    @Test func unixSecondsAndZonedTimesAreExact() {
        #expect(parseTime("1795218040") == Self.basicLater)
        #expect(parseTime("0") == 0)
        #expect(parseTime("2026-11-20T23:40:40Z") == Self.basicLater)
        #expect(parseTime("2026-11-21T00:40:40+01:00") == Self.basicLater)
        #expect(parseTime("2026-11-20T20:10:40-03:30") == Self.basicLater)
        // Fractions are read and dropped; seconds default to 0.
        #expect(parseTime("2026-11-20T23:40:40.999Z") == Self.basicLater)
        #expect(parseTime("2026-11-20T23:40Z") == Self.basicLater - 40)
        // The ends of the exec time's range (a 32-bit unsigned count of seconds).
        #expect(parseTime("1970-01-01T00:00:00Z") == 0)
        #expect(parseTime("2106-02-07T06:28:15Z") == UInt32.max)
    }

    @Test func timesWithoutAZoneAreTheLocalWallClock() throws {
        // Whatever TZ the test runs under: the result, shown in local time, is the wall clock given.
        for text in ["2026-11-21T08:40:40", "2026-11-21 08:40:40", "2026-07-01T12:00:00"] {
            let seconds = try #require(parseTime(text), "\(text)")
            var t = time_t(seconds)
            var local = tm()
            #expect(localtime_r(&t, &local) != nil)
            let shown = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(local.tm_year) + 1900, Int(local.tm_mon) + 1,
                Int(local.tm_mday), Int(local.tm_hour), Int(local.tm_min), Int(local.tm_sec))
            #expect(shown == text.replacingOccurrences(of: " ", with: "T"))
        }
        // A date alone is its local midnight.
        let midnight = try #require(parseTime("2026-11-20"))
        #expect(parseTime("2026-11-20T00:00:00") == midnight)
    }

    @Test func anythingElseIsRefused() {
        for text in [
            "", "yesterday", "-1", "4294967296", "2026-13-01", "2026-00-10", "2026-11-32", "2026-11-20T24:00:00Z",
            "2026-11-20T23:60:00Z", "2026-11-20T23:40:40+0100", "2026-11-20T23:40:40Zx", "2026-11-20T23:40:40 UTC",
            "2026/11/20", "1969-12-31T23:59:59Z", "2106-02-07T06:28:16Z", "2026-11-20X23:40:40Z",
        ] {
            #expect(parseTime(text) == nil, "\(text)")
        }
    }
}
