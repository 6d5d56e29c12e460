/// Text for evidence lines: bytes as a double-quoted string with `\xNN` escapes, cut after
/// `limit` bytes with `…`.
func quoted(_ bytes: [UInt8], limit: Int = 40) -> String {
    // Built as bytes and decoded once: appending to a String scalar by scalar reallocates as it
    // grows, and verify-snapshot quotes every state of every item in its window.
    let hexDigits: StaticString = "0123456789abcdef"
    var text: [UInt8] = []
    text.reserveCapacity(min(bytes.count, limit) + 8)
    text.append(UInt8(ascii: "\""))
    for byte in bytes.prefix(limit) {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            text.append(UInt8(ascii: "\\"))
            text.append(byte)
        case 0x20..<0x7F:
            text.append(byte)
        default:
            text.append(UInt8(ascii: "\\"))
            text.append(UInt8(ascii: "x"))
            hexDigits.withUTF8Buffer { digits in
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0F)])
            }
        }
    }
    if bytes.count > limit { text += "…".utf8 }
    text.append(UInt8(ascii: "\""))
    return String(decoding: text, as: UTF8.self)
}

/// A key for messages: bare when it is plain printable text without spaces or quotes.
func printable(_ key: [UInt8]) -> String {
    let plain = !key.isEmpty && key.count <= 60 && key.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }
    return plain ? String(decoding: key, as: UTF8.self) : quoted(key, limit: 60)
}

func quotedList(_ elements: [[UInt8]], limit: Int = 20) -> String {
    "[" + elements.map { quoted($0, limit: limit) }.joined(separator: " ") + "]"
}

/// A score as Redis prints it: integers without a fraction, `inf`/`-inf`.
func formatScore(_ score: Double) -> String {
    if score.isInfinite { return score < 0 ? "-inf" : "inf" }
    if score == score.rounded(), abs(score) < 1e15 { return String(Int64(score)) }
    return String(score)
}

/// A command line as redis-cli would show it, each argument quoted when needed, cut after
/// `limit` characters.
func commandLine(_ arguments: [[UInt8]], limit: Int = 120) -> String {
    var text = ""
    for (index, argument) in arguments.enumerated() {
        if index > 0 { text += " " }
        let plain =
            !argument.isEmpty && argument.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x27 && $0 != 0x5C }
        text += plain ? String(decoding: argument.prefix(limit), as: UTF8.self) + (argument.count > limit ? "…" : "") : quoted(argument, limit: limit)
        if text.count > limit {
            return String(text.prefix(limit)) + "…"
        }
    }
    return text
}
