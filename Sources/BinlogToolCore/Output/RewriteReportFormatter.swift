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
        var o = JSONObject(into: out)
        o.string("kind", change.kind.rawValue)
        if let item = change.item {
            o.key("item")
            writeInput(item)
        }
        if let region = change.region {
            o.key("start")
            out.appendJSONPoint(fileNumber: region.start.fileNumber, offset: region.start.offset)
            o.key("end")
            out.appendJSONPoint(fileNumber: region.end.fileNumber, offset: region.end.offset)
        }
        if let argv = change.arguments {
            o.key("argv")
            writeArguments(argv)
        }
        if !change.written.isEmpty || change.kind == .replaced || change.kind == .reordered {
            o.key("written")
            out.append("[")
            for (i, w) in change.written.enumerated() {
                if i > 0 { out.append(",") }
                var written = JSONObject(into: out)
                written.key("argv")
                writeArguments(w.arguments)
                writeOutputLocation(w.location, into: &written)
                written.close()
            }
            out.append("]")
        }
        if let key = change.key {
            o.key("key")
            key.withUnsafeBytes { out.appendJSONArgument($0) }
        }
        if let related = change.related {
            o.key("related")
            var r = JSONObject(into: out)
            r.key("first")
            writeFindingLocation(related.first)
            r.key("last")
            writeFindingLocation(related.last)
            r.close()
        }
        o.string("reason", change.reason)
        o.close()
        out.append("\n")
        out.flushIfNeeded()
    }

    public func writeSummary(_ s: RewriteSummary, input: String, output: String?, format: String, dryRun: Bool, strictRefused: Bool) {
        var o = JSONObject(into: out)
        o.string("kind", "summary")
        o.string("input", input)
        o.string("output", output)
        o.string("format", format)
        o.bool("dry_run", dryRun)
        o.bool("written", !dryRun && !strictRefused)
        o.string("resume_point", "\(s.resumePoint)")
        o.string("start_source", s.startSource.rawValue)
        o.string("seed", s.seed)
        o.key("first_item")
        if let f = s.firstItem { writeInput(f) } else { out.append("null") }
        o.number("items_read", s.itemsRead)
        o.number("kept", s.kept)
        for kind in RewriteChange.Kind.allCases {
            o.key(kind.rawValue)
            out.append(decimal: s.count(kind))
        }
        o.number("commands_written", s.commandsWritten)
        o.number("output_bytes", s.outputBytes)
        o.key("output_manifest")
        out.appendJSON(s.outputStatus)
        o.number("padding_bytes", s.paddingBytes)
        o.number("damage_bytes", s.damageBytes)
        o.number("stateful_keys", s.statefulKeys)
        o.number("tracked_keys", s.trackedKeys)
        o.number("append_lists", s.appendLists)
        o.number("counter_keys", s.counterKeys)
        o.number("input_findings", s.inputFindings.count)
        o.strings("remarks", s.remarks)
        o.close()
        out.append("\n")
        out.flush()
    }

    /// An input item: `{"file":F,"offset":O,"end":E,"logic_id":L,"stored":"F:O"}`.
    private func writeInput(_ l: InputLocation) {
        var o = JSONObject(into: out)
        itemFields(start: l.start, end: l.end, logicID: l.logicID, stored: l.stored, into: &o)
        o.close()
    }

    private func itemFields(
        start: PhysicalPosition, end: PhysicalPosition, logicID: UInt64, stored: ResumePoint?,
        into o: inout JSONObject
    ) {
        o.number("file", start.fileNumber)
        o.number("offset", start.offset)
        o.number("end", end.offset)
        o.number("logic_id", logicID)
        if let stored { o.string("stored", "\(stored)") }
    }

    private func writeFindingLocation(_ l: FindingLocation) {
        var o = JSONObject(into: out)
        o.number("file", l.fileNumber)
        o.number("offset", l.offset)
        if let id = l.logicID { o.number("logic_id", id) }
        o.close()
    }

    /// A written command's place: in a binlog output its item's fields, in a RESP stream its
    /// index and byte offset.
    private func writeOutputLocation(_ l: OutputLocation, into o: inout JSONObject) {
        if let id = l.logicID {
            itemFields(start: l.start, end: l.end, logicID: id, stored: l.stored, into: &o)
        } else {
            o.number("index", l.index)
            o.number("byte_offset", l.start.offset)
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
