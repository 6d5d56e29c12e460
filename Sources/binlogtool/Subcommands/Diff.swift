import ArgumentParser
import BinlogFormat
import Repair

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Compare a master's and a replica's binlog: common prefix, missing, extra, duplicated and reordered items, TTL drift, where the replica stopped.",
        discussion: """
            Items are compared by content, never by logic id (v3.5.2+ replicas number their own items \
            after a full sync). The replica's first item is found in the master by stored position when \
            both share a layout, by content otherwise. Reordered items are called out when a write crossed \
            a FLUSHDB/FLUSHALL. An expiry write (pksetexat, expireat, pexpireat, and the relative forms \
            placed at the item's exec time) that the replica logged with another expiry time for the same \
            key (and value) is TTL drift: reported with both times, and the two sides stay in step. \
            When the replica ends before the master, the first master item it never \
            applied is named, and flagged when it is an item replicas reject (e.g. v4.0.1 pksetexat with \
            a millisecond time).

            Examples:
              binlogtool diff master/log/log_db0 replica/log/log_db0
              binlogtool diff /data/master/log /data/replica/log --db db0 --format json

            \(exitCodeHelp) diff exits 1 when the two differ (anything worse than info).
            """)

    @Argument(help: "The master's binlog directory (or a log root holding log_<db>).")
    var master: String

    @Argument(help: "The replica's binlog directory (or a log root holding log_<db>).")
    var replica: String

    @Option(help: "Which DB's binlog to read under a log root (db0, or table/partition in sharding mode).")
    var db: String?

    @Option(
        help:
            "Output: text (a table of findings, then a summary) or json (JSON Lines: one finding per line, then a summary object)."
    )
    var format: FindingFormat = .text

    @Option(help: "Items read ahead on each side to re-align after a difference.")
    var window: Int = 16384

    func validate() throws {
        if window < 16 || window > 1 << 22 { throw ValidationError("--window must be between 16 and 4194304 items") }
    }

    private func resolve(_ path: String) throws -> BinlogInput {
        var arguments = [path]
        if let db { arguments += ["--db", db] }
        return try InputOptions.parse(arguments).resolve()
    }

    func run() throws {
        let masterInput = try resolve(master)
        let replicaInput = try resolve(replica)
        var configuration = DiffConfiguration()
        configuration.window = window
        let report: DiffReport
        do {
            report = try BinlogDiff.diff(
                master: masterInput.directory, replica: replicaInput.directory, configuration: configuration)
        } catch {
            throw ToolError(error)
        }
        let out = OutputBuffer()
        let formatter = FindingFormatter(format: format, out: out)
        formatter.writeHeader()
        for finding in report.findings { formatter.write(finding) }
        formatter.writeDiffSummary(
            report, master: masterInput.directory.path ?? master, replica: replicaInput.directory.path ?? replica)
        out.flush()
        if out.failed { throw ToolError(.ioError, "writing the output failed") }
        if report.hasProblems { throw ExitCode(1) }
    }
}

extension FindingFormatter {
    func writeDiffSummary(_ report: DiffReport, master: String, replica: String) {
        let s = report.summary
        if format == .json {
            out.append("{\"kind\":\"summary\",\"command\":\"diff\",\"master\":")
            out.appendJSONString(master)
            out.append(",\"replica\":")
            out.appendJSONString(replica)
            out.append(",\"alignment\":\"")
            out.append(s.alignment.rawValue)
            out.append("\"")
            let fields: [(String, Int)] = [
                ("master_items", s.masterItems), ("replica_items", s.replicaItems),
                ("master_before_replica", s.masterBeforeReplica), ("replica_before_master", s.replicaBeforeMaster),
                ("common", s.common), ("missing", s.missing), ("extra", s.extra), ("duplicated", s.duplicated),
                ("reordered", s.reordered), ("ttl_drift", s.ttlDrift), ("unapplied", s.unapplied),
                ("master_flushes", s.masterFlushes),
                ("replica_flushes", s.replicaFlushes),
            ]
            for (name, value) in fields {
                out.append(",\"")
                out.append(name)
                out.append("\":")
                out.append(decimal: value)
            }
            out.append(",\"first_unapplied\":")
            writeLocation(s.firstUnapplied)
            out.append(",\"replica_last\":")
            writeLocation(s.replicaLast)
            appendCounts(report.findings)
            out.append("}\n")
            return
        }
        out.append(
            "diff: master \(s.masterItems) items, replica \(s.replicaItems) items, aligned by \(s.alignment.rawValue); "
                + "common \(s.common), master before the replica \(s.masterBeforeReplica), missing \(s.missing), "
                + "extra \(s.extra), duplicated \(s.duplicated), reordered \(s.reordered), unapplied \(s.unapplied)"
                + (s.ttlDrift > 0 ? ", ttl drift \(s.ttlDrift)" : "") + "\n")
        if let f = s.firstUnapplied {
            out.append("first master item the replica never applied: \(f)\n")
        }
        out.append("result: ")
        out.append(countsText(report.findings))
        out.append(
            report.hasProblems
                ? " (the binlogs differ)\n" : " (the replica has everything the master logged since its start)\n")
    }
}
