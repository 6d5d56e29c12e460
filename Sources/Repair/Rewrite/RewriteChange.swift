import BinlogFormat

/// Where an item of the *input* is.
public struct InputLocation: Hashable, Sendable, CustomStringConvertible {
    /// Its first record header.
    public var start: PhysicalPosition
    /// The byte after its last fragment.
    public var end: PhysicalPosition
    /// Its logic id (0 for v2 items, which have none).
    public var logicID: UInt64
    /// The `(filenum, offset)` stored in its header: the resume point before it (v3+ items).
    public var stored: ResumePoint?

    public init(start: PhysicalPosition, end: PhysicalPosition, logicID: UInt64, stored: ResumePoint?) {
        self.start = start
        self.end = end
        self.logicID = logicID
        self.stored = stored
    }

    public var description: String { "\(start) id=\(logicID)" }
}

/// Where the output put one command.
public struct OutputLocation: Hashable, Sendable, CustomStringConvertible {
    /// Binlog: the item's first record header. RESP: file 0 and the byte offset of the command.
    public var start: PhysicalPosition
    /// Binlog: the byte after the item; RESP: after the command.
    public var end: PhysicalPosition
    /// Binlog: the resume point stored in its header (the end of the item before). Nil for RESP.
    public var stored: ResumePoint?
    /// Binlog: its logic id. Nil for RESP.
    public var logicID: UInt64?
    /// The command's index in the output, from 0.
    public var index: Int

    public init(start: PhysicalPosition, end: PhysicalPosition, stored: ResumePoint?, logicID: UInt64?, index: Int) {
        self.start = start
        self.end = end
        self.stored = stored
        self.logicID = logicID
        self.index = index
    }

    public var description: String {
        if let logicID { return "\(start) id=\(logicID)" }
        return "#\(index) @\(start.offset)"
    }
}

/// One command written for an input item.
public struct OutputCommand: Sendable {
    public var arguments: [[UInt8]]
    public var location: OutputLocation

    public init(arguments: [[UInt8]], location: OutputLocation) {
        self.arguments = arguments
        self.location = location
    }
}

/// One thing a rewrite did differently from copying the input: the report lists every one.
public struct RewriteChange: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The item is not written: a duplicate, already applied, a padding item, no effect.
        case dropped
        /// Written elsewhere than where it was: an out-of-order range put back in order.
        case reordered
        /// Written as other commands: the absolute (replay-safe) form of a relative command.
        case replaced
        /// Written as logged although it is not replay-safe: its key's prior state is unknown.
        /// `--strict` refuses to write output when there is any.
        case flagged
        /// Written as logged, replay-safe, but its effect is not modelled (PFADD, GEOADD, a type
        /// conflict): the key is unknown from here on.
        case unmodelled
        /// Padding (full-sync filler, a zero tail) that is not carried over.
        case padding
        /// Undecodable bytes, skipped.
        case damage
        /// Items before the start point that a verified snapshot already holds (not written).
        case applied

        /// Its position in `allCases`.
        var index: UInt8 {
            switch self {
            case .dropped: 0
            case .reordered: 1
            case .replaced: 2
            case .flagged: 3
            case .unmodelled: 4
            case .padding: 5
            case .damage: 6
            case .applied: 7
            }
        }
    }

    public var kind: Kind
    /// The input item (nil for padding and damage, which have ``region`` instead).
    public var item: InputLocation?
    /// Padding and damage: the bytes concerned.
    public var region: (start: PhysicalPosition, end: PhysicalPosition)?
    /// The command as logged (nil for padding and damage).
    public var arguments: [[UInt8]]?
    /// What was written for it (empty when dropped).
    public var written: [OutputCommand]
    /// Why, in one sentence.
    public var reason: String
    /// The key concerned (flagged, unmodelled).
    public var key: [UInt8]?
    /// The other items involved: the earlier copy of a duplicate, the item a range was moved
    /// before.
    public var related: FindingRange?

    public init(
        kind: Kind, item: InputLocation?, arguments: [[UInt8]]?, written: [OutputCommand] = [], reason: String,
        key: [UInt8]? = nil, related: FindingRange? = nil,
        region: (start: PhysicalPosition, end: PhysicalPosition)? = nil
    ) {
        self.kind = kind
        self.item = item
        self.arguments = arguments
        self.written = written
        self.reason = reason
        self.key = key
        self.related = related
        self.region = region
    }
}

/// How the start point was chosen.
public enum RewriteStartSource: String, Sendable {
    /// The binlog starts at the beginning of history: the output starts at `0:0` from an empty
    /// dataset.
    case history
    /// The first record of a binlog that does not start at the beginning of history.
    case firstItem = "first-item"
    /// `--from`.
    case from
    /// A snapshot's corrected resume point.
    case snapshot
}

/// The totals of a rewrite and the resume point its output pairs with.
public struct RewriteSummary: Sendable {
    /// The resume point the output starts at: a replica (or a restored snapshot) at this point is
    /// served the output's first item next.
    public var resumePoint: ResumePoint
    public var startSource: RewriteStartSource
    /// Where the prior states of keys came from.
    public var seed: String
    /// The first input item written (nil: none).
    public var firstItem: InputLocation?
    /// Items read in the written range (the items before the start point not counted).
    public var itemsRead = 0
    /// Items written as logged.
    public var kept = 0
    /// Per change kind, how many.
    public var counts: [RewriteChange.Kind: Int] = [:]
    /// Commands written.
    public var commandsWritten = 0
    /// Bytes of padding and damage skipped.
    public var paddingBytes: UInt64 = 0
    public var damageBytes: UInt64 = 0
    /// The producer status written to the output manifest (binlog output).
    public var outputStatus: ProducerStatus?
    /// Bytes written (binlog: every write2file; RESP: the stream).
    public var outputBytes: UInt64 = 0
    /// Keys whose state the model holds at the end, and lists written as appends.
    public var trackedKeys = 0
    public var appendLists = 0
    /// Keys whose counter steps were kept out of the model (integer strings and hashes).
    public var counterKeys = 0
    /// Keys that needed state (counted in the analysis).
    public var statefulKeys = 0
    /// The `check` findings on the input that shaped the plan (duplicates, reorderings), and the
    /// rest for information.
    public var inputFindings: [Finding] = []
    /// Anything else worth knowing (moves not applied, snapshot remarks).
    public var remarks: [String] = []
    /// With ``RewriteOptions/stop``: the first item left out (nil: the log ended first).
    public var cutBefore: InputLocation?
    /// With ``RewriteOptions/stop``: its exec time.
    public var cutBeforeExecTime: UInt32?

    public func count(_ kind: RewriteChange.Kind) -> Int { counts[kind] ?? 0 }

    /// Whether any item is written as logged while not replay-safe.
    public var hasFlagged: Bool { count(.flagged) > 0 }
}
