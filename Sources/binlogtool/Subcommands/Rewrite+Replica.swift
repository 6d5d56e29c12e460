import ArgumentParser
import BinlogFormat
import BinlogToolCore
import Repair

// `rewrite --replica`: where a replica diverged from its master, and the repair of a replica that
// a full sync (or a restore of the master's dump) put past its recorded offset.
extension Rewrite {
    /// `--replica R --snapshot D`: the replica started from the master's dump `D` (Pika's full sync,
    /// or a manual restore) at its recorded offset; the dump held items past that offset, which the
    /// replica applied again. Writes the stream that sets each key such an item changed to the
    /// master's state at the replica's last item.
    func repairFullSyncedReplica(_ replica: String, snapshot: String, master: BinlogDirectory) throws {
        let report = try diffReport(of: replica, from: master)
        let (seed, _) = try seedFromSnapshot(snapshot, binlog: master)
        let judged = FullSyncDoubleApply(diff: report.summary, verification: seed.verification)
        guard judged.startsAtRecorded else {
            printError(
                "binlogtool: \(replica): " + (judged.findings.first?.message ?? "the replica did not start from this dump")
                    + "; nothing written")
            throw ExitCode(1)
        }
        let departures = report.findings.filter { $0.severity > .info }
        guard departures.isEmpty else {
            printError(
                "binlogtool: \(replica): the replica also departs from the master in its binlog (\(departures.count) "
                    + "finding(s); first: \(departures[0].kind.rawValue) at \(departures[0].range.map(\.description) ?? "-")): "
                    + "no stream repairs both; resynchronize it from a consistent dump (Docs/Replica-Repair.md); nothing written")
            throw ExitCode(1)
        }
        guard !judged.unsafe.isEmpty else {
            print(
                "nothing to repair: the replica started at the dump's recorded offset \(judged.recorded) and "
                    + (judged.appliedTwice.isEmpty
                        ? "the dump holds no item past it"
                        : "the \(judged.appliedTwice.count) item(s) the dump held past it are replay-safe")
                    + "; nothing written")
            return
        }
        let repair: FullSyncRepair.Result
        do {
            repair = try FullSyncRepair.build(master: master, seed: seed, doubleApply: judged, dialect: dialect)
        } catch {
            throw ToolError(rewrite: error)
        }
        var staged: StagedOutput? = nil
        let output: RESPRewriteOutput
        do {
            if dryRun {
                output = RESPRewriteOutput(descriptor: -1, path: "<dry run>", closeWhenDone: false)
            } else if out == "-" {
                output = RESPRewriteOutput(descriptor: 1, path: "<stdout>", closeWhenDone: false)
            } else {
                let s = try StagedOutput(target: out!, kind: .file, replaceExisting: force)
                staged = s
                output = RESPRewriteOutput(descriptor: s.releaseDescriptor(), path: out!, closeWhenDone: true)
            }
            let time = judged.replicaThroughExecTime ?? 0
            for command in repair.commands {
                let bytes = RESP.encode(command)
                _ = try bytes.withUnsafeBytes { content throws(RewriteError) in
                    try [UInt32]().withUnsafeBufferPointer { times throws(RewriteError) in
                        try output.write(content: content, execTime: time, recordTimes: times)
                    }
                }
            }
            _ = try output.finish()
            try staged?.commit()
        } catch let e as RewriteError {
            staged?.abandon()
            throw ToolError(rewrite: e)
        }
        let ids = judged.unsafe.map { String($0.logicID) }.joined(separator: ", ")
        let through = judged.replicaThrough.map(\.description) ?? "-"
        let keys = repair.repaired.map { String(decoding: $0, as: UTF8.self) }
        var lines = [
            "repair: the replica started at the dump's recorded offset \(judged.recorded) and applied again "
                + "\(judged.unsafe.count) item(s) that are not replay-safe (logic ids \(ids))",
            "keys: \(repair.repaired.count) reset to the master's state at the replica's last item \(through): "
                + keys.prefix(20).joined(separator: " ") + (keys.count > 20 ? " …" : ""),
            "output: \(repair.commands.count) commands, \(output.byteCount) bytes, "
                + (dryRun ? "not written (--dry-run)" : out == "-" ? "to stdout" : "written to \(out!)")
                + " (\(dialect.rawValue) forms); the replica's position in the master's binlog stays where it is",
        ]
        for (key, why) in repair.unknown {
            lines.append("not repaired: \(String(decoding: key, as: UTF8.self)): \(why)")
        }
        if out != "-" {
            lines.append(
                "next: apply it to the replica while it is not replicating, then let it replicate again: "
                    + "Docs/Replica-Repair.md, \"A replica that started from a lagging dump\"")
        }
        for line in lines { if out == "-" { printError(line) } else { print(line) } }
        if !repair.unknown.isEmpty { throw ExitCode(1) }
    }

    /// The diff of `replica` (a path as given to --replica) against the master binlog.
    func diffReport(of replica: String, from master: BinlogDirectory) throws(ToolError) -> DiffReport {
        var arguments = [replica]
        if let db = input.db { arguments += ["--db", db] }
        let replicaInput: BinlogInput
        do {
            replicaInput = try InputOptions.parse(arguments).resolve()
        } catch let e as ToolError {
            throw e
        } catch {
            throw ToolError(.usage, "--replica: \(error)")
        }
        let report: DiffReport
        do {
            report = try BinlogDiff.diff(master: master, replica: replicaInput.directory)
        } catch {
            throw ToolError(error)
        }
        guard report.summary.alignment != .none else {
            throw ToolError(.dataError, "\(replica): no item in common with the master's binlog; not its replica?")
        }
        return report
    }

    /// Where `replica` first departs from the master binlog `master` (diff's first difference, else
    /// its first unapplied item): the master resume point to rewrite from and a note for the summary
    /// naming what diff found. Nil when the replica has every master item in step.
    func divergence(of replica: String, from master: BinlogDirectory) throws(ToolError)
        -> (ResumePoint, String)?
    {
        let s = try diffReport(of: replica, from: master).summary
        guard let point = s.divergence, let item = s.divergenceItem else { return nil }
        var found: [String] = []
        for (count, what) in [
            (s.missing, "missing"), (s.extra, "extra"), (s.duplicated, "duplicated"), (s.reordered, "reordered"),
            (s.ttlDrift, "TTL drift"), (s.unapplied, "never applied"),
        ] where count > 0 {
            found.append("\(count) \(what)")
        }
        return (point, "where the replica first departs from the master, at \(item); diff: " + found.joined(separator: ", "))
    }

    /// Verifies the snapshot and makes the seed: its corrected resume point, the items to skip,
    /// and the key states. Refuses (exit 1) a snapshot no rewrite may start from
    /// (``SnapshotVerification/resumeRefusal``) unless `--force`, which prints the risk.
    func seedFromSnapshot(_ dump: String, binlog: BinlogDirectory) throws -> (SnapshotSeed, ResumePoint) {
        try SnapshotInputOptions.requireRocksDB("--snapshot")
        let verified = try SnapshotInputOptions(
            pikaVersion: pikaVersion, slotCount: slotCount, verifier: .init(window: window)
        ).verify(dump, binlog: binlog)
        let verification = verified.verification
        if let why = verification.resumeRefusal {
            let verdict = "\(dump): verify-snapshot verdict \(verification.verdict.rawValue); \(why)"
            guard force else {
                printError(
                    "binlogtool: \(verdict)\nbinlogtool: refused: the dump gives no point to rewrite from; nothing written "
                        + "(verify-snapshot shows the details; --force rewrites from its corrected point anyway)")
                throw ExitCode(1)
            }
            printError(
                "binlogtool: warning: \(verdict); --force: rewriting from \(verification.corrected) anyway. "
                    + "Risk: the output does not pair with this dump's data; replayed on it, items the data lacks "
                    + "may stay missing and items it holds may be applied again")
        }
        return (
            SnapshotSeed(verification: verification, source: SnapshotStateSource(snapshot: verified.snapshot)),
            verified.info.resumePoint
        )
    }
}
