import ArgumentParser
import BinlogFormat
import BinlogToolCore
import Repair

#if canImport(Glibc)
import Glibc
#endif

struct Rewrite: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a corrected, idempotent binlog (or RESP stream) and print the resume offset it pairs with.",
        discussion: """
            Reads the binlog twice and never writes into it. Pass 1 runs check's analysis: duplicated ranges \
            (written again with their headers) are dropped, out-of-order ranges are moved back where their logic \
            ids belong. Pass 2 replays the log through a model of the Redis types and writes every relative or \
            counter command as the absolute form of its result (INCR/APPEND → set/pksetexat, HINCRBY → hset, \
            ZINCRBY → zadd, list operations → the resulting list or push + ltrim to its length, SPOP → srem, store \
            commands → del + contents, relative expiries → absolute), so that replaying the output once, twice, or \
            after part of it is already applied gives the same data.

            Start point: the binlog's first item (a binlog starting at write2file0, logic id 1 starts from an empty \
            dataset); --from FILENUM:OFFSET (a resume point; on a binlog starting at the beginning of history the \
            items before it are replayed to know the keys); or --snapshot: verify-snapshot's corrected resume point, \
            dropping the items the snapshot already holds and reading prior key states from its RocksDB data \
            (read-only); a dump that does not belong to the binlog (its offset not a resume point of it, or items \
            before the offset missing from its data) is refused unless --force, which prints the risk. A key \
            whose prior state is unknown is written as logged and flagged; --strict writes nothing then. With --replica REPLICA_LOG, the input is a master's binlog: diff finds where the \
            replica first departs from it (a duplicated, missing, extra or reordered item, TTL drift, or its end) \
            and the master's binlog is rewritten from there: replaying the output on the replica brings every key \
            the master writes back to the master's value (writes only the replica made are not undone).

            --format binlog writes a Pika binlog directory (files, stored positions, logic ids, manifest consistent; \
            it starts at the resume offset's file with SetProducerStatus padding up to the offset). --format resp \
            writes a command stream for redis-cli --pipe (Redis forms by default; --out - for stdout). The output is \
            built under a hidden name beside --out and renamed into place; an existing --out is refused unless \
            --force. The report (--report FILE, JSON Lines) lists every change with old and new positions; \
            --dry-run writes only the report (to stdout when no --report is given). See Docs/Rewrite.md.

            Examples:
              binlogtool rewrite log/log_db0 --out fixed/log_db0
              binlogtool rewrite /data/pika/log --db db0 --snapshot dump/20261120/db0 --out fixed --report r.jsonl
              binlogtool rewrite log/log_db0 --from 7:262165 --format resp --out - | redis-cli --pipe
              binlogtool rewrite log/log_db0 --out fixed --dry-run | jq 'select(.kind != "replaced")'
              binlogtool rewrite master/log/log_db0 --replica replica/log/log_db0 --format resp --out fix.resp

            Exit codes: 0 written, every item replay-safe; 1 written with flagged items or skipped damage (see the \
            report), or with --strict: flagged items, nothing written, or --snapshot names a dump that does not belong to \
            the binlog (without --force), nothing written; 64 bad command line (also --from not a resume \
            point, --out existing or overlapping an input); 65 input is not a Pika binlog, unreadable snapshot; \
            66 input missing; 69 --snapshot without RocksDB; 70 internal error; 74 I/O error.
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup var jobs: JobsOption

    @Option(help: "Where to write: a new directory (--format binlog) or file (--format resp; - for stdout).")
    var out: String?

    @Option(help: "A bgsave dump directory (dump/<date>/dbN with its info): start at its corrected resume point and seed keys from its data.")
    var snapshot: String?

    @Option(help: "Start at this resume point, FILENUM:OFFSET (an item end: the next item's stored position).")
    var from: String?

    @Option(help: "End the output after this logic id: the first later item and everything after it are left out (a cut at an item boundary, printed with its position).")
    var toLogicId: UInt64?

    @Option(help: "End the output before the first item executed at or after this time (ISO 8601, local time without a zone, or unix seconds; redis-check-aof --truncate-to-timestamp).")
    var stopTime: String?

    @Option(
        help:
            "A replica's binlog directory (or log root): the input is its master's binlog, rewritten from where the replica first departs from it."
    )
    var replica: String?

    @Option(help: "Output: binlog (a Pika binlog directory) or resp (a replayable command stream).")
    var format: RewriteFormat = .binlog

    @Option(help: "Form of the commands written: pika (default: Pika's own forms, pksetexat; for a binlog or a Pika) or redis (SET … EXAT; for a Redis, with --format resp).")
    var dialect: RewriteDialect = .pika

    @Option(help: "Write the report (JSON Lines: every change, then a summary) to this file.")
    var report: String?

    @Flag(help: "Report full arguments (by default arguments over 256 bytes are cut to 64, argv to 64 arguments).")
    var reportFullArguments = false

    @Flag(help: "Analyse and report, write no output.")
    var dryRun = false

    @Flag(help: "Write nothing when any item stays not replay-safe (prior state unknown); exit 1.")
    var strict = false

    @Flag(
        help:
            "Replace an existing --out (only an earlier output: a binlog directory or a file); with --snapshot, also rewrite from a dump verify-snapshot does not accept (the risk is printed)."
    )
    var force = false

    @Option(help: "Pika binlog-file-size for the output's file rolls, in bytes.")
    var binlogFileSize: Int64 = 100 * 1024 * 1024

    /// Refused (exit 64): it dropped ranges by content alone, which loses a workload's repeated writes.
    @Flag(help: .hidden)
    var dropContentDuplicates = false

    @Flag(help: "Write every changed list whole, never as push + ltrim.")
    var noListAppendForms = false

    @Option(help: "Shortest run of repeated items treated as a duplicated range.")
    var minDuplicateRun: Int = 3

    @Option(help: "Pika version that wrote the snapshot (3.3 … 3.5.5, 4.0.0, 4.0.1); detected by default.")
    var pikaVersion: String?

    @Option(help: "Pika 4.0 default-slot-num (which instance holds a key).")
    var slotCount: Int = 1024

    @Option(help: "Items verify-snapshot examines past the snapshot's offset (it reads further when needed).")
    var window: Int = 64

    func validate() throws {
        if out == nil && !dryRun { throw ValidationError("--out is required (or --dry-run)") }
        if from != nil && (snapshot != nil || replica != nil) {
            throw ValidationError("--from goes alone: give one of --snapshot, --from and --replica (or --replica with --snapshot)")
        }
        if replica != nil && snapshot != nil && format != .resp {
            throw ValidationError("--replica with --snapshot repairs a replica's data: it writes a RESP stream (--format resp)")
        }
        if let t = stopTime, parseTime(t) == nil { throw ValidationError("--stop-time: cannot read '\(t)' as ISO 8601 or unix seconds") }
        if toLogicId != nil && stopTime != nil { throw ValidationError("give one cut: --to-logic-id or --stop-time") }
        if (toLogicId != nil || stopTime != nil) && replica != nil && snapshot != nil {
            throw ValidationError("--replica with --snapshot resets keys to the master's state: it takes no cut")
        }
        if let from, parseFileOffsetPair(from) == nil {
            throw ValidationError("--from: expected FILENUM:OFFSET, got '\(from)'")
        }
        if out == "-" && format != .resp { throw ValidationError("--out - (stdout) is for --format resp only") }
        if format == .binlog && dialect == .redis {
            throw ValidationError("--dialect redis writes Redis-only forms; a binlog takes --dialect pika")
        }
        if binlogFileSize < 1024 || binlogFileSize > 1 << 30 {
            throw ValidationError("--binlog-file-size must be between 1024 and 1073741824 (Pika's limits)")
        }
        if dropContentDuplicates {
            throw ValidationError(
                "--drop-content-duplicates is refused: a repeat of commands alone does not prove a range was applied "
                    + "twice (a workload repeats itself, and dropping it loses writes: a counter ends short). Ranges "
                    + "written again with their stored headers are dropped without it; to find what a replica "
                    + "really repeats, run rewrite MASTER_LOG --replica REPLICA_LOG")
        }
        if minDuplicateRun < 2 { throw ValidationError("--min-duplicate-run must be at least 2") }
        if slotCount < 1 { throw ValidationError("--slot-count must be at least 1") }
        if window < 1 { throw ValidationError("--window must be at least 1") }
        if let v = pikaVersion, PikaStorageVersion(release: v) == nil {
            throw ValidationError("--pika-version: '\(v)' is not a release this tool reads (3.3 … 3.5.5, 4.0.0, 4.0.1)")
        }
    }

    func run() throws {
        let resolved = try input.resolve()
        let inputs =
            resolved.files.map(\.path) + [resolved.directory.path].compactMap { $0 } + [snapshot, replica].compactMap { $0 }
        if let out, out != "-" {
            try checkOutputPath(out, option: "--out", against: inputs)
            // Refuse an existing output before any reading (StagedOutput checks again at the end).
            var st = stat()
            if !dryRun && !force && lstat(out, &st) == 0 {
                throw ToolError(.usage, "\(out): already exists; pass --force to replace it, or choose another path")
            }
        }

        var options = RewriteOptions()
        options.dialect = dialect
        // A rewrite already keeps two threads busy in pass 1 (the checker beside the key
        // classification), and in pass 2 when it writes a binlog directory (the output beside the
        // rewriting): decoding ahead on a third pays only when there are more cores than that.
        // Every other output is written by the rewriting thread itself: pass 2 decodes ahead on
        // the other cores.
        options.jobs = max(1, jobs.count - 1)
        if dryRun || out == "-" || format == .resp { options.rewriteDecodeWorkers = jobs.count - 1 }
        options.listAppendForms = !noListAppendForms
        options.check.minimumDuplicateRun = minDuplicateRun
        if let toLogicId { options.cut = .afterLogicID(toLogicId) }
        if let t = stopTime.flatMap(parseTime) { options.cut = .beforeExecTime(t) }
        var recorded: ResumePoint? = nil
        if let from, let (file, offset) = parseFileOffsetPair(from) {
            options.start = .resumePoint(ResumePoint(fileNumber: file, offset: offset))
        }
        var startNote: String? = nil
        if let replica, let snapshot {
            return try repairFullSyncedReplica(replica, snapshot: snapshot, master: resolved.directory)
        }
        if let replica {
            guard let (point, note) = try divergence(of: replica, from: resolved.directory) else {
                printError(
                    "binlogtool: \(replica): the replica has every master item from its start, in order, with the same "
                        + "expiry times: nothing to rewrite; nothing written")
                return
            }
            options.start = .resumePoint(point)
            startNote = note
        }
        if let snapshot {
            let (seed, info) = try seedFromSnapshot(snapshot, binlog: resolved.directory)
            options.start = .snapshot(seed)
            recorded = info
        }

        // Where things go.
        var staged: StagedOutput? = nil
        let output: any RewriteOutput
        do {
            if dryRun {
                output =
                    format == .binlog
                    ? BinlogRewriteOutput(output: DiscardingBinlogOutput(), binlogFileSize: UInt64(binlogFileSize))
                    : RESPRewriteOutput(descriptor: -1, path: "<dry run>", closeWhenDone: false)
            } else if out == "-" {
                output = RESPRewriteOutput(descriptor: 1, path: "<stdout>", closeWhenDone: false)
            } else {
                let s = try StagedOutput(target: out!, kind: format == .binlog ? .directory : .file, replaceExisting: force)
                staged = s
                switch format {
                case .binlog:
                    // Written and fsynced on another thread while the rewrite goes on.
                    output = BinlogRewriteOutput(
                        output: BackgroundBinlogOutput(try BinlogDirectoryOutput(directory: s.staging)),
                        binlogFileSize: UInt64(binlogFileSize))
                case .resp:
                    output = RESPRewriteOutput(descriptor: s.releaseDescriptor(), path: out!, closeWhenDone: true)
                }
            }
        } catch let e as RewriteError {
            throw ToolError(rewrite: e)
        } catch let e as BinlogWriteError {
            throw ToolError(.ioError, e.description)
        }

        // The report: a staged file, or stdout for a dry run without --report.
        // The descriptor is ours to fsync and close (once: see StagedOutput.releaseDescriptor); on
        // the error paths it stays open until the process exits, since the buffer may still flush.
        var reportStage: StagedOutput? = nil
        var reportBuffer: OutputBuffer? = nil
        var reportDescriptor: Int32 = -1
        if let report {
            do {
                let s = try StagedOutput(target: report, kind: .file, replaceExisting: true)
                reportStage = s
                reportDescriptor = s.releaseDescriptor()
                reportBuffer = OutputBuffer(fd: reportDescriptor)
            } catch {
                staged?.abandon()
                throw ToolError(rewrite: error)
            }
        } else if dryRun {
            reportBuffer = OutputBuffer(fd: 1)
        }
        let formatter = reportBuffer.map { RewriteReportFormatter(out: $0, fullArguments: reportFullArguments) }

        var progress = Progress()
        let rewriter = BinlogRewriter(directory: resolved.directory, options: options)
        let summary: RewriteSummary
        do {
            summary = try rewriter.rewrite(
                into: output, progress: { _, bytes in progress.tick(bytes) },
                report: formatter.map { f in { f.write($0) } })
        } catch {
            progress.finish()
            staged?.abandon()
            reportStage?.abandon()
            throw ToolError(rewrite: error)
        }
        progress.finish()

        let refused = strict && summary.hasFlagged
        let inputName = resolved.directory.path ?? input.paths.joined(separator: " ")
        formatter?.writeSummary(
            summary, input: inputName, output: out, format: format.rawValue, dryRun: dryRun, strictRefused: refused)
        do {
            if let reportStage, let reportBuffer {
                reportBuffer.flush()
                if reportBuffer.failed { throw RewriteError.output(path: report!, reason: "writing the report failed") }
                if fsync(reportDescriptor) != 0 {
                    throw RewriteError.output(path: report!, reason: "fsync failed: \(String(cString: strerror(errno)))")
                }
                let closed = close(reportDescriptor) == 0
                reportDescriptor = -1
                if !closed { throw RewriteError.output(path: report!, reason: "close failed") }
                try reportStage.commit()
            }
            if refused {
                staged?.abandon()
            } else {
                try staged?.commit()
            }
        } catch let e as RewriteError {
            reportStage?.abandon()
            staged?.abandon()
            throw ToolError(rewrite: e)
        }

        printSummary(summary, recorded: recorded, startNote: startNote, refused: refused)
        if refused {
            printError(
                "binlogtool: --strict: \(summary.count(.flagged)) item(s) are not replay-safe (prior state unknown); nothing written"
                    + (report.map { "; see \($0)" } ?? ""))
            throw ExitCode(1)
        }
        if summary.hasFlagged || summary.count(.damage) > 0 { throw ExitCode(1) }
    }

    private func printSummary(_ s: RewriteSummary, recorded: ResumePoint?, startNote: String?, refused: Bool) {
        var lines: [String] = []
        let target = out.map { $0 == "-" ? "stdout" : $0 } ?? "nothing (dry run)"
        let wrote = dryRun ? "dry run: nothing written" : refused ? "refused (--strict): nothing written" : "wrote \(target)"
        lines.append("\(wrote) (\(format.rawValue))")
        var resume = "resume offset: \(s.resumePoint)"
        switch s.startSource {
        case .history: resume += " (the start of history: an empty dataset)"
        case .firstItem: resume += " (the input's first item)"
        case .from: resume += " (\(startNote ?? "--from"))"
        case .snapshot:
            resume += " (the snapshot's corrected resume point"
            if let recorded, recorded != s.resumePoint { resume += "; its info says \(recorded)" }
            resume += ")"
        }
        lines.append(resume)
        lines.append("seed: \(s.seed)")
        lines.append(
            "items: \(s.itemsRead) read, \(s.kept) written as logged, \(s.count(.replaced)) replaced, "
                + "\(s.count(.dropped)) dropped, \(s.count(.reordered)) reordered, \(s.count(.flagged)) flagged, "
                + "\(s.count(.unmodelled)) unmodelled"
                + (s.count(.applied) > 0 ? ", \(s.count(.applied)) already applied before the start" : ""))
        let state = dryRun ? " (not written)" : refused ? " (discarded)" : ""
        var written = "output\(state): \(s.commandsWritten) commands, \(s.outputBytes) bytes"
        if let m = s.outputStatus { written += ", manifest \(m.fileNumber):\(m.offset) logic_id \(m.logicID)" }
        lines.append(written)
        if s.paddingBytes > 0 || s.damageBytes > 0 {
            lines.append("skipped: \(s.count(.padding)) padding regions (\(s.paddingBytes) bytes), \(s.count(.damage)) damaged (\(s.damageBytes) bytes)")
        }
        if toLogicId != nil || stopTime != nil {
            let point = toLogicId.map { "after logic id \($0)" } ?? "before \(stopTime!)"
            if let cut = s.cutBefore {
                let exec = s.cutBeforeExecTime.map { ", exec time \(UTCCalendar.isoText(Int64($0)))" } ?? ""
                lines.append(
                    "cut \(point): at \(cut.start), before logic id \(cut.logicID)\(exec); it and everything after it "
                        + "left out (the input is untouched)")
            } else {
                lines.append("cut \(point): the log ends first; nothing left out")
            }
        }
        for r in s.remarks { lines.append("note: \(r)") }
        if replica != nil && !dryRun && !refused && format == .resp {
            lines.append(
                "next: apply it to the replica while it is not replicating, then attach it at the master's end "
                    + "(the stream brings it there): Docs/Replica-Repair.md, \"A replica that departed otherwise\"")
        }
        let text = lines.joined(separator: "\n") + "\n"
        if out == "-" || (dryRun && report == nil) {
            printError(text.dropLast().description)
        } else {
            let buffer = OutputBuffer(fd: 1)
            buffer.append(text)
            buffer.flush()
        }
    }
}

extension ToolError {
    init(rewrite error: RewriteError) {
        switch error {
        case .read(let e): self.init(e)
        case .write(let e):
            if case .outputExists = e { self.init(.usage, e.description) } else { self.init(.ioError, e.description) }
        case .output(let path, let reason):
            self.init(.ioError, "\(path): \(reason)")
        case .outputRefused(let path, let why):
            // The flag hint lives here, with the flags.
            self.init(.usage, "\(path): \(why)" + (why == .exists ? "; pass --force to replace it, or choose another path" : ""))
        case .notAResumePoint: self.init(.usage, error.description)
        case .emptyBinlog: self.init(.dataError, error.description)
        case .snapshot(let why): self.init(.dataError, "reading the snapshot failed: \(why)")
        }
    }
}
