import BinlogFormat

/// Walking in step: both sides item by item once aligned, resynchronising after a difference.
extension BinlogDiff {
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
                positionRun = p.extended(to: r.location, index: r.index, related: m.location)
            } else {
                closePositionRun()
                positionRun = FindingRun(
                    r.location, index: r.index, related: m.location,
                    detail: note("master stores \(m.stored), replica \(r.stored)"))
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
                kind: .positionMismatch, severity: .warning, range: p.range, count: p.count, related: p.related,
                message:
                    "\(plural(p.count, "common item")) \(p.count == 1 ? "has" : "have") other stored positions on the replica (first: \(notes[p.detail])): "
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
}
