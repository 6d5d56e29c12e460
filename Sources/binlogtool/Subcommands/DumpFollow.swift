import ArgumentParser
import BinlogFormat
import BinlogToolCore
import Repair

#if canImport(Glibc)
import Glibc
#endif

/// The signal that ended `dump --follow` (0 while it runs). Written by the handler only.
nonisolated(unsafe) private var followSignal: Int32 = 0

extension Dump {
    /// Milliseconds between two looks at a live binlog.
    static let followPollMilliseconds: UInt32 = 200

    /// `dump --follow`: ``BinlogFollower`` hands on every record once it is final; each goes
    /// through the same filters and formats as a plain dump, and the output is flushed after
    /// every look. Ends at SIGINT/SIGTERM (or `--limit`, `--stop-position`, a closed output),
    /// then prints the summary (`--stats`: the statistics) and exits as dump does.
    func runFollow() throws {
        guard input.paths.count == 1, isDirectory(input.paths[0]) else {
            throw ToolError(.usage, "--follow reads a binlog directory (or a log root with --db), not files")
        }
        let resolved = try input.resolve()
        let filter = makeFilter()
        var follower = BinlogFollower(path: input.paths[0], db: input.db, start: filter.startPosition)
        let out = OutputBuffer()
        var formatter = RecordFormatter(format: format, dialect: dialect, out: out)
        formatter.maxValueBytes = maxValueBytes
        formatter.rawBytes = { position, count in
            readRawBytes(resolved.path(of: position.fileNumber), at: position.offset, count: count)
        }
        var statistics = BinlogStatistics()
        var damageCount = 0
        var items: UInt64 = 0
        var selectedItems: UInt64 = 0
        var firstItem: (PhysicalPosition, UInt64)? = nil
        var lastItem: (PhysicalPosition, UInt64)? = nil
        let limit = self.limit ?? .max
        let stats = self.stats
        let selectsByContent = filter.selectsByContent
        let hasWindow = filter.startPosition != nil || filter.stopPosition != nil
        var ended: String? = nil

        followSignal = 0
        signal(SIGINT) { followSignal = $0 }
        signal(SIGTERM) { followSignal = $0 }
        // A parent may have started us with them blocked (Foundation's Process does): follow
        // must hear them.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &stopSignals, nil)
        defer {
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        while ended == nil {
            let result: (count: Int, stopped: Bool)
            do {
                result = try follower.poll { record in
                    let start = record.start
                    if hasWindow && filter.isPastWindow(start) {
                        ended = "--stop-position reached"
                        return false
                    }
                    switch record {
                    case .item(let item):
                        items += 1
                        let id = item.envelope == .pikaItem ? item.header.logicID : 0
                        if firstItem == nil { firstItem = (item.start, id) }
                        lastItem = (item.end, id)
                        if !hasWindow && !selectsByContent || filter.matches(item) {
                            if stats { statistics.add(item) } else { formatter.write(item) }
                            selectedItems += 1
                        }
                    case .padding, .damage:
                        if case .damage = record { damageCount += 1 }
                        if (!hasWindow || filter.inWindow(start)) && !selectsByContent {
                            if stats { statistics.add(record) } else { formatter.write(record) }
                        }
                    }
                    out.flushIfNeeded()
                    if selectedItems == limit { ended = "--limit reached" }
                    if out.failed { ended = "the output was closed" }
                    return ended == nil
                }
            } catch {
                out.flush()
                switch error {
                case .directory(let e): throw ToolError(e)
                case .read(let e): throw ToolError(e)
                case .startNotABoundary(let next, let previous):
                    throw ToolError(.usage, notABoundaryMessage(filter.startPosition!, next: next, previous: previous))
                }
            }
            out.flush()
            if out.failed { ended = "the output was closed" }
            if ended != nil || result.stopped { break }
            if followSignal != 0 { break }
            // A signal cuts the wait short.
            usleep(Self.followPollMilliseconds * 1000)
            if followSignal != 0 { break }
        }
        if followSignal != 0 { ended = followSignal == SIGINT ? "SIGINT" : "SIGTERM" }

        if stats {
            StatisticsFormatter(format: format, out: out)
                .write(statistics, trailers: 0, input: resolved, comparesManifest: makeFilter().selectsEverything)
        }
        out.flush()
        var summary = "binlogtool: followed \(resolved.directory.path ?? input.paths[0]) until \(ended ?? "the end"): \(items) item\(items == 1 ? "" : "s")"
        if let (start, firstID) = firstItem, let (end, lastID) = lastItem {
            summary += ", logic ids \(firstID)..\(lastID), \(start)..\(end)"
        }
        if selectedItems != items { summary += ", \(selectedItems) selected" }
        summary += "; next record at \(follower.position.map { "\($0)" } ?? "the start")"
        if damageCount > 0 { summary += "; \(damageCount) damaged range(s) skipped" }
        printError(summary)
        if out.failed && ended != "the output was closed" { throw ToolError(.ioError, "writing the output failed") }
        if damageCount > 0 { throw ExitCode(1) }
    }
}
