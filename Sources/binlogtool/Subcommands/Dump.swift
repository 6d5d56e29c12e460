import ArgumentParser
import BinlogFormat
import BinlogToolCore
import Repair

#if canImport(Glibc)
import Glibc
#endif

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode binlog files: every item with its position, logic id, term, time and command.",
        discussion: """
            Positions are FILENUM:OFFSET. An item line shows its physical start and end, its logic id, \
            term and exec time (always UTC, marked Z), and `at=`, the position stored in its header (the end of the item \
            before it: Pika's resume point). Damaged bytes are reported as DAMAGE records and skipped; \
            decoding goes on after them.

            Examples:
              binlogtool dump log/log_db0
              binlogtool dump /data/pika/log --db db0 --follow --start-position 7:262165
              binlogtool dump /data/pika/log --db db0 --format json --command incr --command hincrby
              binlogtool dump log/log_db0 --start-position 7:262165 --format resp | redis-cli --pipe
              binlogtool dump log/log_db0 --stats

            \(exitCodeHelp)
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup var jobs: JobsOption

    @Option(help: "Output: text (one line per item), json (JSON Lines), resp (replayable commands), hex.")
    var format: DumpFormat = .text

    @Option(help: "With --format resp: pika (default) writes commands as Pika logged them, for a Pika; redis turns Pika-only forms (pksetexat) into Redis commands, for a Redis.")
    var dialect: RewriteDialect = .pika

    @Option(help: "Only records starting at or after FILENUM:OFFSET (must be a record boundary or an item end).")
    var startPosition: String?

    @Option(help: "Only records starting before FILENUM:OFFSET.")
    var stopPosition: String?

    @Option(help: "Only items with exec time at or after this (ISO 8601 like 2026-11-20T23:40:21Z, or unix seconds; a time without a zone is local time, TZ).")
    var startTime: String?

    @Option(help: "Only items with exec time before this (ISO 8601 or unix seconds; without a zone: local time, TZ).")
    var stopTime: String?

    @Option(help: "Only items with logic id at or above this.")
    var fromLogicId: UInt64?

    @Option(help: "Only items with logic id at or below this.")
    var toLogicId: UInt64?

    @Option(help: "Only this command (case-insensitive; repeat for several).")
    var command: [String] = []

    @Option(help: "Only items whose key (first argument) matches this glob (*, ?, [a-z], \\x).")
    var key: String?

    @Option(help: "Stop after this many items (those the filters select; like pg_waldump -n).")
    var limit: UInt64?

    @Option(help: ArgumentHelp(
        "In text output, print at most this many bytes of each argument; a longer one is shown as its quoted start, then ...[N bytes] with its full length (0: print every byte).",
        valueName: "bytes"))
    var maxValueBytes: Int = RecordFormatter.defaultMaxValueBytes

    @Flag(help: "Follow a live binlog (pg_waldump --follow, mysqlbinlog --stop-never): print items as Pika appends them, across file rolls, until SIGINT or SIGTERM, then a summary. The live file's zero-filled tail is not written yet, never damage.")
    var follow = false

    @Flag(help: "Print totals instead of items: counts, bytes, padding, damage, commands, per-file ranges, manifest check.")
    var stats = false

    func validate() throws {
        if let s = startPosition, parseFileOffsetPair(s) == nil {
            throw ValidationError("--start-position must be FILENUM:OFFSET, got '\(s)'")
        }
        if let s = stopPosition, parseFileOffsetPair(s) == nil {
            throw ValidationError("--stop-position must be FILENUM:OFFSET, got '\(s)'")
        }
        if let t = startTime, parseTime(t) == nil { throw ValidationError("--start-time: cannot read '\(t)' as ISO 8601 or unix seconds") }
        if let t = stopTime, parseTime(t) == nil { throw ValidationError("--stop-time: cannot read '\(t)' as ISO 8601 or unix seconds") }
        if let why = makeFilter().emptyRange { throw ValidationError(why + ": the range selects nothing") }
        if limit == 0 { throw ValidationError("--limit must be at least 1") }
        if maxValueBytes < 0 { throw ValidationError("--max-value-bytes must be 0 (no cut) or more") }
    }

    func makeFilter() -> RecordFilter {
        var f = RecordFilter()
        if let s = startPosition, let (n, o) = parseFileOffsetPair(s) { f.startPosition = PhysicalPosition(fileNumber: n, offset: o) }
        if let s = stopPosition, let (n, o) = parseFileOffsetPair(s) { f.stopPosition = PhysicalPosition(fileNumber: n, offset: o) }
        f.startTime = startTime.flatMap(parseTime)
        f.stopTime = stopTime.flatMap(parseTime)
        f.fromLogicID = fromLogicId
        f.toLogicID = toLogicId
        f.commands = command.map { Array($0.lowercased().utf8) }
        f.keyPattern = key.map { Array($0.utf8) }
        return f
    }

    func run() throws {
        if follow { return try runFollow() }
        let resolved = try input.resolve()
        let filter = makeFilter()
        if let sp = filter.startPosition, let last = resolved.files.last, sp.fileNumber > last.fileNumber {
            throw ToolError(
                .usage,
                "start position \(sp) is beyond the last binlog file, write2file\(last.fileNumber) (\(last.path))")
        }
        if runsInParallel(filter: filter, jobs: jobs.count), try runParallel(resolved, filter: filter, jobs: jobs.count) {
            return
        }
        var stream = BinlogStream(files: resolved.streamFiles, start: filter.startPosition)
        let out = OutputBuffer()
        var formatter = RecordFormatter(format: format, dialect: dialect, out: out)
        formatter.maxValueBytes = maxValueBytes
        formatter.rawBytes = { position, count in
            readRawBytes(resolved.path(of: position.fileNumber), at: position.offset, count: count)
        }
        var sink = DumpSink(formatter: formatter, out: out, filter: filter, stats: stats)
        var progress = Progress(files: resolved.files)
        // Start-position check: some record must start or end exactly there.
        var startConfirmed = filter.startPosition == nil
        var previousStart: PhysicalPosition? = nil
        var previousEnd: PhysicalPosition? = nil
        // Read once: property-wrapper getters are far too slow for the per-record loop.
        let limit = self.limit ?? .max
        var selectedItems: UInt64 = 0

        do {
            while let record = try stream.next() {
                let start = record.start
                if let sp = filter.startPosition, !startConfirmed {
                    if start < sp {
                        previousStart = start
                        previousEnd = record.end
                        continue
                    }
                    guard start == sp || previousEnd == sp || isEndOfFile(sp, resolved: resolved) else {
                        throw ToolError(.usage, notABoundaryMessage(sp, next: record.start, previous: previousStart.flatMap { s in previousEnd.map { (s, $0) } }))
                    }
                    startConfirmed = true
                }
                if sink.isPastWindow(start) { break }
                if sink.take(record, start: start) { selectedItems += 1 }
                if progress.enabled { progress.tick(stream.bytesConsumed) }
                if selectedItems == limit { break }
            }
        } catch let error as BinlogIOError {
            out.flush()
            throw ToolError(error)
        }
        if let sp = filter.startPosition, !startConfirmed, previousEnd != sp, !isEndOfFile(sp, resolved: resolved) {
            out.flush()
            throw ToolError(.usage, "start position \(sp) is past the last record (\(previousEnd.map { "\($0)" } ?? "no records")) of the binlog")
        }
        progress.finish()
        if stats {
            StatisticsFormatter(format: format, out: out)
                .write(sink.statistics, trailers: stream.trailerCount, input: resolved, comparesManifest: makeFilter().selectsEverything)
        }
        out.flush()
        if out.failed { throw ToolError(.ioError, "writing the output failed") }
        if sink.damageCount > 0 {
            printError("binlogtool: \(sink.damageCount) damaged range(s) found and skipped; everything else was decoded.")
            throw ExitCode(1)
        }
    }

    private func isEndOfFile(_ p: PhysicalPosition, resolved: BinlogInput) -> Bool {
        guard let path = resolved.path(of: p.fileNumber), let size = fileSize(path) else { return false }
        return p.offset == size
    }

    func notABoundaryMessage(
        _ sp: PhysicalPosition, next: PhysicalPosition, previous: (start: PhysicalPosition, end: PhysicalPosition)?
    ) -> String {
        let m = "start position \(sp) is not a record boundary"
        guard let previous else {
            return m + ": it lies inside a record that began in an earlier block; the next record starts at \(next)"
        }
        if sp < previous.end {
            return m + ": it lies inside the record \(previous.start)..\(previous.end); use \(previous.start) or \(previous.end)"
        }
        return m + ": it lies in the block trailer between \(previous.end) and \(next); use one of those"
    }
}
