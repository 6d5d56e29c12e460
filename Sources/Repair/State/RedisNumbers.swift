/// The float type Redis and Pika compute INCRBYFLOAT/HINCRBYFLOAT in: C `long double`, which is
/// the 80-bit x87 format on x86-64 Linux. Elsewhere Swift has no equivalent and `Double` stands in
/// (results can then differ from the server's in the last digits).
#if arch(x86_64) || arch(i386)
    public typealias RedisLongDouble = Float80
#else
    public typealias RedisLongDouble = Double
#endif

/// Number parsing and formatting exactly as Redis (and Pika, which copied it) does them, so that
/// a computed value is byte-identical to the one the server stored.
public enum RedisNumbers {
    /// Redis `string2ll`: optional `-`, no `+`, no leading zeros, no spaces, within `Int64`.
    public static func parseInt64(_ bytes: [UInt8]) -> Int64? {
        bytes.withUnsafeBytes { parseInt64($0) }
    }

    /// ``parseInt64(_:)-([UInt8])`` over borrowed bytes (a RESP argument, without copying it).
    public static func parseInt64(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
        if bytes.count == 1 && bytes[0] == UInt8(ascii: "0") { return 0 }
        var i = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") {
            negative = true
            i = 1
            guard bytes.count > 1 else { return nil }
        }
        guard bytes[i] >= UInt8(ascii: "1"), bytes[i] <= UInt8(ascii: "9") else { return nil }
        var magnitude: UInt64 = 0
        while i < bytes.count {
            let c = bytes[i]
            guard c >= 0x30, c <= 0x39 else { return nil }
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(c - 0x30))
            if o1 || o2 { return nil }
            magnitude = a
            i += 1
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// Plain decimal digits only (stream IDs, option counts).
    public static func parseUInt64(_ bytes: [UInt8]) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
        var v: UInt64 = 0
        for c in bytes {
            guard c >= 0x30, c <= 0x39 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(c - 0x30))
            if o1 || o2 { return nil }
            v = a
        }
        return v
    }

    /// Decimal text of an integer.
    public static func format(_ value: Int64) -> [UInt8] { Array(String(value).utf8) }

    /// Redis `string2ld` (INCRBYFLOAT, HINCRBYFLOAT arguments and stored values): `strtold` over
    /// the whole text, no leading space, not NaN, not out of range.
    public static func parseLongDouble(_ bytes: [UInt8]) -> RedisLongDouble? {
        guard !bytes.isEmpty, bytes.count < 5 * 1024 else { return nil }
        if isSpace(bytes[0]) { return nil }
        guard let v = RedisLongDouble(String(decoding: bytes, as: UTF8.self)), !v.isNaN else { return nil }
        // strtold reports overflow as ERANGE with ±HUGE_VALL, which Redis rejects; a written
        // "inf" is accepted.
        if v.isInfinite && !looksInfinite(bytes) { return nil }
        return v
    }

    /// Redis `ld2string(…, LD_STR_HUMAN)`: `%.17Lf`, then trailing zeros and a trailing point
    /// removed, and `-0` written `0`. `nil` for NaN and infinities (the server refuses those).
    public static func formatLongDouble(_ value: RedisLongDouble) -> [UInt8]? {
        guard value.isFinite else { return nil }
        var text = ExactDecimal.fixed(value, fractionDigits: 17)
        if text.contains(UInt8(ascii: ".")) {
            while text.last == UInt8(ascii: "0") { text.removeLast() }
            if text.last == UInt8(ascii: ".") { text.removeLast() }
        }
        if text == Array("-0".utf8) { text = [UInt8(ascii: "0")] }
        return text
    }

    /// Redis `getDoubleFromObject` / `zslParseRange` scores: `strtod` over the whole text, no
    /// leading space, not NaN; `inf`, `+inf`, `-inf` accepted.
    public static func parseDouble(_ bytes: [UInt8]) -> Double? {
        guard !bytes.isEmpty, bytes.count < 5 * 1024 else { return nil }
        if isSpace(bytes[0]) { return nil }
        guard let v = Double(String(decoding: bytes, as: UTF8.self)), !v.isNaN else { return nil }
        if v.isInfinite && !looksInfinite(bytes) { return nil }
        return v
    }

    /// A score as the shortest text that parses back to exactly the same double: integers without
    /// a fraction (`3`, `-1500`), `inf`/`-inf`, otherwise Swift's shortest round-trip form
    /// (`3.5`, `0.30000000000000004`, `1e+20`), all of which `strtod` reads back exactly.
    public static func formatDouble(_ value: Double) -> [UInt8] {
        if value.isInfinite { return Array((value < 0 ? "-inf" : "inf").utf8) }
        if value == value.rounded(.towardZero), abs(value) < 1e17 {
            if value == 0 { return Array((value.sign == .minus ? "-0" : "0").utf8) }
            return Array(String(Int64(value)).utf8)
        }
        return Array(value.description.utf8)
    }

    /// `isspace` in the C locale.
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }

    static func looksInfinite(_ bytes: [UInt8]) -> Bool {
        let s = String(decoding: bytes, as: UTF8.self).lowercased()
        return ["inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"].contains(s)
    }
}

/// Exact decimal expansion of binary floating-point values, as glibc's `printf("%.<n>f")` prints
/// them: the exact value rounded to `n` fraction digits, ties to even.
enum ExactDecimal {
    /// `value` with `fractionDigits` digits after the point, e.g. `2.50000000000000000`.
    static func fixed<F: BinaryFloatingPoint>(_ value: F, fractionDigits: Int) -> [UInt8] {
        precondition(value.isFinite && fractionDigits >= 0)
        var digits: [UInt8]
        if value == 0 {
            digits = [UInt8(ascii: "0")]
        } else {
            // |value| = m · 2^q with m an integer.
            let bits = Int(F.significandBitCount)
            var m = BigUInt(UInt64(value.significandBitPattern))
            let q: Int
            if value.exponentBitPattern == 0 {
                q = Int(F.leastNormalMagnitude.exponent) - bits
            } else {
                m.setBit(bits)
                q = Int(value.exponent) - bits
            }
            // N = round(m · 2^q · 10^fractionDigits)
            var left = fractionDigits
            while left > 0 {
                let step = min(left, 9)
                var factor: UInt32 = 1
                for _ in 0..<step { factor *= 10 }
                m.multiply(by: factor)
                left -= step
            }
            if q >= 0 {
                m.shiftLeft(q)
            } else {
                m.shiftRightRoundingHalfEven(-q)
            }
            digits = m.decimalDigits()
        }
        if digits.count <= fractionDigits {
            digits = [UInt8](repeating: UInt8(ascii: "0"), count: fractionDigits + 1 - digits.count) + digits
        }
        var out: [UInt8] = []
        if value < 0 || (value == 0 && value.sign == .minus) { out.append(UInt8(ascii: "-")) }
        out.append(contentsOf: digits[..<(digits.count - fractionDigits)])
        if fractionDigits > 0 {
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[(digits.count - fractionDigits)...])
        }
        return out
    }
}

/// Just enough of an arbitrary-precision unsigned integer for ``ExactDecimal``: 32-bit limbs,
/// least significant first.
struct BigUInt {
    var limbs: [UInt32]

    init(_ value: UInt64) {
        limbs = [UInt32(truncatingIfNeeded: value), UInt32(truncatingIfNeeded: value >> 32)]
        normalize()
    }

    mutating func normalize() {
        while let last = limbs.last, last == 0 { limbs.removeLast() }
    }

    var isZero: Bool { limbs.isEmpty }

    mutating func setBit(_ bit: Int) {
        let index = bit / 32
        while limbs.count <= index { limbs.append(0) }
        limbs[index] |= 1 << UInt32(bit % 32)
    }

    func bit(_ bit: Int) -> Bool {
        let index = bit / 32
        guard index < limbs.count else { return false }
        return limbs[index] & (1 << UInt32(bit % 32)) != 0
    }

    mutating func multiply(by factor: UInt32) {
        var carry: UInt64 = 0
        for i in limbs.indices {
            let p = UInt64(limbs[i]) * UInt64(factor) + carry
            limbs[i] = UInt32(truncatingIfNeeded: p)
            carry = p >> 32
        }
        if carry > 0 { limbs.append(UInt32(carry)) }
    }

    mutating func addOne() {
        for i in limbs.indices {
            if limbs[i] == .max {
                limbs[i] = 0
            } else {
                limbs[i] += 1
                return
            }
        }
        limbs.append(1)
    }

    mutating func shiftLeft(_ n: Int) {
        guard n > 0, !isZero else { return }
        let whole = n / 32
        let part = UInt32(n % 32)
        var out = [UInt32](repeating: 0, count: whole)
        out.reserveCapacity(whole + limbs.count + 1)
        var carry: UInt32 = 0
        for l in limbs {
            if part == 0 {
                out.append(l)
            } else {
                out.append((l << part) | carry)
                carry = l >> (32 - part)
            }
        }
        if carry > 0 { out.append(carry) }
        limbs = out
    }

    /// self = round(self / 2^n), ties to even.
    mutating func shiftRightRoundingHalfEven(_ n: Int) {
        guard n > 0 else { return }
        let half = bit(n - 1)
        var below = false
        if half {
            var i = 0
            while i < n - 1 {
                if i % 32 == 0 && i + 32 <= n - 1 {
                    if i / 32 < limbs.count && limbs[i / 32] != 0 { below = true; break }
                    i += 32
                } else {
                    if bit(i) { below = true; break }
                    i += 1
                }
            }
        }
        let whole = n / 32
        let part = UInt32(n % 32)
        if whole >= limbs.count {
            limbs = []
        } else {
            var out: [UInt32] = []
            out.reserveCapacity(limbs.count - whole)
            for i in whole..<limbs.count {
                let lo = limbs[i] >> part
                let hi: UInt32 = (part == 0 || i + 1 >= limbs.count) ? 0 : limbs[i + 1] << (32 - part)
                out.append(lo | hi)
            }
            limbs = out
            normalize()
        }
        if half && (below || bit(0)) { addOne() }
    }

    /// Decimal digits, most significant first ("0" for zero).
    func decimalDigits() -> [UInt8] {
        if isZero { return [UInt8(ascii: "0")] }
        var n = limbs
        var chunks: [UInt32] = []  // base 10^9, least significant first
        while !n.isEmpty {
            var rem: UInt64 = 0
            for i in stride(from: n.count - 1, through: 0, by: -1) {
                let cur = (rem << 32) | UInt64(n[i])
                n[i] = UInt32(cur / 1_000_000_000)
                rem = cur % 1_000_000_000
            }
            chunks.append(UInt32(rem))
            while let last = n.last, last == 0 { n.removeLast() }
        }
        var out = Array(String(chunks.last!).utf8)
        for chunk in chunks.dropLast().reversed() {
            let s = Array(String(chunk).utf8)
            out.append(contentsOf: [UInt8](repeating: UInt8(ascii: "0"), count: 9 - s.count))
            out.append(contentsOf: s)
        }
        return out
    }
}

/// The time `pksetexat key <time> value` carries, as Pika logs it: 0 means no expiry (v3.5.5+ and
/// v4 log INCR and APPEND results this way); v4.0.1 logs PSETEX with an absolute time in
/// milliseconds (13 digits today), every other writer in seconds (10 digits). 11 digits or more
/// are read as milliseconds: seconds that far out are past the year 2286, milliseconds that short
/// before 1974. The one place this rule lives.
public enum PksetexatTime {
    /// Whether a logged time of `digits` decimal digits is in milliseconds.
    public static func isMilliseconds(digits: Int) -> Bool { digits >= 11 }

    /// The absolute expiry in unix milliseconds, nil for 0 (no expiry). `value` must be ≥ 0.
    public static func expiresAtMs(_ value: Int64, digits: Int) -> Int64? {
        if value == 0 { return nil }
        return isMilliseconds(digits: digits) ? value : value &* 1000
    }
}
