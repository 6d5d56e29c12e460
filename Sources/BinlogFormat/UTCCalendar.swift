/// Unix seconds ⇄ UTC calendar date and time (Howard Hinnant's civil-from-days and its inverse),
/// for the times items carry: one implementation for every verb's output and messages.
public enum UTCCalendar {
    /// Calendar date and time (UTC) of unix seconds (Howard Hinnant's days-from-civil inverse).
    public static func civil(from unix: Int64) -> (Int, Int, Int, Int, Int, Int) {
        let days = unix >= 0 ? unix / 86400 : (unix - 86399) / 86400
        let secs = Int(unix - days * 86400)
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d), secs / 3600, secs / 60 % 60, secs % 60)
    }

    /// Unix seconds of a UTC calendar date and time.
    public static func unixSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return days * 86400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    public static func isoText(_ unix: Int64) -> String {
        let (y, mo, d, h, mi, s) = civil(from: unix)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(mo))-\(two(d))T\(two(h)):\(two(mi)):\(two(s))Z"
    }
}
