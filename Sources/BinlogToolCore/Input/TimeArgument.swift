#if canImport(Glibc)
import Glibc
#endif
import BinlogFormat

/// Parses ISO 8601 (`2026-11-20T23:40:21Z`, `…+02:00`, `2026-11-20 23:40:21`, `2026-11-20`) or
/// unix seconds. Times without a zone are in the local time zone (`TZ`), as mysqlbinlog reads
/// them; output always prints UTC (`Z`).
public func parseTime(_ text: String) -> UInt32? {
    if let v = UInt32(text) { return v }
    let b = Array(text.utf8)
    func num(_ from: Int, _ len: Int) -> Int? {
        guard from + len <= b.count else { return nil }
        var v = 0
        for i in from..<(from + len) {
            guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
            v = v * 10 + Int(b[i] - 0x30)
        }
        return v
    }
    guard let y = num(0, 4), b.count >= 10, b[4] == UInt8(ascii: "-"), let mo = num(5, 2), b[7] == UInt8(ascii: "-"),
        let d = num(8, 2), (1...12).contains(mo), (1...31).contains(d)
    else { return nil }
    var h = 0, mi = 0, s = 0
    var i = 10
    if b.count > 10 {
        guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "), let hh = num(11, 2), b.count > 13, b[13] == UInt8(ascii: ":"),
            let mm = num(14, 2)
        else { return nil }
        h = hh; mi = mm; i = 16
        if b.count > 16 && b[16] == UInt8(ascii: ":") {
            guard let ss = num(17, 2) else { return nil }
            s = ss; i = 19
            if i < b.count && b[i] == UInt8(ascii: ".") {
                i += 1
                while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
            }
        }
    }
    var zone: Int? = nil
    if i < b.count {
        if b[i] == UInt8(ascii: "Z") && i + 1 == b.count {
            zone = 0
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), let zh = num(i + 1, 2) {
            var zm = 0
            if i + 3 < b.count { guard b[i + 3] == UInt8(ascii: ":"), let m = num(i + 4, 2), i + 6 == b.count else { return nil }; zm = m }
            else if i + 3 != b.count { return nil }
            zone = (zh * 3600 + zm * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
        } else {
            return nil
        }
    }
    guard h < 24, mi < 60, s < 61 else { return nil }
    let t: Int64
    if let zone {
        t = UTCCalendar.unixSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: s) - Int64(zone)
    } else {
        t = localUnixSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
    }
    guard t >= 0, t <= Int64(UInt32.max) else { return nil }
    return UInt32(t)
}

/// Unix seconds of a wall-clock time in the local time zone (`TZ`, else /etc/localtime); for a
/// time a daylight-saving change skips or repeats, the C library's choice. (-1 when it cannot be
/// represented, which the callers' range check refuses.)
func localUnixSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64 {
    var t = tm()
    t.tm_year = Int32(year - 1900)
    t.tm_mon = Int32(month - 1)
    t.tm_mday = Int32(day)
    t.tm_hour = Int32(hour)
    t.tm_min = Int32(minute)
    t.tm_sec = Int32(second)
    t.tm_isdst = -1
    let v = mktime(&t)
    return Int64(v)
}
