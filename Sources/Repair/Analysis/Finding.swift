import BinlogFormat

/// How much a finding matters. `check` and `diff` exit 1 when anything above ``info`` is found.
public enum FindingSeverity: String, Hashable, Sendable, Comparable, CaseIterable {
    /// A fact worth knowing that is not a problem: a flush, full-sync padding, a zero tail.
    case info
    /// Something unusual that may be harmless: a time step backwards, files above the manifest.
    case warning
    /// Something wrong: lost, repeated or reordered items, damage, a manifest that does not match.
    case error

    private var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .error: 2
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// What a finding is about. The raw values are the `kind` field of the JSON output and are stable.
public enum FindingKind: String, Hashable, Sendable, CaseIterable {
    // Structure (from the decoder).
    /// Bytes that do not decode (`Damage`).
    case damage = "damage"
    /// A torn item at the very end of the binlog: a crash while it was being written.
    case tornTail = "torn-tail"
    /// Zeros to the end of a file: mmap preallocation of a live or killed server (Docs/Format.md §B12).
    case zeroTail = "zero-tail"
    /// Padding records: full-sync padding at a file start (Docs/Format.md §B10), or padding where none belongs.
    case padding = "padding"
    /// Zero-length items (v3.3.0–v3.3.5 failed SETNX, Docs/Format.md §B13): Pika's own reader stops there.
    case emptyItem = "empty-item"

    // Item sequence.
    /// An item's stored `filenum:offset` is not the end of the item before it (Docs/Format.md §B8).
    case chainBreak = "chain-break"
    /// Items that are not where their stored positions say (bytes moved, a file renamed).
    case positionSkew = "position-skew"
    /// Logic ids that never appear: items lost.
    case logicIDGap = "logic-id-gap"
    /// The same logic id on consecutive items.
    case logicIDRepeat = "logic-id-repeat"
    /// Logic ids going back to ones already used (not filling a gap).
    case logicIDRegression = "logic-id-regression"
    /// Logic ids starting again at 1 (a fresh binlog history).
    case logicIDRestart = "logic-id-restart"
    /// The term (header field 6, v3.3+) going down.
    case termRegression = "term-regression"
    /// Exec time going backwards by more than the tolerated clock skew.
    case timeRegression = "time-regression"
    /// A run of items repeating the commands of an earlier run.
    case duplicateRange = "duplicate-range"
    /// Items whose logic ids (or positions) come after items that should follow them.
    case outOfOrder = "out-of-order"
    /// A FLUSHDB/FLUSHALL item: an epoch boundary later steps reason about.
    case flush = "flush"
    /// An item a replica cannot apply (``ReplicaApplyRule``).
    case replicaCannotApply = "replica-cannot-apply"

    // Files and manifest.
    /// A hole in the `write2file<N>` numbering.
    case fileGap = "file-gap"
    /// Files numbered above the manifest's current file.
    case fileAboveManifest = "file-above-manifest"
    /// Both `write2file<N>` and `write2file<N>.lz4`.
    case duplicateFileNumber = "duplicate-file-number"
    /// A name that looks like a binlog file but is not one.
    case unrecognizedFile = "unrecognized-file"
    /// The manifest points before the end of the last item.
    case manifestLags = "manifest-lags"
    /// The manifest points past the last complete item.
    case manifestLeads = "manifest-leads"
    /// The manifest moved while the files were read (a server is writing the binlog).
    case manifestMoved = "manifest-moved"
    /// The manifest's logic id does not count the items.
    case manifestLogicID = "manifest-logic-id"
    /// The manifest names `(N+1):0` for a binlog ending at the end of file N (Docs/Format.md §S3).
    case manifestNextFile = "manifest-next-file"
    /// The manifest's current file is not in the directory.
    case manifestFileMissing = "manifest-file-missing"
    /// No manifest, an unreadable one, or one whose layout had to be guessed.
    case manifestMissing = "manifest-missing"
    case manifestUnreadable = "manifest-unreadable"
    case manifestLayout = "manifest-layout"
    case manifestSize = "manifest-size"
    case contextUnreadable = "context-unreadable"

    // diff.
    /// Master items before the replica's first item (normally in its full-sync snapshot).
    case replicaStart = "replica-start"
    /// The run both sides share from the alignment point.
    case commonPrefix = "common-prefix"
    /// Master items the replica does not have.
    case missing = "missing"
    /// Replica items the master does not have.
    case extra = "extra"
    /// Replica items applied in an order where a write crossed a FLUSHDB/FLUSHALL.
    case flushReorder = "flush-reorder"
    /// Where the replica's binlog ends while the master goes on.
    case replicaStopped = "replica-stopped"
    /// Items both sides have whose stored positions differ although the layouts were shared.
    case positionMismatch = "position-mismatch"
    /// The same expiry write with another expiry time on the replica (TTL drift).
    case ttlDrift = "ttl-drift"
    /// The two binlogs share no item.
    case noCommonItems = "no-common-items"
    /// `diff --snapshot`: an item the master's dump already held past its recorded offset, which
    /// the replica that full-synced from the dump applied again from the binlog.
    case appliedTwice = "applied-twice"
    /// `diff --snapshot`: the replica's binlog does not begin at the dump's recorded offset, so the
    /// dump is not the one it full-synced from (nothing can be said about double application).
    case snapshotNotReplicaStart = "snapshot-not-replica-start"
}

/// Where a finding begins or ends: an item's physical start (or a padding/damage record's), and the
/// logic id when the record is an item.
public struct FindingLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var fileNumber: FileNumber
    /// The physical start of the record (not its stored position).
    public var offset: UInt64
    /// The item's logic id; nil for padding, damage and file-level locations.
    public var logicID: UInt64?

    public init(fileNumber: FileNumber, offset: UInt64, logicID: UInt64? = nil) {
        self.fileNumber = fileNumber
        self.offset = offset
        self.logicID = logicID
    }

    public init(_ position: PhysicalPosition, logicID: UInt64? = nil) {
        self.init(fileNumber: position.fileNumber, offset: position.offset, logicID: logicID)
    }

    public var position: PhysicalPosition { PhysicalPosition(fileNumber: fileNumber, offset: offset) }

    public static func < (a: Self, b: Self) -> Bool {
        (a.fileNumber, a.offset, a.logicID ?? 0) < (b.fileNumber, b.offset, b.logicID ?? 0)
    }

    /// `7:1360 id=201`, or `7:0` without a logic id.
    public var description: String {
        if let logicID { return "\(fileNumber):\(offset) id=\(logicID)" }
        return "\(fileNumber):\(offset)"
    }
}

/// A first..last pair of locations.
public struct FindingRange: Hashable, Sendable, CustomStringConvertible {
    public var first: FindingLocation
    public var last: FindingLocation

    public init(first: FindingLocation, last: FindingLocation) {
        self.first = first
        self.last = last
    }

    public init(_ single: FindingLocation) { self.init(first: single, last: single) }

    public var description: String { first == last ? first.description : "\(first) .. \(last)" }
}

/// One thing `check` or `diff` found: a range of records with a kind, a severity and a sentence.
///
/// Findings are values (STYLE §3): a run reports every problem and never stops at the first.
/// Ranges are coalesced, so one spliced range is one finding with a count.
public struct Finding: Hashable, Sendable, CustomStringConvertible {
    public var kind: FindingKind
    public var severity: FindingSeverity
    /// The records concerned; nil only for findings about the directory as a whole (no manifest).
    public var range: FindingRange?
    /// How many items (or records, for padding and damage; files, for file findings) it covers.
    public var count: Int
    /// The other run: the earlier copy of a duplicate, the items jumped ahead of, the master's
    /// positions of reordered replica items.
    public var related: FindingRange?
    /// One line an operator understands.
    public var message: String
    /// Bytes covered, for padding, damage and zero tails.
    public var byteCount: UInt64?
    /// The ``ReplicaApplyRule/id`` for ``FindingKind/replicaCannotApply``.
    public var rule: String?
    /// The Pika versions a rule concerns.
    public var versions: String?
    /// Manifest values that would agree with the items (printed, never written).
    public var correctedManifest: ProducerStatus?

    public init(
        kind: FindingKind, severity: FindingSeverity, range: FindingRange?, count: Int,
        related: FindingRange? = nil, message: String, byteCount: UInt64? = nil, rule: String? = nil,
        versions: String? = nil, correctedManifest: ProducerStatus? = nil
    ) {
        self.kind = kind
        self.severity = severity
        self.range = range
        self.count = count
        self.related = related
        self.message = message
        self.byteCount = byteCount
        self.rule = rule
        self.versions = versions
        self.correctedManifest = correctedManifest
    }

    public var first: FindingLocation? { range?.first }
    public var last: FindingLocation? { range?.last }

    public var description: String {
        var s = "\(severity.rawValue) \(kind.rawValue)"
        if let range { s += " \(range)" }
        s += " x\(count)"
        if let related { s += " (related \(related))" }
        return s + ": " + message
    }

    /// Orders findings by where they start; directory-level findings (no range) first.
    public static func byPosition(_ a: Finding, _ b: Finding) -> Bool {
        switch (a.range?.first, b.range?.first) {
        case (nil, nil): return a.kind.rawValue < b.kind.rawValue
        case (nil, _): return true
        case (_, nil): return false
        case (let x?, let y?): return x != y ? x < y : a.kind.rawValue < b.kind.rawValue
        }
    }
}

extension Array where Element == Finding {
    /// The highest severity present, nil when empty.
    public var worstSeverity: FindingSeverity? { map(\.severity).max() }

    /// How many findings have each severity.
    public func count(_ severity: FindingSeverity) -> Int { filter { $0.severity == severity }.count }
}
