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
        guard let l else {
            out.append("null")
            return
        }
        out.append("{\"filenum\":")
        out.append(decimal: l.fileNumber)
        out.append(",\"offset\":")
        out.append(decimal: l.offset)
        out.append(",\"logic_id\":")
        if let id = l.logicID { out.append(decimal: id) } else { out.append("null") }
        out.append("}")
    }

    private func writeRange(_ r: FindingRange?) {
        guard let r else {
            out.append("null")
            return
        }
        out.append("{\"first\":")
        writeLocation(r.first)
        out.append(",\"last\":")
        writeLocation(r.last)
        out.append("}")
    }

    public func writeProducer(_ p: ProducerStatus) {
        out.append("{\"filenum\":")
        out.append(decimal: p.fileNumber)
        out.append(",\"offset\":")
        out.append(decimal: p.offset)
        out.append(",\"logic_id\":")
        out.append(decimal: p.logicID)
        out.append(",\"term\":")
        out.append(decimal: p.term)
        out.append("}")
    }

    private func writeJSON(_ f: Finding) {
        out.append("{\"kind\":\"")
        out.append(f.kind.rawValue)
        out.append("\",\"severity\":\"")
        out.append(f.severity.rawValue)
        out.append("\",\"first\":")
        writeLocation(f.first)
        out.append(",\"last\":")
        writeLocation(f.last)
        out.append(",\"count\":")
        out.append(decimal: f.count)
        out.append(",\"related\":")
        writeRange(f.related)
        out.append(",\"message\":")
        out.appendJSONString(f.message)
        if let b = f.byteCount {
            out.append(",\"bytes\":")
            out.append(decimal: b)
        }
        if let rule = f.rule {
            out.append(",\"rule\":")
            out.appendJSONString(rule)
        }
        if let v = f.versions {
            out.append(",\"versions\":")
            out.appendJSONString(v)
        }
        if let c = f.correctedManifest {
            out.append(",\"corrected_manifest\":")
            writeProducer(c)
        }
        out.append("}\n")
    }

    // MARK: - Summaries

    /// `"errors":..,"warnings":..,"infos":..,"findings":..,"status":..` for a JSON summary.
    public func appendCounts(_ findings: [Finding]) {
        out.append(",\"errors\":")
        out.append(decimal: findings.count(.error))
        out.append(",\"warnings\":")
        out.append(decimal: findings.count(.warning))
        out.append(",\"infos\":")
        out.append(decimal: findings.count(.info))
        out.append(",\"findings\":")
        out.append(decimal: findings.count)
        out.append(",\"status\":\"")
        out.append(findings.contains { $0.severity > .info } ? "problems" : "clean")
        out.append("\"")
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
            out.append("{\"kind\":\"summary\",\"command\":\"check\",\"input\":")
            out.appendJSONString(input)
            out.append(",\"items\":")
            out.append(decimal: s.items)
            out.append(",\"files\":")
            out.append(decimal: s.files)
            out.append(",\"item_bytes\":")
            out.append(decimal: s.itemBytes)
            out.append(",\"padding_bytes\":")
            out.append(decimal: s.paddingBytes)
            out.append(",\"damage_bytes\":")
            out.append(decimal: s.damageBytes)
            out.append(",\"first\":")
            writeLocation(s.firstItem)
            out.append(",\"last\":")
            writeLocation(s.lastItem)
            out.append(",\"end\":")
            if let e = s.lastItemEnd {
                out.append("{\"filenum\":")
                out.append(decimal: e.fileNumber)
                out.append(",\"offset\":")
                out.append(decimal: e.offset)
                out.append("}")
            } else {
                out.append("null")
            }
            out.append(",\"flushes\":")
            out.append(decimal: s.flushes)
            out.append(",\"manifest\":")
            if let m = s.manifest {
                writeProducer(
                    ProducerStatus(
                        fileNumber: m.fileNumber, offset: m.offset, logicID: m.logicID ?? 0, term: m.term ?? 0))
            } else {
                out.append("null")
            }
            out.append(",\"corrected_manifest\":")
            if let c = s.correctedManifest { writeProducer(c) } else { out.append("null") }
            appendCounts(report.findings)
            out.append("}\n")
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
