import BinlogFormat

/// Alignment: where the replica's items begin in the master's binlog (or the master's in the replica's),
/// from the first items of each side.
extension BinlogDiff {
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
}
