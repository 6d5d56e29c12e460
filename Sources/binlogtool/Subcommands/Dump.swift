import ArgumentParser
import BinlogFormat
import BinlogToolCore
import Repair

#if canImport(Glibc)
import Glibc
#endif

extension DumpFormat: ExpressibleByArgument {}
extension RewriteDialect: ExpressibleByArgument {}

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
        if runsInParallel(resolved, filter: filter, jobs: jobs.count) {
            return try runParallel(resolved, filter: filter, jobs: jobs.count)
        }
        var stream = BinlogStream(files: resolved.streamFiles, start: filter.startPosition)
        let out = OutputBuffer()
        var formatter = RecordFormatter(format: format, dialect: dialect, out: out)
        formatter.maxValueBytes = maxValueBytes
        var statistics = BinlogStatistics()
        var damageCount = 0
        var progress = Progress(files: resolved.files)
        // Start-position check: some record must start or end exactly there.
        var startConfirmed = filter.startPosition == nil
        var previousStart: PhysicalPosition? = nil
        var previousEnd: PhysicalPosition? = nil
        // Read once: property-wrapper getters are far too slow for the per-record loop, and an
        // empty filter need not be consulted per record.
        let stats = self.stats
        let selectsByContent = filter.selectsByContent
        let hasWindow = filter.startPosition != nil || filter.stopPosition != nil
        let limit = self.limit ?? .max
        var selectedItems: UInt64 = 0
        formatter.rawBytes = { position, count in
            readRawBytes(resolved.path(of: position.fileNumber), at: position.offset, count: count)
        }

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
                if hasWindow && filter.isPastWindow(start) { break }
                // One switch that takes the record apart: an item is handed on without copying
                // or destroying the whole record.
                switch consume record {
                case .item(let item):
                    if !hasWindow && !selectsByContent || filter.matches(item) {
                        if stats {
                            statistics.add(item)
                        } else {
                            formatter.write(item)
                            out.flushIfNeeded()
                        }
                        selectedItems += 1
                    }
                case let other:
                    if case .damage = other { damageCount += 1 }
                    // Padding and damage are selected by position only; a filter on content
                    // leaves them out.
                    if (!hasWindow || filter.inWindow(start)) && !selectsByContent {
                        if stats {
                            statistics.add(other)
                        } else {
                            formatter.write(other)
                            out.flushIfNeeded()
                        }
                    }
                }
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
            writeStatistics(statistics, trailers: stream.trailerCount, input: resolved, to: out)
        }
        out.flush()
        if out.failed { throw ToolError(.ioError, "writing the output failed") }
        if damageCount > 0 {
            printError("binlogtool: \(damageCount) damaged range(s) found and skipped; everything else was decoded.")
            throw ExitCode(1)
        }
    }

    func writeStatistics(_ s: BinlogStatistics, trailers: Int, input: BinlogInput, to out: OutputBuffer) {
        let manifest = input.manifestPosition
        var agreement: ManifestAgreement? = nil
        // The manifest describes the whole binlog: compared with filtered items it would read as
        // leading or lagging for nothing.
        let compared = makeFilter().selectsEverything
        if let m = manifest, compared {
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

/// Reads up to `count` bytes of a file at `offset` (for showing damaged bytes).
func readRawBytes(_ path: String?, at offset: UInt64, count: Int) -> [UInt8] {
    guard let path, count > 0 else { return [] }
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: count)
    let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
    return n > 0 ? Array(bytes.prefix(n)) : []
}

func fileSize(_ path: String) -> UInt64? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return UInt64(st.st_size)
}

/// Parses ISO 8601 (`2026-11-20T23:40:21Z`, `…+02:00`, `2026-11-20 23:40:21`, `2026-11-20`) or
/// unix seconds. Times without a zone are in the local time zone (`TZ`), as mysqlbinlog reads
/// them; output always prints UTC (`Z`).
func parseTime(_ text: String) -> UInt32? {
    if let v = UInt32(text) { return v }
    let b = Array(text.utf8)
    func num(_ from: Int, _ len: Int) -> Int? {
        guard from + len <= b.count else { return nil }
        var v = 0
        for i in from..<(from + len) {
            guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
            v = v * 10 + Int(b[i] - 0x30)
        }
        return v
    }
    guard let y = num(0, 4), b.count >= 10, b[4] == UInt8(ascii: "-"), let mo = num(5, 2), b[7] == UInt8(ascii: "-"),
        let d = num(8, 2), (1...12).contains(mo), (1...31).contains(d)
    else { return nil }
    var h = 0, mi = 0, s = 0
    var i = 10
    if b.count > 10 {
        guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "), let hh = num(11, 2), b.count > 13, b[13] == UInt8(ascii: ":"),
            let mm = num(14, 2)
        else { return nil }
        h = hh; mi = mm; i = 16
        if b.count > 16 && b[16] == UInt8(ascii: ":") {
            guard let ss = num(17, 2) else { return nil }
            s = ss; i = 19
            if i < b.count && b[i] == UInt8(ascii: ".") {
                i += 1
                while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
            }
        }
    }
    var zone: Int? = nil
    if i < b.count {
        if b[i] == UInt8(ascii: "Z") && i + 1 == b.count {
            zone = 0
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), let zh = num(i + 1, 2) {
            var zm = 0
            if i + 3 < b.count { guard b[i + 3] == UInt8(ascii: ":"), let m = num(i + 4, 2), i + 6 == b.count else { return nil }; zm = m }
            else if i + 3 != b.count { return nil }
            zone = (zh * 3600 + zm * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
        } else {
            return nil
        }
    }
    guard h < 24, mi < 60, s < 61 else { return nil }
    let t: Int64
    if let zone {
        t = UTCCalendar.unixSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: s) - Int64(zone)
    } else {
        t = localUnixSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
    }
    guard t >= 0, t <= Int64(UInt32.max) else { return nil }
    return UInt32(t)
}

/// Unix seconds of a wall-clock time in the local time zone (`TZ`, else /etc/localtime); for a
/// time a daylight-saving change skips or repeats, the C library's choice. (-1 when it cannot be
/// represented, which the callers' range check refuses.)
func localUnixSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64 {
    var t = tm()
    t.tm_year = Int32(year - 1900)
    t.tm_mon = Int32(month - 1)
    t.tm_mday = Int32(day)
    t.tm_hour = Int32(hour)
    t.tm_min = Int32(minute)
    t.tm_sec = Int32(second)
    t.tm_isdst = -1
    let v = mktime(&t)
    return Int64(v)
}
