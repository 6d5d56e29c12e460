import BinlogFormat

/// Consecutive records being coalesced into one finding, for `check` and `diff` alike: where the
/// run begins and ends, how many it holds, the other range it relates to, and what its sentence
/// needs. Plain data (its text is an index into the producer's notes: ``BinlogChecker/details``,
/// ``BinlogDiff/notes``), so that checking and copying it per item costs no reference counting.
struct FindingRun {
    var first: FindingLocation
    var last: FindingLocation
    var count = 1
    /// The other run: the earlier copy of a duplicate, the master's side of a replica run, …
    var related: FindingRange? = nil
    /// Index of the run's explanation in its producer's notes.
    var detail = 0
    /// What the next record must share to join (a rule, a position the run jumped from, a hash).
    var key: UInt64 = 0
    var byteCount: UInt64 = 0
    /// Where the run's last record ends, for runs of adjacent records.
    var end: PhysicalPosition? = nil
    /// The sequence number of its last item (`diff`'s item index), for runs of consecutive items.
    var lastIndex = 0

    /// A run of one record at `location`.
    init(
        first: FindingLocation, last: FindingLocation, count: Int = 1, related: FindingRange? = nil, detail: Int = 0,
        key: UInt64 = 0, byteCount: UInt64 = 0, end: PhysicalPosition? = nil, lastIndex: Int = 0
    ) {
        self.first = first
        self.last = last
        self.count = count
        self.related = related
        self.detail = detail
        self.key = key
        self.byteCount = byteCount
        self.end = end
        self.lastIndex = lastIndex
    }

    /// A run of the one item at `location`, number `index`, whose counterpart is at `related`.
    init(_ location: FindingLocation, index: Int, related: FindingLocation? = nil, detail: Int = 0, key: UInt64 = 0) {
        self.init(
            first: location, last: location, related: related.map { FindingRange($0) }, detail: detail, key: key,
            lastIndex: index)
    }

    var range: FindingRange { FindingRange(first: first, last: last) }

    /// Whether item number `index` comes right after the run's last.
    func isFollowed(by index: Int) -> Bool { lastIndex + 1 == index }

    /// The run with one more record at `location` (item number `index`; its counterpart at
    /// `related`).
    func extended(to location: FindingLocation, index: Int? = nil, related: FindingLocation? = nil) -> FindingRun {
        var run = self
        run.last = location
        run.count += 1
        if let index { run.lastIndex = index }
        if let related { run.related?.last = related }
        return run
    }
}

extension Optional where Wrapped == FindingRun {
    /// Adds item number `index` at `location` to the open run when it follows the run's last;
    /// otherwise opens `fresh` and returns the run it ends, for the caller to report.
    mutating func add(_ location: FindingLocation, index: Int, fresh: FindingRun) -> FindingRun? {
        if let run = self, run.isFollowed(by: index) {
            self = run.extended(to: location, index: index)
            return nil
        }
        let ended = self
        self = fresh
        return ended
    }
}
