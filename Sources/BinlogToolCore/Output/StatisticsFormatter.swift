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
            out.append("{\"items\":"); out.append(decimal: s.items)
            out.append(",\"item_bytes\":"); out.append(decimal: s.itemBytes)
            out.append(",\"fragments\":"); out.append(decimal: s.fragments)
            out.append(",\"block_trailers\":"); out.append(decimal: trailers)
            out.append(",\"first_logic_id\":"); if let f = s.firstItem { out.append(decimal: f.logicID) } else { out.append("null") }
            out.append(",\"last_logic_id\":"); if let l = s.lastItem { out.append(decimal: l.logicID) } else { out.append("null") }
            out.append(",\"padding\":[")
            for (i, p) in s.padding.enumerated() {
                if i > 0 { out.append(",") }
                out.append("{\"filenum\":"); out.append(decimal: p.start.fileNumber); out.append(",\"offset\":"); out.append(decimal: p.start.offset)
                out.append(",\"length\":"); out.append(decimal: p.byteCount); out.append(",\"origin\":\""); out.append(p.kind.rawValue); out.append("\"}")
            }
            out.append("],\"damage\":[")
            for (i, d) in s.damage.enumerated() {
                if i > 0 { out.append(",") }
                out.append("{\"filenum\":"); out.append(decimal: d.start.fileNumber); out.append(",\"offset\":"); out.append(decimal: d.start.offset)
                out.append(",\"length\":"); out.append(decimal: d.length); out.append(",\"reason\":"); out.appendJSONString(d.reason); out.append("}")
            }
            out.append("],\"commands\":{")
            for (i, (name, count)) in s.sortedCommandCounts.enumerated() {
                if i > 0 { out.append(",") }
                out.appendJSONString(name.description); out.append(":"); out.append(decimal: count)
            }
            out.append("},\"files\":[")
            for (i, f) in s.files.enumerated() {
                if i > 0 { out.append(",") }
                out.append("{\"filenum\":"); out.append(decimal: f.fileNumber)
                out.append(",\"items\":"); out.append(decimal: f.items)
                out.append(",\"end\":"); out.append(decimal: f.end)
                out.append(",\"first_logic_id\":"); if let v = f.firstLogicID { out.append(decimal: v) } else { out.append("null") }
                out.append(",\"last_logic_id\":"); if let v = f.lastLogicID { out.append(decimal: v) } else { out.append("null") }
                out.append(",\"first_exec_time\":"); if let v = f.firstExecTime { out.append(decimal: v) } else { out.append("null") }
                out.append(",\"last_exec_time\":"); if let v = f.lastExecTime { out.append(decimal: v) } else { out.append("null") }
                out.append(",\"first_item_stored\":"); if let v = f.firstItemStored { out.append("\""); out.append(v.description); out.append("\"") } else { out.append("null") }
                out.append(",\"padding_bytes\":"); out.append(decimal: f.paddingBytes)
                out.append(",\"damage_bytes\":"); out.append(decimal: f.damageBytes)
                out.append("}")
            }
            out.append("],\"file_findings\":[")
            for (i, f) in input.directory.findings.enumerated() {
                if i > 0 { out.append(",") }
                out.appendJSONString(f.description)
            }
            out.append("]")
            if let m = manifest {
                out.append(",\"manifest\":{\"filenum\":"); out.append(decimal: m.producer.fileNumber)
                out.append(",\"offset\":"); out.append(decimal: m.producer.offset)
                out.append(",\"logic_id\":"); out.append(decimal: m.logicID)
                out.append(",\"term\":"); out.append(decimal: m.term)
                out.append(",\"agreement\":\""); out.append(agreement?.rawValue ?? "not-compared"); out.append("\"}")
            }
            out.append("}\n")
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
