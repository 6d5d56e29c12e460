import ArgumentParser
import BinlogFormat
import Repair

/// How `check` and `diff` print findings.
public enum FindingFormat: String, ExpressibleByArgument, CaseIterable {
    /// A table: one finding per line (related ranges on the next line), then a summary.
    case text
    /// JSON Lines: one finding object per line, then one `{"kind":"summary",...}` object.
    case json
}

/// Writes findings and summaries in the shapes documented in the README.
///
/// JSON finding: `{"kind":..,"severity":..,"first":{"filenum":..,"offset":..,"logic_id":..},
/// "last":{...},"count":..,"related":{"first":{...},"last":{...}}|null,"message":".."}` plus, when
/// they apply, `"bytes"`, `"rule"`, `"versions"`, `"corrected_manifest"`. Positions are physical
/// record starts; `first`/`last` are null only for findings about the directory as a whole.
public struct FindingFormatter {
    public let format: FindingFormat
    public let out: OutputBuffer

    public init(format: FindingFormat, out: OutputBuffer) {
        self.format = format
        self.out = out
    }

    /// Column widths of the text table: severity, kind, first, last, count.
    private static let widths = [9, 22, 26, 26, 7]

    public func writeHeader() {
        guard format == .text else { return }
        for (title, width) in zip(["SEVERITY", "KIND", "FIRST", "LAST", "COUNT"], Self.widths) { pad(title, width) }
        out.append("MESSAGE\n")
    }

    public func write(_ finding: Finding) {
        switch format {
        case .json: writeJSON(finding)
        case .text: writeText(finding)
        }
        out.flushIfNeeded()
    }

    // MARK: - Text

    private func pad(_ s: String, _ width: Int) {
        out.append(s)
        var n = s.count
        repeat {
            out.append(" ")
            n += 1
        } while n < width
    }

    private func writeText(_ f: Finding) {
        let w = Self.widths
        pad(f.severity.rawValue, w[0])
        pad(f.kind.rawValue, w[1])
        pad(f.first?.description ?? "-", w[2])
        pad(f.last?.description ?? "-", w[3])
        pad(String(f.count), w[4])
        out.append(f.message)
        out.append("\n")
        if let r = f.related {
            out.append("         related: ")
            out.append(r.description)
            out.append("\n")
        }
        if let rule = f.rule {
            out.append("         rule: ")
            out.append(rule)
            if let v = f.versions {
                out.append(" (")
                out.append(v)
                out.append(")")
            }
            out.append("\n")
        }
    }

    // MARK: - JSON

    public func writeLocation(_ l: FindingLocation?) {
        out.appendJSON(l)
    }

    private func writeRange(_ r: FindingRange?) {
        guard let r else { return out.append("null") }
        var o = JSONObject(into: out)
        o.key("first")
        out.appendJSON(r.first)
        o.key("last")
        out.appendJSON(r.last)
        o.close()
    }

    private func writeJSON(_ f: Finding) {
        var o = JSONObject(into: out)
        o.string("kind", f.kind.rawValue)
        o.string("severity", f.severity.rawValue)
        o.key("first")
        out.appendJSON(f.first)
        o.key("last")
        out.appendJSON(f.last)
        o.number("count", f.count)
        o.key("related")
        writeRange(f.related)
        o.string("message", f.message)
        if let b = f.byteCount { o.number("bytes", b) }
        if let rule = f.rule { o.string("rule", rule) }
        if let v = f.versions { o.string("versions", v) }
        if let c = f.correctedManifest {
            o.key("corrected_manifest")
            out.appendJSON(c)
        }
        o.close()
        out.append("\n")
    }

    // MARK: - Summaries

    /// `"errors":..,"warnings":..,"infos":..,"findings":..,"status":..` for a JSON summary.
    public func appendCounts(_ findings: [Finding], to o: inout JSONObject) {
        o.number("errors", findings.count(.error))
        o.number("warnings", findings.count(.warning))
        o.number("infos", findings.count(.info))
        o.number("findings", findings.count)
        o.string("status", findings.contains { $0.severity > .info } ? "problems" : "clean")
    }

    /// `0 errors, 1 warning, 2 infos` for a text summary.
    public func countsText(_ findings: [Finding]) -> String {
        let e = findings.count(.error)
        let w = findings.count(.warning)
        let i = findings.count(.info)
        return "\(e) error\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s"), \(i) info\(i == 1 ? "" : "s")"
    }

    public func writeCheckSummary(_ report: CheckReport, input: String) {
        let s = report.summary
        if format == .json {
            var o = JSONObject(into: out)
            o.string("kind", "summary")
            o.string("command", "check")
            o.string("input", input)
            o.number("items", s.items)
            o.number("files", s.files)
            o.number("item_bytes", s.itemBytes)
            o.number("padding_bytes", s.paddingBytes)
            o.number("damage_bytes", s.damageBytes)
            o.key("first")
            out.appendJSON(s.firstItem)
            o.key("last")
            out.appendJSON(s.lastItem)
            o.key("end")
            out.appendJSON(s.lastItemEnd)
            o.number("flushes", s.flushes)
            o.key("manifest")
            out.appendJSON(
                s.manifest.map { ProducerStatus(fileNumber: $0.fileNumber, offset: $0.offset, logicID: $0.logicID ?? 0, term: $0.term ?? 0) })
            o.key("corrected_manifest")
            out.appendJSON(s.correctedManifest)
            appendCounts(report.findings, to: &o)
            o.close()
            out.append("\n")
            return
        }
        var line = "check: \(s.items) item\(s.items == 1 ? "" : "s") in \(s.files) file\(s.files == 1 ? "" : "s")"
        if let f = s.firstItem, let l = s.lastItem {
            line += ", \(f.description) .. \(l.description)"
            if let e = s.lastItemEnd { line += " (ends at \(e))" }
        }
        line += "; \(s.flushes) flush\(s.flushes == 1 ? "" : "es")"
        out.append(line)
        out.append("\n")
        if let m = s.manifest {
            out.append(
                "manifest: \(m.fileNumber):\(m.offset) logic_id \(m.logicID.map(String.init) ?? "-") term \(m.term.map(String.init) ?? "-")"
            )
        } else if s.correctedManifest != nil {
            out.append("manifest: none readable")
        }
        if let c = s.correctedManifest {
            out.append(
                "; corrected (printed, not written into the binlog; --write-manifest FILE writes it to a new file): "
                    + "\(c.fileNumber):\(c.offset) logic_id \(c.logicID) term \(c.term)")
        }
        if s.manifest != nil || s.correctedManifest != nil { out.append("\n") }
        out.append("result: ")
        out.append(countsText(report.findings))
        out.append(report.hasProblems ? " (problems found)\n" : " (clean)\n")
    }
}
