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
    var positionRun: (replica: FindingRange, master: FindingRange, count: Int, example: String)? = nil
    var replicaWindow: RecentItemWindow
    /// For each item of ``replicaWindow`` (by sequence number), the master item it matched, if any:
    /// a duplicate's divergence is where the master logged the item the replica applied again.
    var masterOf: MasterReferenceRing
    var pendingMissing = PendingSet()
    var pendingExtra = PendingSet()
    var missingRun: (range: FindingRange, count: Int, lastIndex: Int, context: FindingLocation?)? = nil
    var extraRun: (range: FindingRange, count: Int, lastIndex: Int, context: FindingLocation?)? = nil
    var duplicateRun: (range: FindingRange, related: FindingRange, count: Int, lastIndex: Int, firstHash: UInt64, oneCommand: Bool, name: CommandName)? = nil
    var driftRun: (range: FindingRange, related: FindingRange, count: Int, lastIndex: Int, example: String)? = nil

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

    // MARK: - Alignment

    /// Finds the replica's first item in the master (or the master's in the replica), leaving the
    /// matched entries at the front of the queues. Returns false when nothing is common.
    mutating func align() throws(BinlogIOError) -> Bool {
        guard let r0 = try replica.next() else {
            findings.append(
                Finding(
                    kind: .noCommonItems, severity: .error, range: nil, count: 0,
                    message: "the replica's binlog has no item to compare"
                        + (replica.leadingPadding.map {
                            " (only padding up to \($0.end), a full sync with no write since)"
                        } ?? "")))
            return false
        }
        rq.append(r0)
        var skipped = SkipTracker()
        while let m = try master.next() {
            if ItemGeometry.sameResumePoint(m.stored, r0.stored) || m.stored == r0.stored {
                if m.hash == r0.hash {
                    mq.append(m)
                    summary.alignment = .position
                    summary.replicaStart = m.stored
                    reportMasterBefore(skipped, replicaFirst: r0)
                    return true
                }
                break
            }
            if m.stored > r0.stored { break }
            skipped.add(m)
        }
        // By content: the replica's first items somewhere in the master.
        let k = try Self.fill(&rq, side: &replica, to: configuration.minimumResyncRun)
        let pattern = (0..<k).map { rq[$0].hash }
        master.rewind()
        if let (skip, matched) = try Self.scan(&master, for: pattern) {
            for e in matched { mq.append(e) }
            summary.alignment = .content
            summary.replicaStart = matched.first?.stored
            reportMasterBefore(skip, replicaFirst: r0)
            return true
        }
        // The master's first items somewhere in the replica (the master purged older files).
        master.rewind()
        mq = EntryQueue()
        let km = try Self.fill(&mq, side: &master, to: configuration.minimumResyncRun)
        guard km > 0 else {
            findings.append(
                Finding(
                    kind: .noCommonItems, severity: .error, range: nil, count: 0,
                    message: "the master's binlog has no item"))
            return false
        }
        let masterPattern = (0..<km).map { mq[$0].hash }
        replica.rewind()
        rq = EntryQueue()
        if let (skip, matched) = try Self.scan(&replica, for: masterPattern) {
            for e in matched { rq.append(e) }
            summary.alignment = .content
            if skip.count > 0, let first = skip.first, let last = skip.last {
                summary.replicaBeforeMaster = skip.count
                findings.append(
                    Finding(
                        kind: .replicaStart, severity: .info, range: FindingRange(first: first, last: last),
                        count: skip.count,
                        message:
                            "the replica has \(plural(skip.count, "item")) before the master's first item "
                            + "\(mq[0].location): the master no longer has them (purged)"))
            }
            return true
        }
        findings.append(
            Finding(
                kind: .noCommonItems, severity: .error, range: FindingRange(r0.location), count: 0,
                message:
                    "no item is common to the two binlogs: the replica's first items (from \(r0.location), stored "
                    + "\(r0.stored)) are nowhere in the master, and the master's first items are not in the replica"))
        return false
    }

    struct SkipTracker {
        var count = 0
        var first: FindingLocation? = nil
        var last: FindingLocation? = nil

        mutating func add(_ e: DiffEntry) {
            count += 1
            if first == nil { first = e.location }
            last = e.location
        }
    }

    mutating func reportMasterBefore(_ skipped: SkipTracker, replicaFirst r0: DiffEntry) {
        guard skipped.count > 0, let first = skipped.first, let last = skipped.last else { return }
        summary.masterBeforeReplica = skipped.count
        var start = "the replica's binlog starts at \(r0.location)"
        if r0.stored != ResumePoint(fileNumber: r0.location.fileNumber, offset: r0.location.offset) {
            start += " (stored \(r0.stored))"
        }
        if let p = replica.leadingPadding {
            start += " after full-sync padding up to \(p.end)"
        }
        findings.append(
            Finding(
                kind: .replicaStart, severity: .info, range: FindingRange(first: first, last: last),
                count: skipped.count,
                related: FindingRange(r0.location),
                message:
                    "\(start): the master's \(plural(skipped.count, "item")) before it reached the replica "
                    + "through its full-sync snapshot, not its binlog"))
    }

    /// Appends items of `side` to `queue` until it holds `n`; returns how many it holds.
    static func fill(_ queue: inout EntryQueue, side: inout DiffSide, to n: Int) throws(BinlogIOError) -> Int {
        while queue.count < n, let e = try side.next() { queue.append(e) }
        return min(queue.count, n)
    }

    /// Reads `side` until the last `pattern.count` items have the pattern's hashes.
    static func scan(_ side: inout DiffSide, for pattern: [UInt64]) throws(BinlogIOError) -> (SkipTracker, [DiffEntry])?
    {
        guard !pattern.isEmpty else { return nil }
        var ring: [DiffEntry] = []
        var skipped = SkipTracker()
        while let e = try side.next() {
            ring.append(e)
            if ring.count > pattern.count { skipped.add(ring.removeFirst()) }
            if ring.count == pattern.count && zip(ring, pattern).allSatisfy({ $0.hash == $1 }) {
                return (skipped, ring)
            }
        }
        return nil
    }

    // MARK: - Walking in step

    mutating func lockstep() throws(BinlogIOError) {
        while true {
            if mq.isEmpty, let e = try master.next() { mq.append(e) }
            if rq.isEmpty, let e = try replica.next() { rq.append(e) }
            if mq.isEmpty || rq.isEmpty { break }
            if mq[0].hash == rq[0].hash {
                common(mq.popFirst()!, rq.popFirst()!)
                continue
            }
            if let me = mq[0].expiry, let re = rq[0].expiry, me.subject == re.subject {
                // The same write of an expiry: the same time in another form is common, another
                // time is TTL drift. Either way both sides go on in step.
                let m = mq.popFirst()!
                let r = rq.popFirst()!
                if me.milliseconds == re.milliseconds {
                    common(m, r)
                } else {
                    if summary.divergence == nil { noteDivergence(m) }
                    closePrefix()
                    addDrift(m, r, me, re)
                }
                continue
            }
            if summary.divergence == nil { noteDivergence(mq[0]) }
            closePrefix()
            _ = try Self.fill(&mq, side: &master, to: configuration.window)
            _ = try Self.fill(&rq, side: &replica, to: configuration.window)
            if let (a, b) = resync() {
                region(masterOnly: mq.removeFirst(a), replicaOnly: rq.removeFirst(b))
            } else if rq.count < configuration.window && replica.exhausted {
                region(masterOnly: [], replicaOnly: rq.removeFirst(rq.count))
            } else if mq.count < configuration.window && master.exhausted {
                region(masterOnly: mq.removeFirst(mq.count), replicaOnly: [])
            } else {
                region(masterOnly: mq.removeFirst(mq.count), replicaOnly: rq.removeFirst(rq.count))
            }
        }
        closePrefix()
        // The replica ended first: the rest of the master is what it never applied.
        if !rq.isEmpty || !replica.exhausted {
            var rest = rq.removeFirst(rq.count)
            while let e = try replica.next() { rest.append(e) }
            region(masterOnly: [], replicaOnly: rest)
        }
        try unappliedTail()
    }

    mutating func common(_ m: DiffEntry, _ r: DiffEntry) {
        summary.common += 1
        remember(r, master: Self.reference(m))
        if prefixOpen {
            if let p = prefix {
                prefix = (
                    FindingRange(first: p.master.first, last: m.location),
                    FindingRange(first: p.replica.first, last: r.location), p.count + 1
                )
            } else {
                prefix = (FindingRange(m.location), FindingRange(r.location), 1)
            }
        }
        if summary.alignment == .position && !ItemGeometry.sameResumePoint(m.stored, r.stored) {
            if let p = positionRun, lastCommon.map({ $0.replica.index + 1 == r.index }) == true {
                positionRun = (
                    FindingRange(first: p.replica.first, last: r.location),
                    FindingRange(first: p.master.first, last: m.location), p.count + 1, p.example
                )
            } else {
                closePositionRun()
                positionRun = (
                    FindingRange(r.location), FindingRange(m.location), 1,
                    "master stores \(m.stored), replica \(r.stored)"
                )
            }
        } else {
            closePositionRun()
        }
        lastCommon = (m, r)
    }

    func entry(_ e: DiffEntry) -> RecentItemWindow.Entry {
        RecentItemWindow.Entry(
            hash: e.hash, offset: e.location.offset, logicID: e.location.logicID ?? 0,
            fileNumber: e.location.fileNumber, hasLogicID: e.location.logicID != nil)
    }

    mutating func closePrefix() {
        guard prefixOpen else { return }
        prefixOpen = false
        guard let p = prefix else { return }
        let how =
            summary.alignment == .position
            ? "aligned by stored position: both binlogs share their layout"
            : "aligned by content: the stored positions differ (another binlog-file-size, or different full-sync padding)"
        findings.append(
            Finding(
                kind: .commonPrefix, severity: .info, range: p.master, count: p.count, related: p.replica,
                message:
                    "\(plural(p.count, "item")) are the same on both sides, master \(p.master) = replica \(p.replica) "
                    + "(\(how))"))
    }

    mutating func closePositionRun() {
        guard let p = positionRun else { return }
        positionRun = nil
        findings.append(
            Finding(
                kind: .positionMismatch, severity: .warning, range: p.replica, count: p.count, related: p.master,
                message:
                    "\(plural(p.count, "common item")) \(p.count == 1 ? "has" : "have") other stored positions on the replica (first: \(p.example)): "
                    + "the layouts diverged, and Pika's offset-based replication (acks, TrySync) breaks there"))
    }

    /// The nearest pair of queue positions from which both sides agree again: the smallest a + b
    /// with at least ``DiffConfiguration/minimumResyncRun`` equal items (or all that remain when a
    /// side ends), else the smallest a + b with one equal item.
    func resync() -> (Int, Int)? {
        var positions: [UInt64: [Int]] = [:]
        positions.reserveCapacity(rq.count)
        for j in 0..<rq.count { positions[rq[j].hash, default: []].append(j) }
        func run(_ a: Int, _ b: Int, _ limit: Int) -> Int {
            var t = 0
            while t < limit && a + t < mq.count && b + t < rq.count && mq[a + t].hash == rq[b + t].hash { t += 1 }
            return t
        }
        func strong(_ a: Int, _ b: Int) -> Bool {
            let need = configuration.minimumResyncRun
            let t = run(a, b, need)
            if t >= need { return true }
            // A run cut short only by the end of a side that has ended is as good as it gets.
            return (a + t == mq.count && master.exhausted) || (b + t == rq.count && replica.exhausted)
        }
        var best: (Int, Int)? = nil
        var weak: (Int, Int)? = nil
        for a in 0..<mq.count {
            if let (x, y) = best, a >= x + y { break }
            guard let candidates = positions[mq[a].hash] else { continue }
            for b in candidates {
                if let (x, y) = best, a + b >= x + y { break }
                if strong(a, b) {
                    best = (a, b)
                    break
                }
                if weak == nil || a + b < weak!.0 + weak!.1 { weak = (a, b) }
            }
        }
        return best ?? weak
    }

    // MARK: - Differences

    /// Sorts out the items skipped on each side between two points of agreement.
    mutating func region(masterOnly: [DiffEntry], replicaOnly: [DiffEntry]) {
        var pairs: [(m: DiffEntry, r: DiffEntry)] = []
        var byHash: [UInt64: [Int]] = [:]
        for (i, m) in masterOnly.enumerated() { byHash[m.hash, default: []].append(i) }
        var matchedMaster = Set<Int>()
        for r in replicaOnly {
            var counterpart: MasterReference? = nil
            defer { remember(r, master: counterpart) }
            if var list = byHash[r.hash], !list.isEmpty {
                let i = list.removeFirst()
                byHash[r.hash] = list
                matchedMaster.insert(i)
                pairs.append((masterOnly[i], r))
                counterpart = Self.reference(masterOnly[i])
                continue
            }
            if let m = pendingMissing.take(r.hash) {
                pairs.append((m.entry, r))
                counterpart = Self.reference(m.entry)
                continue
            }
            if let seq = replicaWindow.mostRecent(r.hash) {
                addDuplicate(r, earlier: replicaWindow.entry(seq).location)
                // Applied again: the replica's data departs where the master logged it.
                counterpart = masterOf[seq]
                if let c = counterpart { noteDivergence(stored: c.stored, location: c.location) }
                continue
            }
            let item = PendingSet.Item(entry: r, context: lastCommon?.master.location)
            if let evicted = pendingExtra.add(item, capacity: configuration.pendingCapacity) { addExtra(evicted) }
        }
        for (i, m) in masterOnly.enumerated() where !matchedMaster.contains(i) {
            if let r = pendingExtra.take(m.hash) {
                pairs.append((m, r.entry))
                continue
            }
            let item = PendingSet.Item(entry: m, context: lastCommon?.replica.location)
            if let evicted = pendingMissing.add(item, capacity: configuration.pendingCapacity) { addMissing(evicted) }
        }
        if !pairs.isEmpty { addReorder(pairs) }
    }

    mutating func addReorder(_ pairs: [(m: DiffEntry, r: DiffEntry)]) {
        summary.reordered += pairs.count
        let replicaSorted = pairs.map(\.r).sorted { $0.index < $1.index }
        let masterSorted = pairs.map(\.m).sorted { $0.index < $1.index }
        let range = FindingRange(first: replicaSorted.first!.location, last: replicaSorted.last!.location)
        let related = FindingRange(first: masterSorted.first!.location, last: masterSorted.last!.location)
        // Writes that changed sides of a flush.
        var crossing: [String] = []
        for p in pairs where p.m.isFlush {
            var before = 0
            var after = 0
            for q in pairs where q.m.index != p.m.index {
                let masterBefore = q.m.index < p.m.index
                let replicaBefore = q.r.index < p.r.index
                if masterBefore && !replicaBefore { before += 1 }
                if !masterBefore && replicaBefore { after += 1 }
            }
            if before + after > 0 {
                var s = "\(p.m.name) at master \(p.m.location) is at replica \(p.r.location)"
                if before > 0 { s += " ahead of \(plural(before, "item")) the master logged before it" }
                if after > 0 {
                    s += (before > 0 ? " and" : "") + " behind \(plural(after, "item")) the master logged after it"
                }
                crossing.append(s)
            }
        }
        for p in pairs where !p.m.isFlush && p.m.flushesBefore != p.r.flushesBefore {
            if !pairs.contains(where: { $0.m.isFlush }) {
                crossing.append(
                    "\(p.m.name) at master \(p.m.location) follows \(p.m.flushesBefore) flush(es) there but "
                        + "\(p.r.flushesBefore) at replica \(p.r.location)")
            }
        }
        if crossing.isEmpty {
            findings.append(
                Finding(
                    kind: .outOfOrder, severity: .error, range: range, count: pairs.count, related: related,
                    message:
                        "\(plural(pairs.count, "item")) are in another order on the replica than on the master "
                        + "(master \(related)): applied out of order"))
        } else {
            findings.append(
                Finding(
                    kind: .flushReorder, severity: .error, range: range, count: pairs.count, related: related,
                    message:
                        "\(plural(pairs.count, "item")) are in another order on the replica across a FLUSHDB/FLUSHALL: "
                        + crossing.prefix(3).joined(separator: "; ")
                        + (crossing.count > 3 ? "; …" : "")
                        + ": writes crossed the flush boundary, so the replica keeps data the master erased or "
                        + "erased data the master keeps"))
        }
    }

    mutating func noteDivergence(_ m: DiffEntry) {
        noteDivergence(stored: m.stored, location: m.location)
    }

    /// The divergence is the earliest master item found to have a different effect on the replica.
    mutating func noteDivergence(stored: ResumePoint, location: FindingLocation) {
        if let d = summary.divergenceItem, d.position <= location.position { return }
        summary.divergence = stored
        summary.divergenceItem = location
    }

    mutating func addDrift(_ m: DiffEntry, _ r: DiffEntry, _ me: ExpiryStamp, _ re: ExpiryStamp) {
        summary.ttlDrift += 1
        remember(r, master: Self.reference(m))
        lastCommon = (m, r)
        closePositionRun()
        if var run = driftRun, run.lastIndex + 1 == r.index {
            run.range.last = r.location
            run.related.last = m.location
            run.count += 1
            run.lastIndex = r.index
            driftRun = run
            return
        }
        closeDriftRun()
        let example =
            "\(m.name) \(me.key): master \(me.timeText) at \(m.location), replica \(re.timeText) at \(r.location), "
            + me.shift(to: re)
        driftRun = (FindingRange(r.location), FindingRange(m.location), 1, r.index, example)
    }

    mutating func closeDriftRun() {
        guard let run = driftRun else { return }
        driftRun = nil
        findings.append(
            Finding(
                kind: .ttlDrift, severity: .error, range: run.range, count: run.count, related: run.related,
                message:
                    "\(plural(run.count, "expiry write")) set another expiry time on the replica than on the master "
                    + "(first: \(run.example)): TTL drift, the keys expire at other times on the two sides"))
    }

    mutating func addDuplicate(_ r: DiffEntry, earlier: FindingLocation) {
        summary.duplicated += 1
        if var run = duplicateRun, run.lastIndex + 1 == r.index {
            run.range.last = r.location
            run.related.last = earlier
            run.count += 1
            run.lastIndex = r.index
            run.oneCommand = run.oneCommand && r.hash == run.firstHash
            duplicateRun = run
            return
        }
        closeDuplicateRun()
        duplicateRun = (FindingRange(r.location), FindingRange(earlier), 1, r.index, r.hash, true, r.name)
    }

    mutating func closeDuplicateRun() {
        guard let run = duplicateRun else { return }
        duplicateRun = nil
        let items = run.count == 1 ? "1 replica item repeats the item" : "\(run.count) replica items repeat the items"
        if run.count >= configuration.minimumDuplicateRun && !run.oneCommand {
            findings.append(
                Finding(
                    kind: .duplicateRange, severity: .error, range: run.range, count: run.count, related: run.related,
                    message:
                        "\(items) the replica already has at \(run.related); the master has them once: the replica "
                        + "applied them twice (re-received after a resume)"))
        } else {
            let what = run.oneCommand ? "the same \(run.name) command" : "\(run.count) commands"
            findings.append(
                Finding(
                    kind: .duplicateRange, severity: .warning, range: run.range, count: run.count, related: run.related,
                    message:
                        "\(items) the replica already has at \(run.related), where the master has \(what) once here: "
                        + "too short a repeat to tell a re-received item from a command the workload sends again; "
                        + "if it was applied twice the replica departs from the master at the repeated key"))
        }
    }

    mutating func addMissing(_ item: PendingSet.Item) {
        summary.missing += 1
        let e = item.entry
        if var run = missingRun, run.lastIndex + 1 == e.index {
            run.range.last = e.location
            run.count += 1
            run.lastIndex = e.index
            missingRun = run
            return
        }
        closeMissingRun()
        missingRun = (FindingRange(e.location), 1, e.index, item.context)
    }

    mutating func closeMissingRun() {
        guard let run = missingRun else { return }
        missingRun = nil
        let place = run.context.map { " (they belong after replica \($0))" } ?? ""
        findings.append(
            Finding(
                kind: .missing, severity: .error, range: run.range, count: run.count,
                related: run.context.map { FindingRange($0) },
                message: "\(plural(run.count, "master item")) \(run.range) are not on the replica\(place)"))
    }

    mutating func addExtra(_ item: PendingSet.Item) {
        summary.extra += 1
        let e = item.entry
        if var run = extraRun, run.lastIndex + 1 == e.index {
            run.range.last = e.location
            run.count += 1
            run.lastIndex = e.index
            extraRun = run
            return
        }
        closeExtraRun()
        extraRun = (FindingRange(e.location), 1, e.index, item.context)
    }

    mutating func closeExtraRun() {
        guard let run = extraRun else { return }
        extraRun = nil
        let place = run.context.map { " (they come after what is master \($0))" } ?? ""
        findings.append(
            Finding(
                kind: .extra, severity: .error, range: run.range, count: run.count,
                related: run.context.map { FindingRange($0) },
                message: "\(plural(run.count, "replica item")) \(run.range) are not in the master's binlog\(place)"))
    }

    /// Master items after the replica's end.
    mutating func unappliedTail() throws(BinlogIOError) {
        var first: DiffEntry? = nil
        var last: DiffEntry? = nil
        var count = 0
        var pairs: [(m: DiffEntry, r: DiffEntry)] = []
        func take(_ m: DiffEntry) {
            if let r = pendingExtra.take(m.hash) {
                pairs.append((m, r.entry))
                return
            }
            count += 1
            if first == nil { first = m }
            last = m
        }
        while let m = mq.popFirst() { take(m) }
        while let m = try master.next() { take(m) }
        if !pairs.isEmpty { addReorder(pairs) }
        guard let first, let last else { return }
        if summary.divergence == nil { noteDivergence(first) }
        summary.unapplied = count
        summary.firstUnapplied = first.location
        let replicaLast = lastCommon?.replica
        var message = "the replica stopped"
        if let r = replica.last {
            message += " after \(r.location) (\(r.name))"
        }
        message += "; the first master item it never applied is \(first.name) at \(first.location)"
        message += ", followed by \(plural(count - 1, "more master item")) up to \(last.location)"
        var severity = FindingSeverity.warning
        if let rule = first.rule {
            let r = configuration.rules[rule]
            severity = .error
            message += ". That item is one replicas cannot apply (\(r.id), \(r.versions)): \(r.explanation)"
        } else if let r = replicaLast, r.isFlush {
            severity = .error
            message += ". The replica's last common item is a flush: a replica stuck right after FLUSHDB/FLUSHALL"
        } else {
            message += " (the replica lags or was stopped here)"
        }
        findings.append(
            Finding(
                kind: .replicaStopped, severity: severity,
                range: FindingRange(first: first.location, last: last.location),
                count: count, related: replica.last.map { FindingRange($0.location) }, message: message,
                rule: first.rule.map { configuration.rules[$0].id },
                versions: first.rule.map { configuration.rules[$0].versions }))
    }

    mutating func finishRuns() {
        closePrefix()
        closePositionRun()
        for item in pendingMissing.drain() { addMissing(item) }
        closeMissingRun()
        for item in pendingExtra.drain() { addExtra(item) }
        closeExtraRun()
        closeDuplicateRun()
        closeDriftRun()
    }
}

/// Unmatched items of one side, oldest first, findable by hash, bounded.
struct PendingSet {
    struct Item {
        var entry: DiffEntry
        /// The other side's last common item before it.
        var context: FindingLocation?
    }

    private var items: [Item?] = []
    private var head = 0
    private var base = 0
    private var live = 0
    private var byHash: [UInt64: [Int]] = [:]

    /// Adds an item; returns the oldest unmatched one when over capacity.
    mutating func add(_ item: Item, capacity: Int) -> Item? {
        byHash[item.entry.hash, default: []].append(base + items.count)
        items.append(item)
        live += 1
        guard live > capacity else { return nil }
        return popOldest()
    }

    private mutating func popOldest() -> Item? {
        while head < items.count {
            let item = items[head]
            items[head] = nil
            head += 1
            if let item {
                live -= 1
                removeIndex(of: item.entry.hash)
                compact()
                return item
            }
        }
        return nil
    }

    private mutating func removeIndex(of hash: UInt64) {
        guard var list = byHash[hash] else { return }
        list.removeAll { $0 < base + head }
        byHash[hash] = list.isEmpty ? nil : list
    }

    private mutating func compact() {
        if head > 4096 && head * 2 > items.count {
            items.removeFirst(head)
            base += head
            head = 0
        }
    }

    /// The oldest unmatched item with this hash, removed.
    mutating func take(_ hash: UInt64) -> Item? {
        guard var list = byHash[hash] else { return nil }
        while !list.isEmpty {
            let position = list.removeFirst() - base
            if position >= head, position < items.count, let item = items[position] {
                items[position] = nil
                live -= 1
                byHash[hash] = list.isEmpty ? nil : list
                return item
            }
        }
        byHash[hash] = nil
        return nil
    }

    /// Every unmatched item, oldest first; empties the set.
    mutating func drain() -> [Item] {
        let rest = items[head...].compactMap { $0 }
        items = []
        head = 0
        base = 0
        live = 0
        byHash = [:]
        return rest
    }
}

/// ``BinlogDiff/MasterReference``s by window sequence number, packed in 32 bytes each (a fixed
/// ring the size of the duplicate window, allocated once).
final class MasterReferenceRing {
    private struct Slot {
        var storedFile: UInt32
        var file: UInt32
        var storedOffset: UInt64
        var offset: UInt64
        /// `UInt64.max`: no logic id.
        var logicID: UInt64
    }
    private static let none = UInt32.max
    private let slots: UnsafeMutablePointer<Slot>
    private let mask: UInt64

    /// `capacity`: a power of two (the window's).
    init(capacity: Int) {
        slots = .allocate(capacity: capacity)
        slots.initialize(
            repeating: Slot(storedFile: Self.none, file: 0, storedOffset: 0, offset: 0, logicID: 0), count: capacity)
        mask = UInt64(capacity - 1)
    }

    deinit { slots.deallocate() }

    subscript(seq: UInt64) -> BinlogDiff.MasterReference? {
        get {
            let s = slots[Int(seq & mask)]
            guard s.storedFile != Self.none else { return nil }
            return BinlogDiff.MasterReference(
                stored: ResumePoint(fileNumber: s.storedFile, offset: s.storedOffset),
                location: FindingLocation(
                    fileNumber: s.file, offset: s.offset, logicID: s.logicID == .max ? nil : s.logicID))
        }
        set {
            slots[Int(seq & mask)] =
                newValue.map {
                    Slot(
                        storedFile: $0.stored.fileNumber, file: $0.location.fileNumber, storedOffset: $0.stored.offset,
                        offset: $0.location.offset, logicID: $0.location.logicID ?? .max)
                } ?? Slot(storedFile: Self.none, file: 0, storedOffset: 0, offset: 0, logicID: 0)
        }
    }
}
