import BinlogFormat

/// The expiry an item sets, so that `diff` can tell a master and a replica item that differ only
/// in it (TTL drift) from two different writes.
///
/// Pika logs relative expiries in absolute forms (`pksetexat`, `expireat`, `pexpireat`; Docs/Format.md
/// §C2), so a replica that logs another time than the master for the same write
/// set another expiry: the key lives longer or shorter there. Relative forms (`expire`, `setex`, …)
/// are placed at the item's exec time.
struct ExpiryStamp {
    /// What the expiry applies to: a hash of the form's family, the key, and the value for the
    /// string forms. Equal subjects with different times are a drift.
    var subject: UInt64
    /// Unix milliseconds when the key expires; nil when the command sets no expiry (`pksetexat` with
    /// time 0, as Pika 4 logs INCR results).
    var milliseconds: Int64?
    /// The key's first bytes, for messages (kept inline: no allocation per item).
    var key: KeyExcerpt

    /// The stamp of `command`, or nil when it sets no expiry this type compares. `execTime` is the
    /// item header's (unix seconds), nil for items without one; relative forms need it.
    static func of(_ command: RESPCommand, execTime: UInt32?) -> ExpiryStamp? {
        let n = command.count
        guard n == 3 || n == 4 else { return nil }
        // A cheap filter first: the catalogue's expiry forms are named with 5 to 9 bytes.
        let nameLength = command[0].count
        guard nameLength >= 5 && nameLength <= 9 else { return nil }
        guard let rule = CommandCatalogue.spec(of: command)?.expiry, rule.argumentCount == n,
            let amount = RedisNumbers.parseInt64(command[2])
        else { return nil }
        let family: UInt64 = rule.subject == .key ? 0x6b65_7900 : 0x7365_7400  // a key's expiry; a string written with one
        var milliseconds: Int64?
        if rule.time == .pksetexat {
            // Seconds, or v4.0.1's milliseconds; 0 is no expiry.
            guard amount >= 0 else { return nil }
            milliseconds = PksetexatTime.expiresAtMs(amount, digits: command[2].count)
        } else {
            let (scaled, o1) = amount.multipliedReportingOverflow(by: rule.millisecondsPerUnit)
            guard !o1 else { return nil }
            if rule.isRelative {
                guard let execTime else { return nil }
                let (sum, o2) = scaled.addingReportingOverflow(Int64(execTime) * 1000)
                guard !o2 else { return nil }
                milliseconds = sum
            } else {
                milliseconds = scaled
            }
        }
        let key = command[1]
        var subject = ContentHash.hash(key) &* 0x9E37_79B9_7F4A_7C15 ^ family
        if n == 4 { subject = (subject ^ ContentHash.hash(command[3])) &* 0xBF58_476D_1CE4_E5B9 }
        if subject == 0 { subject = 1 }
        return ExpiryStamp(
            subject: subject, milliseconds: milliseconds,
            key: KeyExcerpt(key))
    }

    /// `2026-11-21T00:54:21Z`, `2026-11-21T00:54:21.123Z` when not whole seconds, "no expiry".
    var timeText: String {
        guard let ms = milliseconds else { return "no expiry" }
        guard ms >= 0, ms / 1000 <= Int64(UInt32.max) else { return "\(ms) ms" }
        var s = isoTime(UInt32(ms / 1000))
        let fraction = Int(ms % 1000)
        if fraction != 0 {
            s.removeLast()
            s += "." + (fraction < 10 ? "00" : fraction < 100 ? "0" : "") + "\(fraction)Z"
        }
        return s
    }

    /// How much later (positive) or earlier `other` expires than this stamp, for messages:
    /// "3 s later", "1.5 s earlier", "never instead of …".
    func shift(to other: ExpiryStamp) -> String {
        guard let a = milliseconds else { return "an expiry where the master sets none" }
        guard let b = other.milliseconds else { return "no expiry where the master sets one" }
        let d = b - a
        let magnitude = d.magnitude
        let text = magnitude % 1000 == 0 ? "\(magnitude / 1000) s" : "\(Double(magnitude) / 1000) s"
        return d > 0 ? "\(text) later" : "\(text) earlier"
    }
}

/// Up to the first 32 bytes of a key, stored inline, printed as text ("…" when cut).
struct KeyExcerpt: CustomStringConvertible {
    private var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var count: UInt8 = 0
    private var cut = false

    init(_ key: UnsafeRawBufferPointer) {
        let n = min(key.count, 32)
        withUnsafeMutableBytes(of: &bytes) { out in
            if n > 0 { out.baseAddress!.copyMemory(from: key.baseAddress!, byteCount: n) }
        }
        count = UInt8(n)
        cut = key.count > 32
    }

    var description: String {
        var copy = bytes
        let text = withUnsafeBytes(of: &copy) { String(decoding: $0.prefix(Int(count)), as: UTF8.self) }
        return cut ? text + "…" : text
    }
}
