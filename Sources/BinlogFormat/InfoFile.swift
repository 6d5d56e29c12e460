/// The `info` file of a bgsave dump (Docs/Format.md §M3): text, one field per
/// `\n`-terminated line.
///
/// | line | content | written by |
/// |---|---|---|
/// | 1 | `<seconds the bgsave took>s`, e.g. `0s` | all versions |
/// | 2 | master host IP | all |
/// | 3 | port | all |
/// | 4 | binlog filenum (decimal) | all |
/// | 5 | binlog offset (decimal) | all |
/// | 6 | term | v3.3.0–v3.4.x with `consensus-level != 0` only |
/// | 7 | index (logic id) | same |
///
/// Parsing mirrors the slave's reader (`TryUpdateMasterOffset`, `src/pika_rm.cc` and
/// `src/pika_db.cc@v4.0.1`: `std::getline` loop, `pstd::string2int`):
/// * line 1 and line 2 are not checked by Pika; line 1 is parsed here when it is `<n>s`;
/// * lines 3–7 must be decimal numbers ≥ 0: no sign other than `-`, no spaces, at most
///   `INT64_MAX`; leading zeros and `-0` pass `pstd::string2int` and are accepted with a remark;
/// * line 8 is ignored; a 9th line is an error (v3.3+; v2.x–v3.2 accept exactly 5 lines);
/// * the trailing newline is optional (`getline` reads a last unterminated line).
///
/// binlogtool goes further than Pika in three places: fewer than 5 lines is an error (Pika would
/// silently resume from `0:0`), filenum and term must fit 32 bits, and CRLF line endings are
/// tolerated with a remark (Pika's number parser would fail on the `\r`).
///
/// Errors (``BgsaveInfoError``) are for files from which no position can be read; everything Pika
/// never writes, or that some Pika versions would refuse, is a ``Remark``.
///
/// - Note: An `info` position can be `(N+1):0` (§S3: a bgsave that ran between a
///   roll and the first append to the new file). It is not the end of any item; it names the same
///   point of the item stream as `N:<size of write2file N>`, the stored position of the first
///   item of `write2file<N+1>`. ``resumePoint`` holds the raw values; callers locating it in a
///   binlog must treat the two spellings as equal.
public struct BgsaveInfo: Hashable, Sendable {
    /// The file name in a dump directory.
    public static let fileName = "info"
    /// Largest `info` file read; Pika's are under 100 bytes.
    public static let maximumByteCount = 64 * 1024

    /// Line 1 as written, without its line ending.
    public var elapsedLine: String
    /// Line 1's `<n>` when it has the form `<n>s`.
    public var elapsedSeconds: UInt64?
    /// Line 2: the master's IP (the connected address when sent to a slave, v3.0–v3.4).
    public var host: String
    /// Line 3.
    public var port: Int64
    /// Lines 4 and 5: the binlog position of the snapshot (end of the last included item, or
    /// `(N+1):0`, see the note above).
    public var resumePoint: ResumePoint
    /// Line 6, when present.
    public var term: UInt32?
    /// Line 7 (index, i.e. logic id), when present.
    public var logicID: UInt64?
    /// Lines read (an unterminated last line counts; line 8 counts).
    public var lineCount: Int
    /// What differs from the file Pika writes, in line order.
    public var remarks: [Remark]

    public init(
        elapsedSeconds: UInt64, host: String, port: Int64, resumePoint: ResumePoint, term: UInt32? = nil,
        logicID: UInt64? = nil
    ) {
        self.elapsedLine = "\(elapsedSeconds)s"
        self.elapsedSeconds = elapsedSeconds
        self.host = host
        self.port = port
        self.resumePoint = resumePoint
        self.term = term
        self.logicID = logicID
        self.lineCount = term == nil && logicID == nil ? 5 : 7
        self.remarks = []
    }

    /// Something Pika would not write, or that only some Pika versions accept.
    public enum Remark: Hashable, Sendable, CustomStringConvertible {
        /// Lines end in `\r\n`; Pika (every version) would refuse the file, its number parser
        /// failing on the `\r`.
        case crlfLineEndings(lines: [Int])
        /// The last line has no `\n`; Pika writes one, and reads the file without it.
        case missingFinalNewline
        /// Line 1 is not `<n>s`; Pika never reads line 1.
        case unexpectedElapsedLine(String)
        /// A number with leading zeros or `-0`; `pstd::string2int` (v3.5+) accepts it, Pika never
        /// writes it.
        case nonCanonicalNumber(line: Int, text: String)
        /// Lines 6–7 (term, index) are present: only v3.3–v3.4 with consensus write them, and
        /// v2.x–v3.2 slaves refuse any line after the 5th.
        case consensusLines
        /// Line 6 without line 7; Pika writes both or neither (a v3.3+ reader leaves index 0).
        case termWithoutIndex
        /// An 8th line; v3.3+ ignore it, v2.x–v3.2 refuse it.
        case ignoredLine8(String)

        public var description: String {
            switch self {
            case .crlfLineEndings(let lines):
                "lines \(lines.map(String.init).joined(separator: ", ")) end in CRLF; Pika itself would refuse this file"
            case .missingFinalNewline: "the last line has no trailing newline (Pika writes one)"
            case .unexpectedElapsedLine(let text): "line 1 is \(metadataQuoted(text)), not `<seconds>s`; Pika ignores it"
            case .nonCanonicalNumber(let line, let text):
                "line \(line) is \(metadataQuoted(text)), with leading zeros or a sign; Pika never writes that"
            case .consensusLines: "lines 6–7 (term, index) present: written by v3.3–v3.4 in consensus mode only; v2.x–v3.2 refuse them"
            case .termWithoutIndex: "line 6 (term) without line 7 (index); Pika writes both or neither"
            case .ignoredLine8(let text): "line 8 \(metadataQuoted(text)) is ignored by v3.3+ and refused by v2.x–v3.2"
            }
        }
    }

    /// The file Pika writes: five lines, or seven with term and index, each ending in `\n`.
    public func encoded() -> [UInt8] {
        var text = "\(elapsedLine)\n\(host)\n\(port)\n\(resumePoint.fileNumber)\n\(resumePoint.offset)\n"
        if term != nil || logicID != nil {
            text += "\(term ?? 0)\n\(logicID ?? 0)\n"
        }
        return Array(text.utf8)
    }

    /// Reads and parses an `info` file.
    /// - Throws: ``BgsaveInfoError``: `.io` when unreadable, `.tooLarge` over 64 KiB,
    ///   `.malformed` (path, line, byte offset) for the rules in the type's documentation.
    public static func read(path: String) throws(BgsaveInfoError) -> BgsaveInfo {
        let (bytes, byteCount): ([UInt8], UInt64)
        do {
            (bytes, byteCount) = try FileSystemAccess.readPrefix(of: path, maxByteCount: maximumByteCount + 1)
        } catch {
            throw .io(error)
        }
        if byteCount > UInt64(maximumByteCount) {
            throw .tooLarge(path: path, byteCount: byteCount)
        }
        return try decode(bytes, path: path)
    }

    /// Parses the bytes of an `info` file.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - path: used in errors only.
    /// - Throws: ``BgsaveInfoError/malformed(path:line:offset:problem:)`` naming the line (1-based)
    ///   and the byte offset of its start (for a missing line: the file's size).
    public static func decode(_ bytes: [UInt8], path: String) throws(BgsaveInfoError) -> BgsaveInfo {
        // Split into lines as getline does: a final piece without '\n' is a line if non-empty.
        var lines: [(start: Int, end: Int)] = []
        var crlfLines: [Int] = []
        var start = 0
        for i in bytes.indices where bytes[i] == UInt8(ascii: "\n") {
            lines.append((start, i))
            start = i + 1
        }
        let missingFinalNewline = start < bytes.count
        if missingFinalNewline { lines.append((start, bytes.count)) }
        for (index, line) in lines.enumerated() where line.end > line.start && bytes[line.end - 1] == UInt8(ascii: "\r") {
            lines[index].end -= 1
            crlfLines.append(index + 1)
        }

        var remarks: [Remark] = []
        if !crlfLines.isEmpty { remarks.append(.crlfLineEndings(lines: crlfLines)) }
        if missingFinalNewline { remarks.append(.missingFinalNewline) }

        var elapsedLine = ""
        var elapsedSeconds: UInt64?
        var host = ""
        var numbers: [Int: UInt64] = [:]
        for (index, line) in lines.enumerated() {
            let number = index + 1
            let content = bytes[line.start..<line.end]
            switch number {
            case 1:
                elapsedLine = String(decoding: content, as: UTF8.self)
                let digits = content.dropLast()
                if content.last == UInt8(ascii: "s"), !digits.isEmpty,
                    digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                    let value = UInt64(String(decoding: digits, as: UTF8.self))
                {
                    elapsedSeconds = value
                } else {
                    remarks.append(.unexpectedElapsedLine(elapsedLine))
                }
            case 2:
                host = String(decoding: content, as: UTF8.self)
            case 3...7:
                let field = Field(line: number)
                let text = String(decoding: content, as: UTF8.self)
                let parsed = parsePikaInteger(content)
                func malformed(_ problem: BgsaveInfoError.Problem) -> BgsaveInfoError {
                    .malformed(path: path, line: number, offset: line.start, problem: problem)
                }
                switch parsed {
                case .invalid: throw malformed(.notADecimalNumber(field, text: text))
                case .negative: throw malformed(.negative(field, text: text))
                case .value(let value, let canonical):
                    if value > field.maximum {
                        throw malformed(.tooLarge(field, text: text, maximum: field.maximum))
                    }
                    if !canonical { remarks.append(.nonCanonicalNumber(line: number, text: text)) }
                    numbers[number] = value
                }
            case 8:
                remarks.append(.ignoredLine8(String(decoding: content, as: UTF8.self)))
            default:
                throw .malformed(
                    path: path, line: number, offset: line.start,
                    problem: .extraLine(text: String(decoding: content, as: UTF8.self)))
            }
        }
        if lines.count < 5 {
            let missing = lines.count + 1
            throw .malformed(path: path, line: missing, offset: bytes.count, problem: .missingLine(Field(line: missing)))
        }
        if lines.count >= 6 { remarks.append(.consensusLines) }
        if lines.count == 6 { remarks.append(.termWithoutIndex) }

        var info = BgsaveInfo(
            elapsedSeconds: 0, host: host, port: Int64(numbers[3]!),
            resumePoint: ResumePoint(fileNumber: FileNumber(numbers[4]!), offset: numbers[5]!),
            term: numbers[6].map { UInt32($0) }, logicID: numbers[7])
        info.elapsedLine = elapsedLine
        info.elapsedSeconds = elapsedSeconds
        info.lineCount = lines.count
        info.remarks = remarks
        return info
    }

    /// A line of the `info` file.
    public enum Field: String, Hashable, Sendable, CustomStringConvertible {
        case elapsed = "elapsed seconds"
        case host
        case port
        case fileNumber = "binlog filenum"
        case offset = "binlog offset"
        case term
        case index = "index (logic id)"
        case ignored = "ignored line 8"

        init(line: Int) {
            switch line {
            case 1: self = .elapsed
            case 2: self = .host
            case 3: self = .port
            case 4: self = .fileNumber
            case 5: self = .offset
            case 6: self = .term
            case 7: self = .index
            default: self = .ignored
            }
        }

        /// Largest accepted value: `INT64_MAX` as in `pstd::string2int`; filenum and term are u32 in
        /// Pika's manifest and binlog headers.
        var maximum: UInt64 {
            switch self {
            case .fileNumber, .term: UInt64(UInt32.max)
            default: UInt64(Int64.max)
            }
        }

        public var description: String { rawValue }
    }
}

/// A bgsave `info` file that cannot be read or gives no position.
public enum BgsaveInfoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read.
    case io(BinlogIOError)
    /// Larger than ``BgsaveInfo/maximumByteCount``: not an `info` file.
    case tooLarge(path: String, byteCount: UInt64)
    /// A rule of Docs/Format.md §M3 is broken at `line` (1-based), whose first byte is at `offset`.
    case malformed(path: String, line: Int, offset: Int, problem: Problem)

    public enum Problem: Hashable, Sendable, CustomStringConvertible {
        /// The file ends before this line.
        case missingLine(BgsaveInfo.Field)
        /// Not a decimal integer as `pstd::string2int` reads it (empty, spaces, `+`, letters, > INT64_MAX).
        case notADecimalNumber(BgsaveInfo.Field, text: String)
        /// A negative number (Pika checks `tmp < 0`).
        case negative(BgsaveInfo.Field, text: String)
        /// Larger than the field allows.
        case tooLarge(BgsaveInfo.Field, text: String, maximum: UInt64)
        /// A 9th (or later) line; Pika refuses the file.
        case extraLine(text: String)

        public var description: String {
            switch self {
            case .missingLine(let field): "the file ends before this line (\(field)); it needs at least 5 lines"
            case .notADecimalNumber(let field, let text): "\(field) \(metadataQuoted(text)) is not a decimal number"
            case .negative(let field, let text): "\(field) \(metadataQuoted(text)) is negative"
            case .tooLarge(let field, let text, let maximum): "\(field) \(metadataQuoted(text)) is larger than \(maximum)"
            case .extraLine(let text): "extra line \(metadataQuoted(text)): an info file has at most 8 lines"
            }
        }
    }

    public var description: String {
        switch self {
        case .io(let e): e.description
        case .tooLarge(let path, let byteCount):
            "\(path): \(byteCount) bytes is too large for a bgsave info file (Pika's are under 100 bytes)"
        case .malformed(let path, let line, let offset, let problem):
            "\(path):\(line): (byte \(offset)) \(problem); Pika would not resume from this info file"
        }
    }
}

private enum PikaInteger {
    case invalid
    case negative
    /// `canonical` is false for leading zeros or `-0`.
    case value(UInt64, canonical: Bool)
}

/// `pstd::string2int` (`src/pstd/src/pstd_string.cc@v4.0.1`): optional `-`, then digits only,
/// leading zeros skipped, at most `INT64_MAX` (or `-INT64_MIN`).
private func parsePikaInteger(_ text: ArraySlice<UInt8>) -> PikaInteger {
    var digits = text[...]
    var negative = false
    if digits.first == UInt8(ascii: "-") {
        negative = true
        digits = digits.dropFirst()
    }
    guard !digits.isEmpty else { return .invalid }
    var value: UInt64 = 0
    for byte in digits {
        guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return .invalid }
        let (times10, o1) = value.multipliedReportingOverflow(by: 10)
        let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
        if o1 || o2 { return .invalid }
        value = sum
    }
    if negative {
        if value > UInt64(Int64.max) + 1 { return .invalid }
        return value == 0 ? .value(0, canonical: false) : .negative
    }
    if value > UInt64(Int64.max) { return .invalid }
    let canonical = digits.count == 1 || digits.first != UInt8(ascii: "0")
    return .value(value, canonical: canonical)
}

/// `"text"` with control and non-ASCII bytes escaped, for messages.
func metadataQuoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\r": out += "\\r"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case " "..."~": out.unicodeScalars.append(scalar)
        default: out += "\\u{\(String(scalar.value, radix: 16))}"
        }
    }
    return out + "\""
}
