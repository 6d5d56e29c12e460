import BinlogFormat

/// How far `diff` looks ahead and how much it remembers.
public struct DiffConfiguration: Sendable {
    /// Items read ahead on each side to re-align after a difference. Differences longer than this
    /// (a replica missing more items in a row) are still reported, less precisely.
    public var window = 16384
    /// Consecutive equal items that count as the two sides being aligned again. Fewer are accepted
    /// only when nothing longer is found (or a side ends).
    public var minimumResyncRun = 4
    /// Unmatched items kept per side to recognise reordered items across distant differences.
    public var pendingCapacity = 65536
    /// Recent replica items remembered to recognise duplicates (about 48 bytes each).
    public var duplicateWindow = 1 << 18
    /// The shortest run of replica items repeating earlier replica items that is called a range
    /// applied twice (an error). Shorter repeats, and a run of one command repeated, are warnings:
    /// the same command recurs in real workloads (`INCR k`, `LPOP q`), so one item says too little.
    public var minimumDuplicateRun = 3
    public var rules: [ReplicaApplyRule] = ReplicaApplyRule.all

    public init() {}
}

/// How the replica's first item was found in the master's binlog.
public enum DiffAlignment: String, Sendable {
    /// The master has an item with the replica's first item's stored position and content: the
    /// two binlogs share their layout (what Pika replication relies on, Docs/Format.md §R2).
    case position
    /// Found by content: the layouts differ (another `binlog-file-size`, #891 padding, …).
    case content
    /// No common item.
    case none
}

/// Totals of a diff.
public struct DiffSummary: Sendable {
    public var alignment: DiffAlignment = .none
    public var masterItems = 0
    public var replicaItems = 0
    /// Master items before the replica's first item (its full-sync snapshot holds them).
    public var masterBeforeReplica = 0
    /// Replica items before the master's first item (purged on the master).
    public var replicaBeforeMaster = 0
    public var common = 0
    public var missing = 0
    public var extra = 0
    public var duplicated = 0
    public var reordered = 0
    /// Expiry writes both sides have with different expiry times (``FindingKind/ttlDrift``).
    public var ttlDrift = 0
    /// Master items after the replica's last one.
    public var unapplied = 0
    public var firstUnapplied: FindingLocation?
    /// The first master item the replica does not have in step with the master (the first
    /// difference of the walk, else the first unapplied item): replaying the master's binlog from its
    /// stored position (``divergence``) brings the replica back to the master. Nil when the replica
    /// has every master item from its start, in order.
    public var divergenceItem: FindingLocation?
    /// The stored position of ``divergenceItem``: a resume point in the master's binlog.
    public var divergence: ResumePoint?
    public var replicaLast: FindingLocation?
    /// The master resume point the replica's binlog begins at: the stored position of the master
    /// item its first item matched (for a full-synced replica, the dump's recorded offset).
    public var replicaStart: ResumePoint?
    /// The replica's binlog begins with full-sync padding (up to this position): Pika full-synced
    /// it, or it was positioned there (`manifest_generator`, `prepare-replica`).
    public var replicaPaddingEnd: PhysicalPosition?
    /// The last master item the replica has (in step, or with another expiry time): the point its
    /// data stands at, as far as its binlog tells.
    public var lastMatchedMaster: FindingLocation?
    /// Its exec time (unix seconds), nil when it has no header.
    public var lastMatchedMasterExecTime: UInt32?
    public var masterFlushes = 0
    public var replicaFlushes = 0
}

/// The result of a diff: findings in master order (replica order for replica-only ones), totals.
public struct DiffReport: Sendable {
    public var findings: [Finding]
    public var summary: DiffSummary
    public var hasProblems: Bool { findings.contains { $0.severity > .info } }
}

/// Aligns a master's and a replica's binlog and reports where they differ.
///
/// Logic ids are not compared (v3.5.2+ replicas number their own items from 1 after a full sync,
/// Docs/Format.md §R2); items are compared by a hash of their command. The start is found by stored position
/// when both sides share a layout (the replica's first item stores the full-sync point, and the
/// master has an item storing the same), by content otherwise. Then both binlogs are walked in
/// step; at a difference both sides are read ahead (``DiffConfiguration/window``) to the nearest
/// point where they agree again, and the items skipped on each side are sorted out: present on both
/// sides in another order (reordered, with flushes called out), repeating items the replica already
/// has (duplicated), only on the master (missing), only on the replica (extra). Master items after
/// the replica's end are where the replica stopped. Memory is bounded by the window, the pending
/// sets and the duplicate window; nothing is kept per item beyond those.
public struct BinlogDiff {
    let configuration: DiffConfiguration
    var master: DiffSide
    var replica: DiffSide
    var findings: [Finding] = []
    var summary = DiffSummary()

    var mq = EntryQueue()
    var rq = EntryQueue()
    /// The common run from the alignment point to the first difference.
    var prefix: (master: FindingRange, replica: FindingRange, count: Int)? = nil
    var prefixOpen = true
    var lastCommon: (master: DiffEntry, replica: DiffEntry)? = nil
    /// Common items at other stored positions: replica locations, the master's as related.
    var positionRun: FindingRun? = nil
    var replicaWindow: RecentItemWindow
    /// For each item of ``replicaWindow`` (by sequence number), the master item it matched, if any:
    /// a duplicate's divergence is where the master logged the item the replica applied again.
    var masterOf: MasterReferenceRing
    var pendingMissing = PendingSet()
    var pendingExtra = PendingSet()
    /// Master items not on the replica; related: the replica's last common item before them.
    var missingRun: FindingRun? = nil
    /// Replica items not in the master's binlog; related: the master's last common item before them.
    var extraRun: FindingRun? = nil
    /// Replica items repeating earlier ones (related); key: the first one's hash.
    var duplicateRun: FindingRun? = nil
    /// Whether every item of ``duplicateRun`` repeats the same command.
    var duplicateOfOneCommand = true
    /// TTL drift: replica locations, the master's as related.
    var driftRun: FindingRun? = nil
    /// The runs' explanations (``FindingRun/detail``).
    var notes: [String] = [""]

    init(configuration: DiffConfiguration, master: @escaping () -> BinlogStream, replica: @escaping () -> BinlogStream)
    {
        self.configuration = configuration
        self.master = DiffSide(role: "master", rules: configuration.rules, makeStream: master)
        self.replica = DiffSide(role: "replica", rules: configuration.rules, makeStream: replica)
        replicaWindow = RecentItemWindow(capacity: configuration.duplicateWindow)
        masterOf = MasterReferenceRing(capacity: replicaWindow.capacity)
    }

    /// A master item: where it is and the resume point before it.
    struct MasterReference {
        var stored: ResumePoint
        var location: FindingLocation
    }

    /// Appends a replica item to the duplicate window, with the master item it matched.
    mutating func remember(_ r: DiffEntry, master: MasterReference?) {
        let seq = replicaWindow.append(entry(r))
        masterOf[seq] = master
    }

    static func reference(_ m: DiffEntry) -> MasterReference { MasterReference(stored: m.stored, location: m.location) }

    /// Compares two binlog directories.
    /// - Throws: ``BinlogIOError`` when a file cannot be read.
    public static func diff(
        master: BinlogDirectory, replica: BinlogDirectory, configuration: DiffConfiguration = DiffConfiguration()
    ) throws(BinlogIOError) -> DiffReport {
        try diff(master: { stream(of: master) }, replica: { stream(of: replica) }, configuration: configuration)
    }

    /// Compares two binlogs given as stream factories (each may be called more than once: the start
    /// is searched for again by content when positions do not match).
    public static func diff(
        master: @escaping () -> BinlogStream, replica: @escaping () -> BinlogStream,
        configuration: DiffConfiguration = DiffConfiguration()
    ) throws(BinlogIOError) -> DiffReport {
        var d = BinlogDiff(configuration: configuration, master: master, replica: replica)
        try d.run()
        return DiffReport(findings: d.findings, summary: d.summary)
    }

    static func stream(of directory: BinlogDirectory) -> BinlogStream {
        BinlogStream(
            files: directory.files.map { entry in
                BinlogStream.File(fileNumber: entry.fileNumber) { () throws(BinlogIOError) -> any ByteSource in
                    try entry.openSource()
                }
            })
    }

    // MARK: - Driver

    mutating func run() throws(BinlogIOError) {
        if try align() {
            try lockstep()
        }
        try drainCounts()
        finishRuns()
        for d in master.damage { addDamage(d, side: "master") }
        for d in replica.damage { addDamage(d, side: "replica") }
        summary.masterItems = master.itemCount
        summary.replicaItems = replica.itemCount
        summary.masterFlushes = master.flushes
        summary.replicaFlushes = replica.flushes
        summary.replicaLast = replica.last?.location
        summary.replicaPaddingEnd = replica.leadingPadding?.end
        summary.lastMatchedMaster = lastCommon?.master.location
        summary.lastMatchedMasterExecTime = lastCommon?.master.execTime
        findings.sort(by: Finding.byPosition)
    }

    /// Reads both sides to their ends so that the totals are complete.
    mutating func drainCounts() throws(BinlogIOError) {
        while try master.next() != nil {}
        while try replica.next() != nil {}
    }

    mutating func addDamage(_ d: Damage, side: String) {
        findings.append(
            Finding(
                kind: .damage, severity: .error, range: FindingRange(FindingLocation(d.start)), count: 1,
                message: "\(side): \(d.length) bytes at \(d.start) do not decode: \(d.reason)", byteCount: d.length))
    }

    /// Keeps a run explanation; returns its index for ``FindingRun/detail``.
    mutating func note(_ text: String) -> Int {
        notes.append(text)
        return notes.count - 1
    }
}
