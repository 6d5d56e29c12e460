import BinlogFormat
import Repair

/// The `rewrite --report` file: JSON Lines, one object per change in output order, then one
/// `summary` object.
///
/// ```
/// {"kind":"replaced","item":{"file":0,"offset":512,"end":560,"logic_id":7,"stored":"0:512"},
///  "argv":["INCR","cnt"],"written":[{"argv":["set","cnt","1"],"file":0,"offset":512,"end":555,
///  "logic_id":7,"stored":"0:512"}],"reason":"made absolute: …"}
/// {"kind":"padding","start":{"file":7,"offset":0},"end":{"file":7,"offset":262165},"reason":"…"}
/// {"kind":"summary","resume_point":"8:129",…}
/// ```
/// Arguments are JSON strings, or `{"base64":…}` when not UTF-8. Unless `fullArguments`, an
/// argument longer than 256 bytes is `{"truncated":true,"bytes":N,"head":<its first 64 bytes>}`
/// and an argv longer than 64 arguments ends with `{"more_arguments":K}`.
public struct RewriteReportFormatter {
    public let out: OutputBuffer
    public let fullArguments: Bool

    public init(out: OutputBuffer, fullArguments: Bool) {
        self.out = out
        self.fullArguments = fullArguments
    }

    public func write(_ change: RewriteChange) {
        out.append("{\"kind\":\"")
        out.append(change.kind.rawValue)
        out.append("\"")
        if let item = change.item {
            out.append(",\"item\":")
            writeInput(item)
        }
        if let region = change.region {
            out.append(",\"start\":")
            writePosition(region.start)
            out.append(",\"end\":")
            writePosition(region.end)
        }
        if let argv = change.arguments {
            out.append(",\"argv\":")
            writeArguments(argv)
        }
        if !change.written.isEmpty || change.kind == .replaced || change.kind == .reordered {
            out.append(",\"written\":[")
            for (i, w) in change.written.enumerated() {
                if i > 0 { out.append(",") }
                out.append("{\"argv\":")
                writeArguments(w.arguments)
                writeOutputLocation(w.location)
                out.append("}")
            }
            out.append("]")
        }
        if let key = change.key {
            out.append(",\"key\":")
            key.withUnsafeBytes { out.appendJSONArgument($0) }
        }
        if let related = change.related {
            out.append(",\"related\":{\"first\":")
            writeFindingLocation(related.first)
            out.append(",\"last\":")
            writeFindingLocation(related.last)
            out.append("}")
        }
        out.append(",\"reason\":")
        out.appendJSONString(change.reason)
        out.append("}\n")
        out.flushIfNeeded()
    }

    public func writeSummary(_ s: RewriteSummary, input: String, output: String?, format: String, dryRun: Bool, strictRefused: Bool) {
        out.append("{\"kind\":\"summary\",\"input\":")
        out.appendJSONString(input)
        out.append(",\"output\":")
        if let output { out.appendJSONString(output) } else { out.append("null") }
        out.append(",\"format\":\"")
        out.append(format)
        out.append("\",\"dry_run\":")
        out.append(dryRun ? "true" : "false")
        out.append(",\"written\":")
        out.append(!dryRun && !strictRefused ? "true" : "false")
        out.append(",\"resume_point\":\"")
        out.append("\(s.resumePoint)")
        out.append("\",\"start_source\":\"")
        out.append(s.startSource.rawValue)
        out.append("\",\"seed\":")
        out.appendJSONString(s.seed)
        out.append(",\"first_item\":")
        if let f = s.firstItem { writeInput(f) } else { out.append("null") }
        out.append(",\"items_read\":")
        out.append(decimal: s.itemsRead)
        out.append(",\"kept\":")
        out.append(decimal: s.kept)
        for kind in RewriteChange.Kind.allCases {
            out.append(",\"")
            out.append(kind.rawValue)
            out.append("\":")
            out.append(decimal: s.count(kind))
        }
        out.append(",\"commands_written\":")
        out.append(decimal: s.commandsWritten)
        out.append(",\"output_bytes\":")
        out.append(decimal: s.outputBytes)
        out.append(",\"output_manifest\":")
        if let m = s.outputStatus {
            out.append("{\"filenum\":")
            out.append(decimal: m.fileNumber)
            out.append(",\"offset\":")
            out.append(decimal: m.offset)
            out.append(",\"logic_id\":")
            out.append(decimal: m.logicID)
            out.append(",\"term\":")
            out.append(decimal: m.term)
            out.append("}")
        } else {
            out.append("null")
        }
        out.append(",\"padding_bytes\":")
        out.append(decimal: s.paddingBytes)
        out.append(",\"damage_bytes\":")
        out.append(decimal: s.damageBytes)
        out.append(",\"stateful_keys\":")
        out.append(decimal: s.statefulKeys)
        out.append(",\"tracked_keys\":")
        out.append(decimal: s.trackedKeys)
        out.append(",\"append_lists\":")
        out.append(decimal: s.appendLists)
        out.append(",\"counter_keys\":")
        out.append(decimal: s.counterKeys)
        out.append(",\"input_findings\":")
        out.append(decimal: s.inputFindings.count)
        out.append(",\"remarks\":[")
        for (i, r) in s.remarks.enumerated() {
            if i > 0 { out.append(",") }
            out.appendJSONString(r)
        }
        out.append("]}\n")
        out.flush()
    }

    private func writeInput(_ l: InputLocation) {
        out.append("{\"file\":")
        out.append(decimal: l.start.fileNumber)
        out.append(",\"offset\":")
        out.append(decimal: l.start.offset)
        out.append(",\"end\":")
        out.append(decimal: l.end.offset)
        out.append(",\"logic_id\":")
        out.append(decimal: l.logicID)
        if let s = l.stored {
            out.append(",\"stored\":\"")
            out.append("\(s)")
            out.append("\"")
        }
        out.append("}")
    }

    private func writePosition(_ p: PhysicalPosition) {
        out.append("{\"file\":")
        out.append(decimal: p.fileNumber)
        out.append(",\"offset\":")
        out.append(decimal: p.offset)
        out.append("}")
    }

    private func writeFindingLocation(_ l: FindingLocation) {
        out.append("{\"file\":")
        out.append(decimal: l.fileNumber)
        out.append(",\"offset\":")
        out.append(decimal: l.offset)
        if let id = l.logicID {
            out.append(",\"logic_id\":")
            out.append(decimal: id)
        }
        out.append("}")
    }

    private func writeOutputLocation(_ l: OutputLocation) {
        if let id = l.logicID {
            out.append(",\"file\":")
            out.append(decimal: l.start.fileNumber)
            out.append(",\"offset\":")
            out.append(decimal: l.start.offset)
            out.append(",\"end\":")
            out.append(decimal: l.end.offset)
            out.append(",\"logic_id\":")
            out.append(decimal: id)
            if let s = l.stored {
                out.append(",\"stored\":\"")
                out.append("\(s)")
                out.append("\"")
            }
        } else {
            out.append(",\"index\":")
            out.append(decimal: l.index)
            out.append(",\"byte_offset\":")
            out.append(decimal: l.start.offset)
        }
    }

    private func writeArguments(_ argv: [[UInt8]]) {
        out.append("[")
        let shown = fullArguments ? argv.count : min(argv.count, 64)
        for i in 0..<shown {
            if i > 0 { out.append(",") }
            let a = argv[i]
            if !fullArguments && a.count > 256 {
                out.append("{\"truncated\":true,\"bytes\":")
                out.append(decimal: a.count)
                out.append(",\"head\":")
                a.withUnsafeBytes { out.appendJSONArgument(UnsafeRawBufferPointer(rebasing: $0[0..<64])) }
                out.append("}")
            } else {
                a.withUnsafeBytes { out.appendJSONArgument($0) }
            }
        }
        if shown < argv.count {
            out.append(",{\"more_arguments\":")
            out.append(decimal: argv.count - shown)
            out.append("}")
        }
        out.append("]")
    }
}
