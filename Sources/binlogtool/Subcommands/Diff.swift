import ArgumentParser
import BinlogFormat
import BinlogToolCore
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

            A replica that started from a bgsave dump (Pika's full sync, or a restore with \
            manifest_generator) has a binlog that begins at the dump's recorded offset and looks perfect \
            even when the dump already held items past that offset (Pika 3.1–3.5.4 and 4.0.0 can write \
            such a dump): the replica applied them twice. --snapshot DUMP (the master's dump it started \
            from) finds them: each one that is not replay-safe (INCR, RPUSH, HINCRBY, APPEND…) is an \
            applied-twice error naming its logic id; `rewrite --replica --snapshot` writes the repair. \
            The output ends with the next step that fits what was found.

            Examples:
              binlogtool diff master/log/log_db0 replica/log/log_db0
              binlogtool diff /data/master/log /data/replica/log --db db0 --format json
              binlogtool diff master/log/log_db0 replica/log/log_db0 --snapshot master/dump/20261120/db0

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

    @OptionGroup var jobs: JobsOption

    @Option(help: "Items read ahead on each side to re-align after a difference.")
    var window: Int = 16384

    @Option(
        help:
            "The master's bgsave dump the replica started from (dump/<date>/dbN with its info): report the items it held past its recorded offset that the replica applied again."
    )
    var snapshot: String?

    @Option(help: "Pika version that wrote the dump (3.3 … 3.5.5, 4.0.0, 4.0.1); detected by default.")
    var pikaVersion: String?

    @Option(help: "Pika 4.0 default-slot-num (which instance holds a key).")
    var slotCount: Int = 1024

    func validate() throws {
        if window < 16 || window > 1 << 22 { throw ValidationError("--window must be between 16 and 4194304 items") }
        if slotCount < 1 { throw ValidationError("--slot-count must be at least 1") }
        if let v = pikaVersion, PikaStorageVersion(release: v) == nil {
            throw ValidationError("--pika-version: '\(v)' is not a release this tool reads (3.3 … 3.5.5, 4.0.0, 4.0.1)")
        }
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
        var report: DiffReport
        do {
            let jobs = jobs.count
            report = try BinlogDiff.diff(
                master: { BinlogStream(files: masterInput.streamFiles, jobs: jobs) },
                replica: { BinlogStream(files: replicaInput.streamFiles, jobs: jobs) }, configuration: configuration)
        } catch {
            throw ToolError(error)
        }
        var doubleApply: FullSyncDoubleApply? = nil
        if let snapshot {
            try SnapshotInputOptions.requireRocksDB("--snapshot")
            let verification = try SnapshotInputOptions(pikaVersion: pikaVersion, slotCount: slotCount, verifier: .init())
                .verify(snapshot, binlog: masterInput.directory).verification
            let judged = FullSyncDoubleApply(diff: report.summary, verification: verification)
            report.findings += judged.findings
            report.findings.sort(by: Finding.byPosition)
            doubleApply = judged
        }
        let out = OutputBuffer()
        let formatter = FindingFormatter(format: format, out: out)
        if !report.findings.isEmpty { formatter.writeHeader() }   // no table header over an empty table
        for finding in report.findings { formatter.write(finding) }
        let next = DiffNextStep(
            report: report, doubleApply: doubleApply, master: master, replica: replica, snapshot: snapshot, db: db)
        formatter.writeDiffSummary(
            report, master: masterInput.directory.path ?? master, replica: replicaInput.directory.path ?? replica,
            doubleApply: doubleApply, next: next)
        out.flush()
        if out.failed { throw ToolError(.ioError, "writing the output failed") }
        if report.hasProblems { throw ExitCode(1) }
    }
}

extension FindingFormatter {
    func writeDiffSummary(
        _ report: DiffReport, master: String, replica: String, doubleApply: FullSyncDoubleApply?, next: DiffNextStep
    ) {
        let s = report.summary
        if format == .json {
            var o = JSONObject(into: out)
            o.string("kind", "summary")
            o.string("command", "diff")
            o.string("master", master)
            o.string("replica", replica)
            o.string("alignment", s.alignment.rawValue)
            o.number("master_items", s.masterItems)
            o.number("replica_items", s.replicaItems)
            o.number("master_before_replica", s.masterBeforeReplica)
            o.number("replica_before_master", s.replicaBeforeMaster)
            o.number("common", s.common)
            o.number("missing", s.missing)
            o.number("extra", s.extra)
            o.number("duplicated", s.duplicated)
            o.number("reordered", s.reordered)
            o.number("ttl_drift", s.ttlDrift)
            o.number("unapplied", s.unapplied)
            o.number("master_flushes", s.masterFlushes)
            o.number("replica_flushes", s.replicaFlushes)
            o.key("first_unapplied")
            out.appendJSON(s.firstUnapplied)
            o.key("replica_last")
            out.appendJSON(s.replicaLast)
            if let doubleApply {
                o.string("snapshot_recorded", doubleApply.recorded.description)
                o.bool("replica_starts_at_recorded", doubleApply.startsAtRecorded)
                o.number("applied_twice", doubleApply.appliedTwice.count)
                o.number("applied_twice_unsafe", doubleApply.unsafe.count)
                o.numbers("applied_twice_logic_ids", doubleApply.unsafe.map(\.logicID))
                o.strings("damaged_keys", doubleApply.damagedKeys.map { String(decoding: $0, as: UTF8.self) })
            }
            o.strings("next", next.lines)
            appendCounts(report.findings, to: &o)
            o.close()
            out.append("\n")
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
        if let d = doubleApply, d.startsAtRecorded {
            out.append(
                "snapshot: the replica started at the dump's recorded offset \(d.recorded); applied twice: "
                    + "\(d.appliedTwice.count) item(s), \(d.unsafe.count) not replay-safe"
                    + (d.unsafe.isEmpty ? "" : " (logic ids \(d.unsafe.map { String($0.logicID) }.joined(separator: ", ")))")
                    + "\n")
        }
        out.append("result: ")
        out.append(countsText(report.findings))
        out.append(
            report.hasProblems
                ? (doubleApply?.unsafe.isEmpty == false && !report.findings.contains { $0.severity > .info && $0.kind != .appliedTwice }
                    ? " (the binlogs agree, but the replica applied items twice)\n" : " (the binlogs differ)\n")
                : " (the replica has everything the master logged since its start)\n")
        for (i, line) in next.lines.enumerated() {
            out.append(i == 0 ? "next: " : "      ")
            out.append(line)
            out.append("\n")
        }
    }
}

/// What to run after a diff, with the paths given filled in.
struct DiffNextStep {
    var lines: [String]

    init(report: DiffReport, doubleApply: FullSyncDoubleApply?, master: String, replica: String, snapshot: String?, db: String?) {
        let dbOption = db.map { " --db \(shellQuoted($0))" } ?? ""
        let m = shellQuoted(master)
        let r = shellQuoted(replica)
        let others = report.findings.contains { $0.severity > .info && $0.kind != .appliedTwice }
        if let d = doubleApply, !d.unsafe.isEmpty, let snapshot {
            if others {
                lines = [
                    "the replica also departs from the master in its binlog (above): no stream repairs both; "
                        + "resynchronize it from a consistent dump (binlogtool prepare-replica, Docs/Replica-Repair.md)"
                ]
            } else {
                lines = [
                    "binlogtool rewrite \(m) --replica \(r) --snapshot \(shellQuoted(snapshot))\(dbOption) --format resp --out repair.resp",
                    "then apply repair.resp to the replica while it is not replicating: Docs/Replica-Repair.md, "
                        + "\"A replica that started from a lagging dump\"",
                ]
            }
        } else if report.hasProblems {
            if report.summary.divergence != nil {
                lines = [
                    "binlogtool rewrite \(m) --replica \(r)\(dbOption) --format resp --out repair.resp",
                    "then apply repair.resp to the replica while it is not replicating: Docs/Replica-Repair.md, "
                        + "\"A replica that departed otherwise\"",
                ]
            } else {
                lines = ["no stream can repair this (see the errors above): resynchronize the replica (Docs/Replica-Repair.md)"]
            }
        } else if let d = doubleApply, !d.startsAtRecorded {
            lines = [
                "nothing to do in the binlogs; to check for items applied twice, give --snapshot the master's dump "
                    + "the replica started from (the one whose info offset is \(report.summary.replicaStart.map(\.description) ?? "its start"))"
            ]
        } else if doubleApply == nil, report.summary.replicaPaddingEnd != nil, let start = report.summary.replicaStart {
            lines = [
                "nothing to do in the binlogs; the replica started from a dump at \(start): if that dump lagged its "
                    + "offset, the replica applied items twice, which its binlog cannot show. Check with the master's dump:",
                "binlogtool diff \(m) \(r)\(dbOption) --snapshot MASTER_DUMP/dbN",
            ]
        } else {
            lines = ["nothing to do: the replica has every master item since its start, once"]
        }
    }
}

/// `path` as a shell word: unchanged when it needs no quoting, else in single quotes.
func shellQuoted(_ path: String) -> String {
    let plain = path.unicodeScalars.allSatisfy {
        ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "/._-+:@%,=".unicodeScalars.contains($0)
    }
    if plain && !path.isEmpty { return path }
    return "'" + path.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
}
