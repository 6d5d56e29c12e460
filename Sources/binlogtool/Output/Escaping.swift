private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

extension OutputBuffer {
    /// Appends `bytes` as the inside of a JSON string; the caller checked they are valid UTF-8.
    func appendJSONEscaped(_ bytes: UnsafeRawBufferPointer) {
        var runStart = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if c >= 0x20 && c != 0x22 && c != 0x5C {
                i += 1
                continue
            }
            if i > runStart { append(bytes: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i])) }
            switch c {
            case 0x22: append("\\\"")
            case 0x5C: append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            default:
                append("\\u00")
                append(hexDigits[Int(c >> 4)])
                append(hexDigits[Int(c & 15)])
            }
            i += 1
            runStart = i
        }
        if n > runStart { append(bytes: UnsafeRawBufferPointer(rebasing: bytes[runStart..<n])) }
    }

    func appendJSONString(_ s: String) {
        append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { appendJSONEscaped(UnsafeRawBufferPointer($0)) }
        append(UInt8(ascii: "\""))
    }

    /// Appends an argument as a JSON value: a string when it is valid UTF-8, otherwise
    /// `{"base64":"..."}`.
    func appendJSONArgument(_ bytes: UnsafeRawBufferPointer) {
        if isValidUTF8(bytes) {
            append(UInt8(ascii: "\""))
            appendJSONEscaped(bytes)
            append(UInt8(ascii: "\""))
        } else {
            append("{\"base64\":\"")
            appendBase64(bytes)
            append("\"}")
        }
    }

    /// Appends `bytes` as a command-line-style token: bare when printable and free of quotes and
    /// spaces, otherwise double-quoted with `\xNN`, `\n`, `\r`, `\t`, `\"`, `\\` escapes (as
    /// redis-cli prints).
    func appendQuotedArgument(_ bytes: UnsafeRawBufferPointer) {
        var plain = bytes.count > 0
        for c in bytes where c <= 0x20 || c >= 0x7F || c == 0x22 || c == 0x27 || c == 0x5C {
            plain = false
            break
        }
        if plain {
            append(bytes: bytes)
            return
        }
        append(UInt8(ascii: "\""))
        for c in bytes {
            switch c {
            case 0x22: append("\\\"")
            case 0x5C: append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x20...0x7E: append(c)
            default:
                append("\\x")
                append(hexDigits[Int(c >> 4)])
                append(hexDigits[Int(c & 15)])
            }
        }
        append(UInt8(ascii: "\""))
    }

    func appendHexByte(_ c: UInt8) {
        append(hexDigits[Int(c >> 4)])
        append(hexDigits[Int(c & 15)])
    }

    func appendBase64(_ bytes: UnsafeRawBufferPointer) {
        let table: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let t = table.utf8Start
        var i = 0
        let n = bytes.count
        while i + 3 <= n {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            append(t[Int(v >> 18 & 63)]); append(t[Int(v >> 12 & 63)])
            append(t[Int(v >> 6 & 63)]); append(t[Int(v & 63)])
            i += 3
        }
        if n - i == 1 {
            let v = UInt32(bytes[i]) << 16
            append(t[Int(v >> 18 & 63)]); append(t[Int(v >> 12 & 63)]); append("==")
        } else if n - i == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            append(t[Int(v >> 18 & 63)]); append(t[Int(v >> 12 & 63)]); append(t[Int(v >> 6 & 63)]); append("=")
        }
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds, UTC.
    func appendISOTime(_ seconds: UInt32) {
        let (y, mo, d, h, mi, s) = civil(from: Int64(seconds))
        append(decimal: y); append(UInt8(ascii: "-")); pad2(mo); append(UInt8(ascii: "-")); pad2(d)
        append(UInt8(ascii: "T")); pad2(h); append(UInt8(ascii: ":")); pad2(mi); append(UInt8(ascii: ":")); pad2(s)
        append(UInt8(ascii: "Z"))
    }

    private func pad2(_ v: Int) {
        append(UInt8(0x30 + v / 10))
        append(UInt8(0x30 + v % 10))
    }
}

/// Calendar date and time (UTC) of unix seconds (Howard Hinnant's days-from-civil inverse).
func civil(from unix: Int64) -> (Int, Int, Int, Int, Int, Int) {
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
func unixSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64 {
    let y = Int64(month <= 2 ? year - 1 : year)
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = Int64(month > 2 ? month - 3 : month + 9)
    let doy = (153 * mp + 2) / 5 + Int64(day) - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146097 + doe - 719468
    return days * 86400 + Int64(hour * 3600 + minute * 60 + second)
}

/// Whether `bytes` are well-formed UTF-8 (ASCII fast path).
func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    let n = bytes.count
    while i < n {
        let c = bytes[i]
        if c < 0x80 { i += 1; continue }
        var need = 0
        var minValue: UInt32 = 0
        var v: UInt32
        if c & 0xE0 == 0xC0 { need = 1; v = UInt32(c & 0x1F); minValue = 0x80 }
        else if c & 0xF0 == 0xE0 { need = 2; v = UInt32(c & 0x0F); minValue = 0x800 }
        else if c & 0xF8 == 0xF0 { need = 3; v = UInt32(c & 0x07); minValue = 0x10000 }
        else { return false }
        guard i + need < n else { return false }
        for k in 1...need {
            let cc = bytes[i + k]
            guard cc & 0xC0 == 0x80 else { return false }
            v = v << 6 | UInt32(cc & 0x3F)
        }
        if v < minValue || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) { return false }
        i += need + 1
    }
    return true
}
