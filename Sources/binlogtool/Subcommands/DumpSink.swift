import BinlogFormat
import BinlogToolCore
import Repair

/// What `dump` does with each record once it is past the start check: select it by window and
/// content, then count it into the statistics (`--stats`) or format it. The one-thread loop and
/// each `--jobs` worker feed it the same way, so both select and write alike.
struct DumpSink {
    var formatter: RecordFormatter
    let out: OutputBuffer
    let filter: RecordFilter
    let stats: Bool
    // Read once: an empty filter need not be consulted per record.
    let selectsByContent: Bool
    let hasWindow: Bool
    var statistics = BinlogStatistics()
    var damageCount = 0

    init(formatter: RecordFormatter, out: OutputBuffer, filter: RecordFilter, stats: Bool) {
        self.formatter = formatter
        self.out = out
        self.filter = filter
        self.stats = stats
        selectsByContent = filter.selectsByContent
        hasWindow = filter.startPosition != nil || filter.stopPosition != nil
    }

    /// Whether a record starting at `start` is past `--stop-position` (nothing after it is dumped).
    @inline(__always)
    func isPastWindow(_ start: PhysicalPosition) -> Bool { hasWindow && filter.isPastWindow(start) }

    /// Takes one record that starts at `start`; returns whether it was an item the filter selected.
    @inline(__always)
    mutating func take(_ record: consuming BinlogRecord, start: PhysicalPosition) -> Bool {
        // One switch that takes the record apart: an item is handed on without copying or
        // destroying the whole record.
        switch consume record {
        case .item(let item):
            guard !hasWindow && !selectsByContent || filter.matches(item) else { return false }
            if stats {
                statistics.add(item)
            } else {
                formatter.write(item)
                out.flushIfNeeded()
            }
            return true
        case let other:
            if case .damage = other { damageCount += 1 }
            // Padding and damage are selected by position only; a filter on content leaves them out.
            if (!hasWindow || filter.inWindow(start)) && !selectsByContent {
                if stats {
                    statistics.add(other)
                } else {
                    formatter.write(other)
                    out.flushIfNeeded()
                }
            }
            return false
        }
    }
}
