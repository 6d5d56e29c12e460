import BinlogFormat
import Repair

/// How `dump` writes each record.
public enum DumpFormat: String, CaseIterable {
    case text, json, resp, hex
}

/// Writes records in one of the dump formats into an ``OutputBuffer``.
public struct RecordFormatter {
    public let format: DumpFormat
    public let dialect: RewriteDialect
    public let out: OutputBuffer
    /// Reads damaged bytes from the input, for `--format hex`.
    public var rawBytes: (PhysicalPosition, Int) -> [UInt8] = { _, _ in [] }
    /// Text output prints at most this many bytes of an argument (0: all of it); see
    /// ``OutputBuffer/appendQuotedArgument(_:maxBytes:)``.
    public var maxValueBytes = 0

    /// `dump --max-value-bytes`'s default.
    public static let defaultMaxValueBytes = 256

    public init(format: DumpFormat, dialect: RewriteDialect, out: OutputBuffer) {
        self.format = format
        self.dialect = dialect
        self.out = out
    }

    /// Writes `record`, reading damaged bytes with ``rawBytes``. (Passing a closure per record
    /// instead would rebuild its context, a copy of what it captures, every time.)
    public func write(_ record: BinlogRecord) {
        if case .item(let item) = record {
            write(item)
        } else {
            write(record, rawBytes: rawBytes)
        }
    }

    public func write(_ item: BinlogItem) {
        switch format {
        case .text: writeText(item)
        case .json: writeJSON(item)
        case .resp: writeRESP(item)
        case .hex: writeHex(item)
        }
    }

    public func write(_ record: BinlogRecord, rawBytes: (PhysicalPosition, Int) -> [UInt8]) {
        switch record {
        case .item(let item):
            write(item)
        case .padding(let p):
            switch format {
            case .text:
                out.append(fileOffsetText(p.start)); out.append(" padding ")
                out.append(p.kind.rawValue); out.append(" "); out.append(decimal: p.byteCount); out.append(" bytes to ")
                out.append(p.end.description); out.append("\n")
            case .json:
                out.append("{\"kind\":\"padding\""); fileFields(p.start)
                out.append(",\"end\":"); out.append(decimal: p.end.offset)
                out.append(",\"length\":"); out.append(decimal: p.byteCount)
                out.append(",\"origin\":\""); out.append(p.kind.rawValue); out.append("\"}\n")
            case .resp: break
            case .hex:
                out.append("== padding "); out.append(p.kind.rawValue); out.append(" "); out.append(p.start.description)
                out.append(" +"); out.append(decimal: p.byteCount); out.append("\n")
            }
        case .damage(let d):
            switch format {
            case .text:
                out.append(fileOffsetText(d.start)); out.append(" DAMAGE "); out.append(decimal: d.length)
                out.append(" bytes: "); out.append(d.reason); out.append("\n")
            case .json:
                out.append("{\"kind\":\"damage\""); fileFields(d.start)
                out.append(",\"end\":"); out.append(decimal: d.end.offset)
                out.append(",\"length\":"); out.append(decimal: d.length)
                out.append(",\"reason\":"); out.appendJSONString(d.reason); out.append("}\n")
            case .resp: break
            case .hex:
                out.append("!! damage "); out.append(d.start.description); out.append(" +"); out.append(decimal: d.length)
                out.append(": "); out.append(d.reason); out.append("\n")
                let shown = Int(min(d.length, 512))
                let bytes = rawBytes(d.start, shown)
                bytes.withUnsafeBytes { hexLines($0, base: d.start.offset, marker: "!!") }
                if d.length > UInt64(shown) {
                    out.append("!! ... "); out.append(decimal: d.length - UInt64(shown)); out.append(" more damaged bytes\n")
                }
            }
        }
    }

    private func fileOffsetText(_ p: PhysicalPosition) -> String { "\(p.fileNumber):\(p.offset)" }

    private func fileFields(_ p: PhysicalPosition) {
        out.append(",\"file\":\"write2file"); out.append(decimal: p.fileNumber); out.append("\"")
        out.append(",\"filenum\":"); out.append(decimal: p.fileNumber)
        out.append(",\"offset\":"); out.append(decimal: p.offset)
    }

    private func writeText(_ item: BinlogItem) {
        out.append(decimal: item.start.fileNumber); out.append(UInt8(ascii: ":")); out.append(decimal: item.start.offset)
        out.append(UInt8(ascii: "-")); out.append(decimal: item.end.offset)
        if item.envelope == .pikaItem {
            out.append(" id="); out.append(decimal: item.header.logicID)
            out.append(" term="); out.append(decimal: item.header.termOrServerID)
            out.append(" "); out.appendISOTime(item.header.execTime)
            out.append(" at="); out.append(decimal: item.header.stored.fileNumber); out.append(UInt8(ascii: ":"))
            out.append(decimal: item.header.stored.offset)
        } else {
            out.append(" "); out.append(item.envelope.rawValue); out.append(" ")
            out.appendISOTime(item.envelope == .affiliatedRESP && item.header.execTime != 0 ? item.header.execTime : item.firstRecordTime)
        }
        let command = item.command
        for i in 0..<command.count {
            out.append(UInt8(ascii: " "))
            out.appendQuotedArgument(command[i], maxBytes: maxValueBytes)
        }
        out.append(UInt8(ascii: "\n"))
    }

    private func writeJSON(_ item: BinlogItem) {
        out.append("{\"kind\":\"item\""); fileFields(item.start)
        out.append(",\"end\":"); out.append(decimal: item.end.offset)
        if item.envelope == .pikaItem {
            out.append(",\"header_filenum\":"); out.append(decimal: item.header.stored.fileNumber)
            out.append(",\"header_offset\":"); out.append(decimal: item.header.stored.offset)
            out.append(",\"logic_id\":"); out.append(decimal: item.header.logicID)
            out.append(",\"term\":"); out.append(decimal: item.header.termOrServerID)
            out.append(",\"exec_time\":"); out.append(decimal: item.header.execTime)
        } else {
            out.append(",\"header_filenum\":null,\"header_offset\":null,\"logic_id\":null,\"term\":null,\"exec_time\":")
            out.append(decimal: item.envelope == .affiliatedRESP ? item.header.execTime : item.firstRecordTime)
        }
        out.append(",\"argv\":[")
        let command = item.command
        for i in 0..<command.count {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.appendJSONArgument(command[i])
        }
        out.append("],\"fragments\":"); out.append(decimal: item.fragmentCount)
        if item.envelope != .pikaItem { out.append(",\"envelope\":\""); out.append(item.envelope.rawValue); out.append("\"") }
        out.append("}\n")
    }

    private func writeRESP(_ item: BinlogItem) {
        let command = item.command
        if dialect == .redis, let translated = RewriteDialect.redisForm(command) {
            out.append(bytes: RESP.encode(translated))
            return
        }
        // The logged RESP is already a valid command stream.
        if command.count > 0 && command.ranges.count == command.count && item.envelope != .affiliatedRESP {
            out.append(bytes: command.bytes)
        } else {
            out.append(bytes: RESP.encode(command.ownedArguments()))
        }
    }

    private func writeHex(_ item: BinlogItem) {
        out.append("== item "); out.append(item.start.description); out.append("..")
        out.append(item.end.description)
        out.append(" fragments="); out.append(decimal: item.fragmentCount)
        out.append(" envelope="); out.append(item.envelope.rawValue)
        if item.envelope == .pikaItem {
            let h = item.header
            out.append("\n   header: type="); out.append(decimal: h.type)
            out.append(" exec_time="); out.append(decimal: h.execTime); out.append(" (")
            out.appendISOTime(h.execTime); out.append(") term="); out.append(decimal: h.termOrServerID)
            out.append(" logic_id="); out.append(decimal: h.logicID)
            out.append(" stored="); out.append(h.stored.description)
            out.append(" content_length="); out.append(decimal: h.contentLength)
        }
        out.append("\n")
        hexLines(item.payload, base: 0, marker: "  ")
    }

    /// 16 bytes a line: `marker offset  hex  |ascii|`.
    private func hexLines(_ bytes: UnsafeRawBufferPointer, base: UInt64, marker: StaticString) {
        var i = 0
        while i < bytes.count {
            out.append(marker); out.append(" ")
            let off = base + UInt64(i)
            let s = String(off, radix: 16)
            for _ in s.count..<8 { out.append(UInt8(ascii: "0")) }
            out.append(s); out.append("  ")
            for k in 0..<16 {
                if i + k < bytes.count { out.appendHexByte(bytes[i + k]); out.append(" ") } else { out.append("   ") }
                if k == 7 { out.append(" ") }
            }
            out.append(" |")
            for k in 0..<min(16, bytes.count - i) {
                let c = bytes[i + k]
                out.append(c >= 0x20 && c < 0x7F ? c : UInt8(ascii: "."))
            }
            out.append("|\n")
            i += 16
        }
    }
}
