import BinlogFormat

/// Differences: each kind of difference coalesced into runs, one finding per run.
extension BinlogDiff {
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
        if let run = driftRun, run.isFollowed(by: r.index) {
            driftRun = run.extended(to: r.location, index: r.index, related: m.location)
            return
        }
        closeDriftRun()
        let example =
            "\(m.name) \(me.key): master \(me.timeText) at \(m.location), replica \(re.timeText) at \(r.location), "
            + me.shift(to: re)
        driftRun = FindingRun(r.location, index: r.index, related: m.location, detail: note(example))
    }

    mutating func closeDriftRun() {
        guard let run = driftRun else { return }
        driftRun = nil
        findings.append(
            Finding(
                kind: .ttlDrift, severity: .error, range: run.range, count: run.count, related: run.related,
                message:
                    "\(plural(run.count, "expiry write")) set another expiry time on the replica than on the master "
                    + "(first: \(notes[run.detail])): TTL drift, the keys expire at other times on the two sides"))
    }

    mutating func addDuplicate(_ r: DiffEntry, earlier: FindingLocation) {
        summary.duplicated += 1
        if let run = duplicateRun, run.isFollowed(by: r.index) {
            duplicateRun = run.extended(to: r.location, index: r.index, related: earlier)
            duplicateOfOneCommand = duplicateOfOneCommand && r.hash == run.key
            return
        }
        closeDuplicateRun()
        duplicateRun = FindingRun(r.location, index: r.index, related: earlier, detail: note("\(r.name)"), key: r.hash)
        duplicateOfOneCommand = true
    }

    mutating func closeDuplicateRun() {
        guard let run = duplicateRun, let related = run.related else { return }
        duplicateRun = nil
        let items = run.count == 1 ? "1 replica item repeats the item" : "\(run.count) replica items repeat the items"
        if run.count >= configuration.minimumDuplicateRun && !duplicateOfOneCommand {
            findings.append(
                Finding(
                    kind: .duplicateRange, severity: .error, range: run.range, count: run.count, related: run.related,
                    message:
                        "\(items) the replica already has at \(related); the master has them once: the replica "
                        + "applied them twice (re-received after a resume)"))
        } else {
            let what = duplicateOfOneCommand ? "the same \(notes[run.detail]) command" : "\(run.count) commands"
            findings.append(
                Finding(
                    kind: .duplicateRange, severity: .warning, range: run.range, count: run.count, related: run.related,
                    message:
                        "\(items) the replica already has at \(related), where the master has \(what) once here: "
                        + "too short a repeat to tell a re-received item from a command the workload sends again; "
                        + "if it was applied twice the replica departs from the master at the repeated key"))
        }
    }

    mutating func addMissing(_ item: PendingSet.Item) {
        summary.missing += 1
        if let ended = missingRun.add(item) { findings.append(Self.missing(ended)) }
    }

    mutating func closeMissingRun() {
        guard let run = missingRun else { return }
        missingRun = nil
        findings.append(Self.missing(run))
    }

    static func missing(_ run: FindingRun) -> Finding {
        let place = run.related.map { " (they belong after replica \($0))" } ?? ""
        return Finding(
            kind: .missing, severity: .error, range: run.range, count: run.count, related: run.related,
            message: "\(plural(run.count, "master item")) \(run.range) are not on the replica\(place)")
    }

    mutating func addExtra(_ item: PendingSet.Item) {
        summary.extra += 1
        if let ended = extraRun.add(item) { findings.append(Self.extra(ended)) }
    }

    mutating func closeExtraRun() {
        guard let run = extraRun else { return }
        extraRun = nil
        findings.append(Self.extra(run))
    }

    static func extra(_ run: FindingRun) -> Finding {
        let place = run.related.map { " (they come after what is master \($0))" } ?? ""
        return Finding(
            kind: .extra, severity: .error, range: run.range, count: run.count, related: run.related,
            message: "\(plural(run.count, "replica item")) \(run.range) are not in the master's binlog\(place)")
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
