import BinlogFormat

/// Position arithmetic of Pika's writer (`Binlog::Produce`, Docs/Format.md §B4, §B5, §B6), used to predict where
/// an item says the next one begins.
enum ItemGeometry {
    /// The producer offset after writing `payloadLength` bytes from producer offset `start`
    /// (``ProduceFraming/end(from:payloadLength:)``).
    @inline(__always)
    static func produceEnd(from start: UInt64, payloadLength: Int) -> UInt64 {
        ProduceFraming.end(from: start, payloadLength: payloadLength)
    }

    /// Whether two resume points name the same place in the item stream: equal, or `N:<end of N>`
    /// and `(N+1):0` (Docs/Format.md §S3), given the end of file N.
    static func sameResumePoint(_ a: ResumePoint, _ b: ResumePoint) -> Bool {
        if a == b { return true }
        if b.offset == 0 && b.fileNumber == a.fileNumber &+ 1 { return true }
        if a.offset == 0 && a.fileNumber == b.fileNumber &+ 1 { return true }
        return false
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds (UTC), for messages.
func isoTime(_ seconds: UInt32) -> String { UTCCalendar.isoText(Int64(seconds)) }

/// A short printable form of a command for messages: the name and the first arguments, each cut
/// to 40 bytes, non-printable bytes as `\xNN`.
func commandExcerpt(_ command: RESPCommand, maxArguments: Int = 4) -> String {
    var parts: [String] = []
    for i in 0..<min(command.count, maxArguments) {
        let arg = command[i]
        var s = ""
        var quoted = arg.isEmpty
        for (k, c) in arg.enumerated() {
            if k == 40 {
                s += "…"
                break
            }
            if c == 0x20 || c == 0x22 { quoted = true }
            if c >= 0x20 && c < 0x7F && c != 0x22 && c != 0x5C {
                s.unicodeScalars.append(Unicode.Scalar(c))
            } else {
                quoted = true
                let hex = Array("0123456789abcdef")
                s += "\\x" + String(hex[Int(c >> 4)]) + String(hex[Int(c & 15)])
            }
        }
        parts.append(quoted ? "\"\(s)\"" : s)
    }
    if command.count > maxArguments { parts.append("…") }
    return parts.joined(separator: " ")
}

/// Whether a command is a flush: `flushdb`/`flushall` in any case (FLUSHALL is logged as one
/// `flushdb` per DB from v3.1, Docs/Format.md §C1, §C4).
@inline(__always)
func isFlush(_ command: RESPCommand) -> Bool {
    guard command.count >= 1 else { return false }
    let n = command[0].count
    guard n == 7 || n == 8 else { return false }
    return command.nameIs("flushdb") || command.nameIs("flushall")
}

/// "1 item" / "3 items".
func plural(_ n: Int, _ word: String) -> String { n == 1 ? "1 \(word)" : "\(n) \(word)s" }
