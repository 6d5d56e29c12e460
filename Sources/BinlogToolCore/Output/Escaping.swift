import BinlogFormat
private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

extension OutputBuffer {
    /// Appends `bytes` as the inside of a JSON string; the caller checked they are valid UTF-8.
    /// Escapes `"`, `\` and the bytes below 0x20; everything else is copied, 8 bytes at a time
    /// where a whole word needs no escape.
    func appendJSONEscaped(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress else { return }
        let n = bytes.count
        var i = 0
        while i < n {
            // At most 6 output bytes per input byte; bounded pieces keep the buffer flat.
            let end = min(n, i + 8192)
            let out = reserve(6 * (end - i))
            var o = 0
            while i + 8 <= end {
                let w = src.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if !wordNeedsJSONEscape(w) {
                    UnsafeMutableRawPointer(out + o).storeBytes(of: w, as: UInt64.self)
                    o += 8
                    i += 8
                    continue
                }
                for k in 0..<8 { o = escapeJSONByte(src.load(fromByteOffset: i + k, as: UInt8.self), out, o) }
                i += 8
            }
            while i < end {
                o = escapeJSONByte(src.load(fromByteOffset: i, as: UInt8.self), out, o)
                i += 1
            }
            commit(o)
        }
    }

    public func appendJSONString(_ s: String) {
        append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { appendJSONEscaped(UnsafeRawBufferPointer($0)) }
        append(UInt8(ascii: "\""))
    }

    /// Appends an argument as a JSON value: a string when it is valid UTF-8, otherwise
    /// `{"base64":"..."}`.
    public func appendJSONArgument(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count <= 8192 {
            // One pass: escape into reserved room, checking UTF-8 on the way; nothing is committed
            // unless the bytes are valid.
            let out = reserve(6 * bytes.count + 10)
            if let written = escapeJSONStringIfUTF8(bytes, into: out) {
                commit(written)
                return
            }
        } else if isValidUTF8(bytes) {
            append(UInt8(ascii: "\""))
            appendJSONEscaped(bytes)
            append(UInt8(ascii: "\""))
            return
        }
        append("{\"base64\":\"")
        appendBase64(bytes)
        append("\"}")
    }

    /// Appends `bytes` as a command-line-style token: bare when printable and free of quotes and
    /// spaces, otherwise double-quoted with `\xNN`, `\n`, `\r`, `\t`, `\"`, `\\` escapes (as
    /// redis-cli prints).
    public func appendQuotedArgument(_ bytes: UnsafeRawBufferPointer) {
        if isBareToken(bytes) {
            append(bytes: bytes)
            return
        }
        append(UInt8(ascii: "\""))
        appendEscaped(bytes)
        append(UInt8(ascii: "\""))
    }

    /// The inside of a quoted argument: `\xNN`, `\n`, `\r`, `\t`, `\"`, `\\` escapes.
    private func appendEscaped(_ bytes: UnsafeRawBufferPointer) {
        guard let src = bytes.baseAddress else { return }
        let n = bytes.count
        var i = 0
        while i < n {
            // At most 4 output bytes per input byte; bounded pieces keep the buffer flat.
            let end = min(n, i + 8192)
            let out = reserve(4 * (end - i))
            var o = 0
            while i < end {
                let c = src.load(fromByteOffset: i, as: UInt8.self)
                i += 1
                switch c {
                case 0x22, 0x5C:
                    out[o] = 0x5C; out[o + 1] = c; o += 2
                case 0x0A:
                    out[o] = 0x5C; out[o + 1] = UInt8(ascii: "n"); o += 2
                case 0x0D:
                    out[o] = 0x5C; out[o + 1] = UInt8(ascii: "r"); o += 2
                case 0x09:
                    out[o] = 0x5C; out[o + 1] = UInt8(ascii: "t"); o += 2
                case 0x20...0x7E:
                    out[o] = c; o += 1
                default:
                    out[o] = 0x5C; out[o + 1] = UInt8(ascii: "x")
                    out[o + 2] = hexDigits[Int(c >> 4)]; out[o + 3] = hexDigits[Int(c & 15)]
                    o += 4
                }
            }
            commit(o)
        }
    }

    /// Appends `bytes` as ``appendQuotedArgument(_:)`` does when it has at most `maxBytes` bytes
    /// (or `maxBytes` is 0); a longer argument as its first `maxBytes` bytes, always quoted, then
    /// `...[N bytes]` with its full length: `"vvvv"...[210000 bytes]`. (No whole argument prints
    /// like that: a bare token never holds a quote.)
    public func appendQuotedArgument(_ bytes: UnsafeRawBufferPointer, maxBytes: Int) {
        guard maxBytes > 0, bytes.count > maxBytes else {
            appendQuotedArgument(bytes)
            return
        }
        append(UInt8(ascii: "\""))
        appendEscaped(UnsafeRawBufferPointer(rebasing: bytes[0..<maxBytes]))
        append("\"...[")
        append(decimal: bytes.count)
        append(" bytes]")
    }

    func appendHexByte(_ c: UInt8) {
        append(hexDigits[Int(c >> 4)])
        append(hexDigits[Int(c & 15)])
    }

    func appendBase64(_ bytes: UnsafeRawBufferPointer) {
        let table: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let t = table.utf8Start
        guard let src = bytes.baseAddress else { return }
        let n = bytes.count
        var i = 0
        @inline(__always) func byte(_ k: Int) -> UInt32 { UInt32(src.load(fromByteOffset: k, as: UInt8.self)) }
        while i + 3 <= n {
            // Whole groups of 3 in bounded pieces.
            let end = i + min((n - i) / 3, 4096) * 3
            let out = reserve((end - i) / 3 * 4)
            var o = 0
            while i < end {
                let v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2)
                out[o] = t[Int(v >> 18 & 63)]
                out[o + 1] = t[Int(v >> 12 & 63)]
                out[o + 2] = t[Int(v >> 6 & 63)]
                out[o + 3] = t[Int(v & 63)]
                o += 4
                i += 3
            }
            commit(o)
        }
        if n - i == 1 {
            let v = byte(i) << 16
            append(t[Int(v >> 18 & 63)]); append(t[Int(v >> 12 & 63)]); append("==")
        } else if n - i == 2 {
            let v = byte(i) << 16 | byte(i + 1) << 8
            append(t[Int(v >> 18 & 63)]); append(t[Int(v >> 12 & 63)]); append(t[Int(v >> 6 & 63)]); append("=")
        }
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds, UTC.
    /// The date part is computed once per day met (items come in time order) and copied after.
    public func appendISOTime(_ seconds: UInt32) {
        let day = seconds / 86_400
        if day != isoDay {
            // A year of UInt32 seconds has 4 digits (1970 … 2106): the date is always 11 bytes.
            let (y, mo, d, _, _, _) = UTCCalendar.civil(from: Int64(day) * 86_400)
            var text: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &text) { t in
                t[0] = 0x30 + UInt8(y / 1000); t[1] = 0x30 + UInt8(y / 100 % 10)
                t[2] = 0x30 + UInt8(y / 10 % 10); t[3] = 0x30 + UInt8(y % 10); t[4] = UInt8(ascii: "-")
                t[5] = 0x30 + UInt8(mo / 10); t[6] = 0x30 + UInt8(mo % 10); t[7] = UInt8(ascii: "-")
                t[8] = 0x30 + UInt8(d / 10); t[9] = 0x30 + UInt8(d % 10); t[10] = UInt8(ascii: "T")
            }
            isoDay = day
            isoDayText = (text.0, text.1)
        }
        let p = reserve(20)
        withUnsafeBytes(of: isoDayText) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: 11) }
        let t = Int(seconds % 86_400)
        let h = t / 3600, mi = t / 60 % 60, s = t % 60
        p[11] = 0x30 &+ UInt8(h / 10); p[12] = 0x30 &+ UInt8(h % 10); p[13] = UInt8(ascii: ":")
        p[14] = 0x30 &+ UInt8(mi / 10); p[15] = 0x30 &+ UInt8(mi % 10); p[16] = UInt8(ascii: ":")
        p[17] = 0x30 &+ UInt8(s / 10); p[18] = 0x30 &+ UInt8(s % 10); p[19] = UInt8(ascii: "Z")
        commit(20)
    }

}

/// Whether `bytes` are well-formed UTF-8 (ASCII fast path, 8 bytes at a time).
func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let p = bytes.baseAddress else { return true }
    var i = 0
    let n = bytes.count
    while i < n {
        if i + 8 <= n {
            if p.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
        } else if n >= 8 && p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            // The tail is ASCII (read as the overlapping last word).
            return true
        }
        let c = p.load(fromByteOffset: i, as: UInt8.self)
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
            let cc = p.load(fromByteOffset: i + k, as: UInt8.self)
            guard cc & 0xC0 == 0x80 else { return false }
            v = v << 6 | UInt32(cc & 0x3F)
        }
        if v < minValue || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) { return false }
        i += need + 1
    }
    return true
}

/// Writes `bytes` as a quoted JSON string at `out` (room for `6 * count + 10` bytes) and returns
/// how many bytes that took, or returns nil when they are not valid UTF-8. Words of 8 plain bytes
/// are copied whole; UTF-8 is checked from the first non-ASCII byte on, once.
@inline(__always)
func escapeJSONStringIfUTF8(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) -> Int? {
    let n = bytes.count
    out[0] = UInt8(ascii: "\"")
    var o = 1
    guard let src = bytes.baseAddress else {
        out[1] = UInt8(ascii: "\"")
        return 2
    }
    let high: UInt64 = 0x8080_8080_8080_8080
    // Set once the rest of the bytes from the first non-ASCII one on are known to be UTF-8.
    var validated = false
    var i = 0
    while i + 8 <= n {
        let w = src.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        if w & high != 0 && !validated {
            guard isValidUTF8(UnsafeRawBufferPointer(rebasing: bytes[i...])) else { return nil }
            validated = true
        }
        if !wordNeedsJSONEscape(w) {
            UnsafeMutableRawPointer(out + o).storeBytes(of: w, as: UInt64.self)
            o += 8
        } else {
            for k in 0..<8 { o = escapeJSONByte(src.load(fromByteOffset: i + k, as: UInt8.self), out, o) }
        }
        i += 8
    }
    if i < n {
        if n >= 8 {
            // The last 8 bytes, overlapping what was done. Before `validated` every byte before `i`
            // is ASCII, so a high bit here is in the tail.
            let w = src.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            if w & high != 0 && !validated {
                guard isValidUTF8(UnsafeRawBufferPointer(rebasing: bytes[i...])) else { return nil }
            }
            if !wordNeedsJSONEscape(w) {
                // The bytes before `i` among these 8 need no escape either, so they were copied as
                // they are, just before `o`: one overlapping store writes the tail.
                let rest = n - i
                UnsafeMutableRawPointer(out + o + rest - 8).storeBytes(of: w, as: UInt64.self)
                o += rest
                i = n
            }
        } else {
            // Fewer than 8 bytes in all (`i` is 0): one word, the missing bytes read as spaces.
            let w = loadShortWord(src, n) | (0x2020_2020_2020_2020 << (8 &* UInt64(n)))
            if w & high != 0 {
                guard isValidUTF8(bytes) else { return nil }
            }
            if !wordNeedsJSONEscape(w) {
                // The room reserved (6 per byte + 10) holds all 8 bytes; the ones past the tail
                // are overwritten by what follows.
                UnsafeMutableRawPointer(out + o).storeBytes(of: w.littleEndian, as: UInt64.self)
                o += n
                i = n
            }
        }
        while i < n {
            o = escapeJSONByte(src.load(fromByteOffset: i, as: UInt8.self), out, o)
            i += 1
        }
    }
    out[o] = UInt8(ascii: "\"")
    return o + 1
}

/// The `count` (0–7) bytes at `p` as a little-endian word, zero above them (overlapping loads, no
/// byte loop).
@inline(__always)
func loadShortWord(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
    @inline(__always) func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> UInt64 {
        UInt64(T(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: T.self)))
    }
    if count >= 4 { return load(0, UInt32.self) | load(count - 4, UInt32.self) << (8 * (count - 4)) }
    if count >= 2 { return load(0, UInt16.self) | load(count - 2, UInt16.self) << (8 * (count - 2)) }
    if count == 1 { return load(0, UInt8.self) }
    return 0
}

/// Whether any of the 8 bytes of `w` is below 0x20, `"` or `\` (SWAR: exact for "any").
@inline(__always)
func wordNeedsJSONEscape(_ w: UInt64) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let high: UInt64 = 0x8080_8080_8080_8080
    let control = (w &- 0x20 &* ones) & ~w & high
    let q = w ^ (0x22 &* ones)
    let quote = (q &- ones) & ~q & high
    let b = w ^ (0x5C &* ones)
    let backslash = (b &- ones) & ~b & high
    return (control | quote | backslash) != 0
}

/// Writes byte `c` JSON-escaped at `out + o`; returns the new offset (at most 6 bytes written).
@inline(__always)
func escapeJSONByte(_ c: UInt8, _ out: UnsafeMutablePointer<UInt8>, _ o: Int) -> Int {
    if c >= 0x20 && c != 0x22 && c != 0x5C {
        out[o] = c
        return o + 1
    }
    out[o] = UInt8(ascii: "\\")
    switch c {
    case 0x22: out[o + 1] = 0x22
    case 0x5C: out[o + 1] = 0x5C
    case 0x0A: out[o + 1] = UInt8(ascii: "n")
    case 0x0D: out[o + 1] = UInt8(ascii: "r")
    case 0x09: out[o + 1] = UInt8(ascii: "t")
    default:
        out[o + 1] = UInt8(ascii: "u")
        out[o + 2] = 0x30
        out[o + 3] = 0x30
        out[o + 4] = hexDigits[Int(c >> 4)]
        out[o + 5] = hexDigits[Int(c & 15)]
        return o + 6
    }
    return o + 2
}

/// Whether `bytes` print as a bare token: not empty, every byte printable ASCII other than space,
/// `"`, `'` and `\`. Eight bytes at a time (the last word overlapping), bytes one by one below 8.
@inline(__always)
func isBareToken(_ bytes: UnsafeRawBufferPointer) -> Bool {
    let n = bytes.count
    guard n > 0, let p = bytes.baseAddress else { return false }
    if n < 8 {
        for i in 0..<n {
            let c = p.load(fromByteOffset: i, as: UInt8.self)
            if c <= 0x20 || c >= 0x7F || c == 0x22 || c == 0x27 || c == 0x5C { return false }
        }
        return true
    }
    var i = 0
    while i + 8 <= n {
        if !isBareWord(p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { return false }
        i += 8
    }
    return i == n || isBareWord(p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
}

/// Whether all 8 bytes of `w` are in 0x21...0x7E and none is `"`, `'` or `\` (the exact
/// any-byte tests of "Bit Twiddling Hacks": hasless, hasmore, haszero).
@inline(__always)
func isBareWord(_ w: UInt64) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let high: UInt64 = 0x8080_8080_8080_8080
    @inline(__always) func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & high != 0 }
    let below = (w &- ones &* 0x21) & ~w & high  // a byte < 0x21
    let above = ((w &+ ones &* (127 - 0x7E)) | w) & high  // a byte > 0x7E
    return below | above == 0 && !hasZero(w ^ (ones &* 0x22)) && !hasZero(w ^ (ones &* 0x27))
        && !hasZero(w ^ (ones &* 0x5C))
}
