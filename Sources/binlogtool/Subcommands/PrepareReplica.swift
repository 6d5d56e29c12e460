import ArgumentParser
import BinlogFormat
import BinlogToolCore
import Repair

#if canImport(Glibc)
import Glibc
#endif

struct PrepareReplica: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare-replica",
        abstract: "Write a replica's log directory positioned where a bgsave dump really stands in its master's binlog.",
        discussion: """
            Pika's manual restore copies a dump into a replica's db path and runs manifest_generator, which \
            positions the replica's binlog at the dump's `info` offset; the replica then asks its master for \
            the items from there. When the dump lags its offset (items after it are already in the data), \
            that replica applies them twice. prepare-replica runs verify-snapshot's analysis and writes the \
            log directory at the corrected point instead, in exactly the bytes manifest_generator writes for \
            that offset (a write2file<N> of blanks up to it and a manifest saying N:offset, logic id 0).

            When items after the corrected point are already in the data (concurrent writers: verify-snapshot's \
            `skip`), no position alone is right: the log directory is positioned after the last item in the \
            data, and --catch-up FILE receives the items before that point the data lacks, as a RESP stream in \
            Pika's idempotent forms, to apply before `slaveof` (required then).

            Refused (exit 1, with the verdict and why) unless the dump's offset is a resume point of this \
            binlog and every item before it is in the data (verdict consistent, lagging, or interleaved only \
            after the offset): another server's dump, a slave's bgsave, a purged offset. --out must not exist: \
            it is built under a hidden name beside it and renamed into place. Inputs are only read.

            Examples:
              binlogtool prepare-replica dump/20261120/db0 --binlog master/log/log_db0 --out replica/log/log_db0
              binlogtool prepare-replica dump/20261120/db0 --binlog master/log --out replica/log/log_db0 --catch-up catch-up.resp
              binlogtool prepare-replica dump/20261120/db0 --binlog master/log --out new/log_db0 --format json | jq .resume_point

            Exit codes: 0 written; 1 refused (the dump gives no resume point in this binlog, or the catch-up \
            would not be replay-safe), nothing written; 64 bad command line (also --out or --catch-up existing \
            or overlapping an input, --catch-up missing when one is needed); 65 unreadable `info`, binlog or \
            snapshot data; 66 input missing; 69 built without RocksDB; 70 internal error; 74 I/O error.
            """)

    @Argument(help: "The dump directory (dump/<prefix>DATE/dbN, with its info file).")
    var dump: String

    @Option(help: "The master's binlog: a log_dbN directory, or a log root holding log_<db> directories.")
    var binlog: String

    @Option(help: "The replica's new log directory (its <log-path>/log_<db>); must not exist.")
    var out: String

    @Option(help: "Where to write the catch-up stream (RESP, Pika's forms) when the dump holds items past the corrected point; must not exist.")
    var catchUp: String?

    @OptionGroup var snapshot: SnapshotOptions

    @Option(help: "Output: text, or json (one object).")
    var format: PrepareReplicaFormat = .text

    func validate() throws {
        if let catchUp, catchUp == "-" { throw ValidationError("--catch-up takes a file path, not stdout") }
    }

    func run() throws {
        try SnapshotInputOptions.requireRocksDB("prepare-replica")
        // Refuse outputs before any reading.
        let inputs = [dump, binlog]
        try refuseExisting(out, option: "--out", against: inputs)
        if let catchUp {
            try refuseExisting(catchUp, option: "--catch-up", against: inputs + [out])
        }

        let db = snapshot.db
        let directory = try SnapshotInputOptions.binlogDirectory(binlog, db: db, for: dump)
        let verified = try snapshot.input().verify(dump, binlog: directory)
        let report = verified.verification
        let database = db ?? SnapshotInputOptions.dumpDatabaseName(dump)

        if let why = report.resumeRefusal {
            emit(refused: why, report)
            throw ExitCode(1)
        }
        let position = report.replicaPosition
        if position.needsCatchUp && catchUp == nil {
            throw ToolError(
                .usage,
                "\(dump): \(position.skipped.count) item(s) after the corrected point \(report.corrected) are already in "
                    + "the data (logic id \(NextSteps.ids(position.skipped))), and \(position.catchUp.count) before them are not "
                    + "(logic id \(NextSteps.ids(position.catchUp))): no position alone is right. Give --catch-up FILE: the "
                    + "replica is positioned at \(position.resumePoint) and FILE receives the missing items, to apply before slaveof; "
                    + "nothing written")
        }

        // The catch-up stream first (staged), then the log directory; both renamed into place at the end.
        var catchUpStage: StagedOutput? = nil
        var catchUpSummary: RewriteSummary? = nil
        if position.needsCatchUp, let catchUp {
            let (stage, summary) = try writeCatchUp(catchUp, verified: verified, position: position)
            catchUpStage = stage
            catchUpSummary = summary
        }
        let status: ProducerStatus
        let logStage: StagedOutput
        do {
            logStage = try StagedOutput(target: out, kind: .directory, replaceExisting: false)
            status = try ManifestGeneratorLog.write(
                fileNumber: position.resumePoint.fileNumber, offset: position.resumePoint.offset,
                time: UInt32(clamping: report.snapshotTime.seconds),
                to: try BinlogDirectoryOutput(directory: logStage.staging))
        } catch let e as RewriteError {
            catchUpStage?.abandon()
            throw ToolError(rewrite: e)
        } catch let e as BinlogWriteError {
            catchUpStage?.abandon()
            throw ToolError(.ioError, e.description)
        }
        do {
            try catchUpStage?.commit()
        } catch {
            logStage.abandon()
            throw ToolError(rewrite: error)
        }
        do {
            try logStage.commit()
        } catch {
            if let catchUp { _ = unlink(catchUp) }
            throw ToolError(rewrite: error)
        }

        let steps = NextSteps.afterPreparing(
            dump: dump, out: out, database: database, master: (verified.info.host, verified.info.port),
            resumePoint: status.resumePoint, catchUp: catchUpSummary == nil ? nil : catchUp)
        emit(report, position: position, status: status, catchUpSummary: catchUpSummary, steps: steps)
    }

    /// Refuses an output that exists or overlaps an input (exit 64).
    private func refuseExisting(_ path: String, option: String, against inputs: [String]) throws(ToolError) {
        try checkOutputPath(path, option: option, against: inputs)
        var st = stat()
        if lstat(path, &st) == 0 {
            throw ToolError(.usage, "\(option) \(path): already exists; prepare-replica writes only a new \(option == "--out" ? "directory" : "file")")
        }
    }

    /// Rewrites the items between the corrected point and the resume point in Pika's idempotent
    /// forms, seeded from the dump; the items already in it are dropped.
    private func writeCatchUp(
        _ path: String, verified: VerifiedSnapshot, position: ReplicaPosition
    ) throws -> (StagedOutput, RewriteSummary) {
        var options = RewriteOptions()
        options.dialect = .pika
        options.start = .snapshot(
            SnapshotSeed(verification: verified.verification, source: SnapshotStateSource(snapshot: verified.snapshot)))
        options.stop = position.resumePoint
        let stage: StagedOutput
        let summary: RewriteSummary
        do {
            stage = try StagedOutput(target: path, kind: .file, replaceExisting: false)
            let output = RESPRewriteOutput(descriptor: stage.releaseDescriptor(), path: path, closeWhenDone: true)
            summary = try BinlogRewriter(directory: verified.binlog, options: options).rewrite(into: output)
        } catch {
            throw ToolError(rewrite: error)
        }
        if summary.hasFlagged || summary.count(.damage) > 0 {
            stage.abandon()
            printError(
                "binlogtool: \(verified.dump): the catch-up before \(position.resumePoint) is not replay-safe "
                    + "(\(summary.count(.flagged)) item(s) with an unknown prior state, \(summary.count(.damage)) damaged region(s)); "
                    + "refused, nothing written")
            throw ExitCode(1)
        }
        return (stage, summary)
    }

    // MARK: Output

    private func verdictLine(_ r: SnapshotVerification) -> String {
        var line = "verdict \(r.verdict.rawValue): recorded \(r.recorded) (\(r.location))"
        if !r.lagging.isEmpty { line += "; already in the data after it: logic id \(NextSteps.ids(r.lagging))" }
        if !r.leading.isEmpty { line += "; missing before it: logic id \(NextSteps.ids(r.leading))" }
        return line
    }

    /// `{"dump":…,"verdict":…,"recorded":…`: how every JSON answer of this verb begins.
    private func openJSON(_ r: SnapshotVerification, _ out: OutputBuffer) -> JSONObject {
        var o = JSONObject(into: out)
        o.string("dump", dump)
        o.string("verdict", r.verdict.rawValue)
        o.key("recorded")
        out.appendJSON(r.recorded)
        return o
    }

    private func emit(refused why: String, _ r: SnapshotVerification) {
        let out = OutputBuffer()
        switch format {
        case .text:
            out.append("\(dump): \(verdictLine(r))\n")
            out.append("refused: \(why); nothing written\n")
        case .json:
            var o = openJSON(r, out)
            o.string("refused", why)
            o.close()
            out.append("\n")
        }
        out.flush()
        if format == .json { printError("binlogtool: \(dump): refused: \(why); nothing written") }
    }

    private func emit(
        _ r: SnapshotVerification, position: ReplicaPosition, status: ProducerStatus, catchUpSummary: RewriteSummary?,
        steps: [String]
    ) {
        let out = OutputBuffer()
        let file = "write2file\(status.fileNumber)"
        let size = ManifestGeneratorLog.fileSize(forOffset: status.offset)
        switch format {
        case .text:
            out.append("\(dump): \(verdictLine(r))\n")
            out.append("resume point \(status.resumePoint)")
            if let held = position.lastHeld { out.append(": after logic id \(held.logicID), the last item in the data") }
            if let next = position.next { out.append("; the master sends logic id \(next.logicID) first") }
            if status.resumePoint == r.recorded {
                out.append(" (= the recorded offset)")
            } else {
                out.append(" (the info file says \(r.recorded))")
            }
            out.append("\n")
            out.append(
                "wrote \(self.out): \(file) (\(size) bytes, blank up to the offset) and manifest \(status.resumePoint) logic_id 0, "
                    + "as Pika's manifest_generator writes them\n")
            if let s = catchUpSummary, let catchUp {
                out.append(
                    "catch-up: wrote \(catchUp): \(position.catchUp.count) item\(position.catchUp.count == 1 ? "" : "s") the data lacks "
                        + "before the resume point (logic id \(NextSteps.ids(position.catchUp))), \(s.commandsWritten) command"
                        + "\(s.commandsWritten == 1 ? "" : "s") in Pika's idempotent forms; \(position.skipped.count) already in the "
                        + "data skipped (logic id \(NextSteps.ids(position.skipped))). Apply it before slaveof.\n")
            } else {
                out.append(
                    "catch-up: none needed (the data holds every item before the resume point and none after it)"
                        + (catchUp.map { "; \($0) not written" } ?? "") + "\n")
            }
            out.append("next:\n")
            for (index, step) in steps.enumerated() { out.append("  \(index + 1). \(step)\n") }
        case .json:
            var o = openJSON(r, out)
            o.key("corrected")
            out.appendJSON(r.corrected)
            o.key("resume_point")
            out.appendJSON(status.resumePoint)
            o.number("last_logic_id", position.lastHeld?.logicID)
            o.number("next_logic_id", position.next?.logicID)
            o.string("out", self.out)
            o.string("file", file)
            o.number("file_bytes", size)
            o.key("catch_up")
            if let s = catchUpSummary, let catchUp {
                var c = JSONObject(into: out)
                c.string("path", catchUp)
                c.number("items", position.catchUp.count)
                c.number("commands", s.commandsWritten)
                c.numbers("logic_ids", position.catchUp.map(\.logicID))
                c.numbers("skipped_logic_ids", position.skipped.map(\.logicID))
                c.close()
            } else {
                out.append("null")
            }
            o.key("master")
            var m = JSONObject(into: out)
            m.string("host", r.info?.host ?? "")
            m.number("port", r.info?.port ?? 0)
            m.close()
            o.strings("next_steps", steps)
            o.close()
            out.append("\n")
        }
        out.flush()
    }
}
