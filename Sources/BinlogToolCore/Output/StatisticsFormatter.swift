import BinlogFormat
import Repair

/// `dump --stats`: the summary of a ``BinlogStatistics`` as one JSON object (`--format json`) or
/// aligned text (any other format).
public struct StatisticsFormatter {
    public let format: DumpFormat
    public let out: OutputBuffer

    public init(format: DumpFormat, out: OutputBuffer) {
        self.format = format
        self.out = out
    }

    /// Writes the summary of `s`.
    /// - Parameters:
    ///   - trailers: the block trailers the stream skipped.
    ///   - input: the binlog read (its manifest and file findings are reported).
    ///   - comparesManifest: the items are the whole binlog (no filter), so the manifest is
    ///     compared with the last item; compared with filtered items it would read as leading or
    ///     lagging for nothing.
    public func write(_ s: BinlogStatistics, trailers: Int, input: BinlogInput, comparesManifest: Bool) {
        let manifest = input.manifestPosition
        var agreement: ManifestAgreement? = nil
        if let m = manifest, comparesManifest {
            agreement = compareManifest(
                producer: m.producer, logicID: m.logicID, lastItemEnd: s.lastItem.map { ResumePoint(after: $0.end) },
                lastLogicID: s.lastItem?.logicID)
        }
        if format == .json {
            var o = JSONObject(into: out)
            o.number("items", s.items)
            o.number("item_bytes", s.itemBytes)
            o.number("fragments", s.fragments)
            o.number("block_trailers", trailers)
            o.number("first_logic_id", s.firstItem?.logicID)
            o.number("last_logic_id", s.lastItem?.logicID)
            o.key("padding")
            out.append(UInt8(ascii: "["))
            for (i, p) in s.padding.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                var r = JSONObject(into: out)
                r.number("filenum", p.start.fileNumber)
                r.number("offset", p.start.offset)
                r.number("length", p.byteCount)
                r.string("origin", p.kind.rawValue)
                r.close()
            }
            out.append(UInt8(ascii: "]"))
            o.key("damage")
            out.append(UInt8(ascii: "["))
            for (i, d) in s.damage.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                var r = JSONObject(into: out)
                r.number("filenum", d.start.fileNumber)
                r.number("offset", d.start.offset)
                r.number("length", d.length)
                r.string("reason", d.reason)
                r.close()
            }
            out.append(UInt8(ascii: "]"))
            o.key("commands")
            var commands = JSONObject(into: out)
            for (name, count) in s.sortedCommandCounts {
                commands.key(name.description)
                out.append(decimal: count)
            }
            commands.close()
            o.key("files")
            out.append(UInt8(ascii: "["))
            for (i, f) in s.files.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                var r = JSONObject(into: out)
                r.number("filenum", f.fileNumber)
                r.number("items", f.items)
                r.number("end", f.end)
                r.number("first_logic_id", f.firstLogicID)
                r.number("last_logic_id", f.lastLogicID)
                r.number("first_exec_time", f.firstExecTime)
                r.number("last_exec_time", f.lastExecTime)
                r.string("first_item_stored", f.firstItemStored?.description)
                r.number("padding_bytes", f.paddingBytes)
                r.number("damage_bytes", f.damageBytes)
                r.close()
            }
            out.append(UInt8(ascii: "]"))
            o.strings("file_findings", input.directory.findings.map(\.description))
            if let m = manifest {
                o.key("manifest")
                var r = JSONObject(into: out)
                r.number("filenum", m.producer.fileNumber)
                r.number("offset", m.producer.offset)
                r.number("logic_id", m.logicID)
                r.number("term", m.term)
                r.string("agreement", agreement?.rawValue ?? "not-compared")
                r.close()
            }
            o.close()
            out.append("\n")
            return
        }
        out.append("items            "); out.append(decimal: s.items); out.append(" ("); out.append(decimal: s.itemBytes); out.append(" bytes, ")
        out.append(decimal: s.fragments); out.append(" physical records)\n")
        if let f = s.firstItem, let l = s.lastItem {
            out.append("logic ids        "); out.append(decimal: f.logicID); out.append(" .. "); out.append(decimal: l.logicID); out.append("\n")
            out.append("exec time        "); out.appendISOTime(f.time); out.append(" .. "); out.appendISOTime(l.time); out.append("\n")
            out.append("positions        "); out.append(f.start.description); out.append(" .. "); out.append(l.end.description); out.append("\n")
        }
        out.append("block trailers   "); out.append(decimal: trailers); out.append("\n")
        out.append("padding          "); out.append(decimal: s.padding.count); out.append(" region(s)\n")
        for p in s.padding {
            out.append("  "); out.append(p.start.description); out.append(" +"); out.append(decimal: p.byteCount); out.append(" "); out.append(p.kind.rawValue); out.append("\n")
        }
        out.append("damage           "); out.append(decimal: s.damage.count); out.append(" range(s)\n")
        for d in s.damage {
            out.append("  "); out.append(d.start.description); out.append(" +"); out.append(decimal: d.length); out.append(" "); out.append(d.reason); out.append("\n")
        }
        out.append("commands\n")
        for (name, count) in s.sortedCommandCounts {
            out.append("  "); out.append(name.description)
            for _ in 0..<max(0, 16 - name.description.count) { out.append(" ") }
            out.append(" "); out.append(decimal: count); out.append("\n")
        }
        out.append("files\n")
        for f in s.files {
            out.append("  write2file"); out.append(decimal: f.fileNumber); out.append("  items "); out.append(decimal: f.items)
            if let a = f.firstLogicID, let b = f.lastLogicID {
                out.append("  ids "); out.append(decimal: a); out.append(".."); out.append(decimal: b)
            }
            if let t = f.firstExecTime, let u = f.lastExecTime {
                out.append("  "); out.appendISOTime(t); out.append(".."); out.appendISOTime(u)
            }
            if let st = f.firstItemStored { out.append("  first at="); out.append(st.description) }
            out.append("  end "); out.append(decimal: f.end)
            out.append("\n")
        }
        for f in input.directory.findings {
            out.append("note             "); out.append(f.description); out.append("\n")
        }
        if let m = manifest {
            out.append("manifest         "); out.append(m.producer.description); out.append(" logic_id "); out.append(decimal: m.logicID)
            out.append(" term "); out.append(decimal: m.term); out.append(": ")
            out.append(agreement?.rawValue ?? "not compared (a filter selects the items; check compares the whole binlog)")
            if let agreement, let l = s.lastItem, agreement != .consistent {
                out.append(" (last item ends at "); out.append(l.end.description); out.append(", logic id "); out.append(decimal: l.logicID); out.append(")")
            }
            out.append("\n")
        }
    }
}
