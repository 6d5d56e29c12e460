import BinlogFormat
import Testing

/// The one calendar conversion: known dates, and a round trip over 1900…2400.
@Suite struct UTCCalendarTests {
    @Test func knownTimes() {
        #expect(UTCCalendar.isoText(0) == "1970-01-01T00:00:00Z")
        #expect(UTCCalendar.isoText(1_795_218_125) == "2026-11-20T23:42:05Z")
        #expect(UTCCalendar.isoText(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(UTCCalendar.isoText(4_294_967_295) == "2106-02-07T06:28:15Z")
        #expect(UTCCalendar.isoText(-1) == "1969-12-31T23:59:59Z")
    }

    @Test func roundTrip() {
        var t: Int64 = -2_208_988_800  // 1900-01-01
        while t < 13_569_465_600 {  // 2400-01-01
            let (y, mo, d, h, mi, s) = UTCCalendar.civil(from: t)
            #expect(UTCCalendar.unixSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: s) == t)
            t += 7_777_777
        }
    }
}
