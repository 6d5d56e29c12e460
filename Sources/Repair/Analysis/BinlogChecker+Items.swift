import BinlogFormat

extension BinlogChecker {
    mutating func addItem(_ item: BinlogItem) {
        let header = item.header
        let stored = header.stored
        let hasLogicID = item.envelope == .pikaItem
        let hasPositions =
            hasLogicID
            || (item.envelope == .affiliatedRESP
                && (stored.offset != 0 || stored.fileNumber != 0 || header.execTime != 0))
        let location = FindingLocation(item.start, logicID: hasLogicID ? header.logicID : nil)
        let contentHash = ContentHash.hash(item.content)
        duplicates.window.touch(contentHash)
        if openRuns & (RunBit.padding | RunBit.empty) != 0 {
            closePadding(followedBy: (stored, item.start))
            closeEmptyRun()
        }
        if lastDamage != nil { recordsAfterDamage += 1 }

        let end = ResumePoint(after: item.end)
        let firstInFile = itemsInFile == 0
        var gapNote: Int? = nil
        if firstInFile, let last = fileGaps.indices.last, fileGaps[last].after == item.start.fileNumber {
            gapNote = last
        }

        // The common case first: the item continues the one before in every respect.
        var chained = false
        if hasPositions {
            if resumeAfterPadding == nil, openRuns & (RunBit.chain | RunBit.skew) == 0, gapNote == nil,
                damageSinceItem == nil, acceptedSkew == nil, let p = previous, stored == p.nextSameFile,
                stored == ResumePoint(after: p.end)
            {
                chained = true
            } else {
                chained = checkChain(stored: stored, location: location, firstInFile: firstInFile, gapNote: gapNote)
                checkSkew(stored: stored, item: item, location: location, gapNote: gapNote)
            }
        }
        resumeAfterPadding = nil
        let command = item.command
        let itemIsFlush = isFlush(command)
        if hasLogicID {
            let id = header.logicID
            if openRuns & RunBit.sequence == 0, gapNote == nil, emptyItemsSinceItem == 0, !itemIsFlush,
                let max = sequence.maximum, id == max &+ 1
            {
                sequence.advance(to: id)
            } else {
                checkLogicID(id, location: location, firstInFile: firstInFile, gapNote: gapNote, isFlush: itemIsFlush)
            }
        }
        if itemIsFlush {
            recentFlushes.append(location)
            if recentFlushes.count > 64 { recentFlushes.removeFirst() }
        }
        let time = header.execTime
        if time != 0 {
            if openRuns & RunBit.time != 0
                || maxExecTime.map({ UInt64(time) + UInt64(configuration.timeSkewSeconds) < UInt64($0) }) == true
            {
                checkTime(time, location: location)
            } else {
                maxExecTime = time
            }
        }
        if configuration.checkTerms && hasLogicID {
            let term = header.termOrServerID
            if openRuns & RunBit.term != 0 || maxTerm.map({ term < $0 }) == true {
                checkTerm(term, location: location)
            } else {
                maxTerm = term
            }
        }

        if duplicates.add(hash: contentHash, location: location), let run = duplicates.closed {
            emitDuplicate(run)
        }
        if itemIsFlush {
            summary.flushes += 1
            findings.append(
                Finding(
                    kind: .flush, severity: .info, range: FindingRange(location), count: 1,
                    message:
                        "\(commandExcerpt(command, maxArguments: 2)) (flush #\(summary.flushes)): every key written "
                        + "before it is gone; a replica that applies it out of order with the writes around it "
                        + "diverges"))
        }
        if command.count > 0,
            (ruleNameLengths >> UInt64(min(command[0].count, 63))) & 1 != 0 || openRuns & RunBit.rule != 0
        {
            checkRules(command, location: location)
        }

        // Bookkeeping (the last item's totals are taken from `previous` when needed).
        summary.items += 1
        if item.end.fileNumber == item.start.fileNumber { summary.itemBytes += item.end.offset - item.start.offset }
        if firstInFile {
            if summary.firstItem == nil { summary.firstItem = location }
            currentSummary!.firstItem = location
        }
        itemsSinceFullSync += 1
        if fullSyncSeen && firstIDAfterFullSync == nil && hasLogicID { firstIDAfterFullSync = header.logicID }
        if hasManifest {
            if end == manifestProducer { manifestBoundary = location }
            if manifestProducer < end && !ItemGeometry.sameResumePoint(end, manifestProducer) {
                itemsAfterManifest += 1
                if firstAfterManifest == nil { firstAfterManifest = location }
            }
            if firstInFile && item.start.fileNumber > manifestProducer.fileNumber && aboveManifestContinues == nil {
                // The first file above the manifest's: a continuation of its history (the manifest
                // lags) or a stale file of another one (Docs/Format.md §B14)?
                aboveManifestContinues = chained
            }
        }
        itemsInFile += 1
        damageSinceItem = nil
        emptyItemsSinceItem = 0
        previous = PreviousItem(
            location: location, end: item.end, stored: stored,
            nextSameFile: ResumePoint(
                fileNumber: stored.fileNumber,
                offset: ItemGeometry.produceEnd(from: stored.offset, payloadLength: item.payload.count)),
            payloadLength: item.payload.count, execTime: time, term: header.termOrServerID,
            itemsSinceFullSync: itemsSinceFullSync)
    }

    /// Records the last item seen into the totals that need it: the current file's summary, the
    /// binlog's last item, and the last item up to the manifest's file.
    mutating func recordLastItem() {
        guard let p = previous else { return }
        let end = ResumePoint(after: p.end)
        if currentSummary?.fileNumber == p.location.fileNumber {
            currentSummary!.items = itemsInFile
            currentSummary!.lastItem = p.location
            currentSummary!.lastItemEnd = end
        }
        summary.lastItem = p.location
        summary.lastItemEnd = end
        let last = (p.location, end, p.term, p.itemsSinceFullSync)
        lastOverall = last
        if hasManifest && p.location.fileNumber <= manifestProducer.fileNumber { lastInManifestRange = last }
    }

    // MARK: - Position chain

    /// Compares the stored position with the end of the item before; returns whether it continues it.
    @discardableResult
    mutating func checkChain(stored: ResumePoint, location: FindingLocation, firstInFile: Bool, gapNote: Int?) -> Bool {
        let expected: ResumePoint
        var afterRoll: ResumePoint? = nil
        if let r = resumeAfterPadding {
            expected = r
        } else if let p = previous {
            expected = p.nextSameFile
            afterRoll = p.nextAfterRoll
        } else {
            return false
        }
        let continues =
            stored == expected || stored == afterRoll
            || (stored.offset == 0 && stored.fileNumber == expected.fileNumber &+ 1
                && location.fileNumber == stored.fileNumber)
        if continues {
            closeChainRun()
            return true
        }
        if let g = gapNote, stored > expected {
            // Explained by the missing files: reported with the file gap.
            fileGaps[g].chainJump = (stored, expected)
            closeChainRun()
            return false
        }
        if var run = chainRun {
            run.count += 1
            run.last = location
            chainRun = run
            return false
        }
        var detail: String
        if stored.fileNumber == expected.fileNumber {
            if stored.offset > expected.offset {
                detail =
                    "stored position \(stored) is \(stored.offset - expected.offset) bytes past \(expected), where the "
                    + "item before ends: "
                if let d = damageSinceItem {
                    detail += "items were lost in the damaged bytes at \(d)"
                } else {
                    detail += "items between them are missing (cut out, or the file was truncated and written again)"
                }
            } else {
                detail =
                    "stored position \(stored) is \(expected.offset - stored.offset) bytes before \(expected), where the "
                    + "item before ends: it belongs to an earlier point of the history (a range written again, bytes "
                    + "spliced in, or a writer restarted at an older manifest offset and overwrote items)"
            }
        } else if stored.fileNumber > expected.fileNumber {
            detail =
                "stored position \(stored) is in a later file than \(expected), where the item before ends: "
                + "files or items between them are missing"
        } else {
            detail =
                "stored position \(stored) is in an earlier file than \(expected), where the item before ends: "
                + (firstInFile
                    ? "write2file\(location.fileNumber) is a leftover from an earlier history (a replica's stale "
                        + "file, which a full sync leaves behind) or a manual copy"
                    : "a range from an earlier history was written or copied in here")
        }
        if firstInFile { detail = "first item of write2file\(location.fileNumber): " + detail }
        chainRun = OpenRun(first: location, last: location, detail: note(detail))
        return false
    }

    mutating func closeChainRun() {
        if openRuns & RunBit.chain == 0 { return }
        guard let run = chainRun else { return }
        chainRun = nil
        let tail = run.count > 1 ? "; \(run.count - 1) more items after it do not chain either" : ""
        findings.append(
            Finding(
                kind: .chainBreak, severity: .error, range: FindingRange(first: run.first, last: run.last),
                count: run.count, message: details[run.detail] + tail))
    }

    // MARK: - Physical position vs stored position

    /// Compares the stored position with where the bytes before the item really end: the resume
    /// point a writer at this physical place would have stored. A healthy file agrees everywhere;
    /// bytes inserted, removed or renamed make the items after them disagree (one run).
    mutating func checkSkew(stored: ResumePoint, item: BinlogItem, location: FindingLocation, gapNote: Int?) {
        let physicalBefore: ResumePoint
        if let r = resumeAfterPadding {
            physicalBefore = r
        } else if let p = previous, damageSinceItem == nil, gapNote == nil {
            physicalBefore = ResumePoint(after: p.end)
        } else {
            closeSkewRun()
            return
        }
        var delta = Int64(bitPattern: physicalBefore.offset &- stored.offset)
        var skewed = stored.fileNumber != physicalBefore.fileNumber
        if skewed && stored.offset == 0 && stored.fileNumber == item.start.fileNumber && item.start.offset == 0 {
            // A file begun at offset 0 by SetProducerStatus(N+1, 0): `(N+1):0` names the same point.
            skewed = false
        } else if !skewed {
            if fileStartsWithBlank && acceptedSkew == nil && stored.fileNumber == item.start.fileNumber {
                // AppendBlank (v2.0–v3.0.9, Docs/Format.md §B10A): logical and physical offsets may differ in this file.
                acceptedSkew = delta
            }
            if stored.fileNumber == item.start.fileNumber { delta -= acceptedSkew ?? 0 }
            skewed = delta != 0
        }
        if !skewed {
            closeSkewRun()
            return
        }
        if var run = skewRun {
            run.count += 1
            run.last = location
            skewRun = run
            return
        }
        let detail: String
        if stored.fileNumber != physicalBefore.fileNumber {
            let claimed = stored.fileNumber
            detail =
                "items in write2file\(item.start.fileNumber) carry positions of write2file\(claimed) (first: at "
                + "\(item.start), stored \(stored)): the file was renamed, or bytes inserted or removed before them "
                + "moved them across a roll"
            renamedFiles.append((item.start.fileNumber, claimed))
        } else if delta > 0 {
            detail =
                "items sit \(delta) bytes after the positions stored in them (first: at \(item.start), stored "
                + "\(stored)): bytes were inserted before them"
        } else {
            detail =
                "items sit \(-delta) bytes before the positions stored in them (first: at \(item.start), stored "
                + "\(stored)): bytes were removed before them"
        }
        skewRun = OpenRun(first: location, last: location, detail: note(detail))
    }

    mutating func closeSkewRun() {
        if openRuns & RunBit.skew == 0 { return }
        guard let run = skewRun else { return }
        skewRun = nil
        let through = run.last.fileNumber != run.first.fileNumber ? " (through write2file\(run.last.fileNumber))" : ""
        findings.append(
            Finding(
                kind: .positionSkew, severity: .warning, range: FindingRange(first: run.first, last: run.last),
                count: run.count,
                message:
                    "\(plural(run.count, "item"))\(through) not where their headers say: " + details[run.detail]
                    + "; a replica resuming at these offsets would land inside items"))
    }

    // MARK: - Logic ids

    mutating func checkLogicID(
        _ id: UInt64, location: FindingLocation, firstInFile: Bool, gapNote: Int?, isFlush: Bool
    ) {
        let previousID = sequence.previous
        let maximum = sequence.maximum
        let skippedByEmptyItems =
            emptyItemsSinceItem > 0 && sequence.maximum.map { id == $0 &+ emptyItemsSinceItem &+ 1 } == true
        let step = sequence.step(
            id, at: location, previousLocation: previous?.location, openGap: gapNote == nil && !skippedByEmptyItems)
        var keepRepeat = false
        var keepOutOfOrder = false
        var keepRegression = false
        switch step {
        case .first, .next:
            break
        case .jump(let low, let high):
            if let g = gapNote { fileGaps[g].missingIDs = low...high }
        case .repeated:
            keepRepeat = true
            if var run = repeatRun {
                run.count += 1
                run.last = location
                repeatRun = run
            } else {
                repeatRun = OpenRun(first: location, last: location, detail: note("logic id \(id) again"))
            }
        case .fill(let gapAfter):
            keepOutOfOrder = true
            let key = UInt64(gapAfter.fileNumber) << 40 ^ gapAfter.offset
            if var run = outOfOrderRun, run.key == key {
                run.count += 1
                run.last = location
                outOfOrderRun = run
                if isFlush { flushInOutOfOrder = true }
            } else {
                closeOutOfOrderRun(after: location)
                let before = previous?.location ?? gapAfter
                outOfOrderRun = OpenRun(
                    first: location, last: location, related: FindingRange(first: gapAfter, last: before),
                    detail: 0, key: key)
                flushInOutOfOrder = isFlush || recentFlushes.contains { $0 >= gapAfter }
            }
        case .regression:
            if firstInFile {
                closeSequenceRuns(after: location)
                findings.append(
                    Finding(
                        kind: .logicIDRegression, severity: .error, range: FindingRange(location), count: 1,
                        message:
                            "write2file\(location.fileNumber) begins with logic id \(id), below \(maximum ?? 0) "
                            + "reached before it: a file from an earlier history (a replica's stale file, which a full sync "
                            + "leaves behind) "
                            + "or a manual copy"))
                sequence.restart(at: id)
            } else {
                keepRegression = true
                if var run = regressionRun {
                    run.count += 1
                    run.last = location
                    regressionRun = run
                } else {
                    regressionRun = OpenRun(
                        first: location, last: location,
                        detail: note(
                            "logic id drops from \(previousID ?? 0) to \(id), below \(maximum ?? 0) already used"))
                }
            }
        case .restart:
            closeSequenceRuns(after: location)
            findings.append(
                Finding(
                    kind: .logicIDRestart, severity: .warning, range: FindingRange(location), count: 1,
                    message:
                        "logic ids restart at 1 after \(previousID ?? 0): a new binlog history begins here (a reset "
                        + "binlog, or files of an earlier history left in the directory)"))
            sequence.restart(at: id)
        }
        if !keepRepeat { closeRepeatRun() }
        if !keepOutOfOrder { closeOutOfOrderRun(after: location) }
        if !keepRegression { closeRegressionRun() }
    }

    mutating func closeSequenceRuns(after location: FindingLocation?) {
        closeRepeatRun()
        closeOutOfOrderRun(after: location)
        closeRegressionRun()
    }

    mutating func closeRepeatRun() {
        if openRuns & RunBit.repeat == 0 { return }
        guard let run = repeatRun else { return }
        repeatRun = nil
        findings.append(
            Finding(
                kind: .logicIDRepeat, severity: .error, range: FindingRange(first: run.first, last: run.last),
                count: run.count,
                message:
                    "\(plural(run.count, "item")) with the logic id of the item before: \(details[run.detail]) "
                    + "(an item written twice in a row)"))
    }

    mutating func closeOutOfOrderRun(after location: FindingLocation?) {
        if openRuns & RunBit.outOfOrder == 0 { return }
        guard let run = outOfOrderRun, let related = run.related else { return }
        outOfOrderRun = nil
        let crossing =
            flushInOutOfOrder
            ? "; a FLUSHDB/FLUSHALL is among the items moved across each other, so applying this order keeps or "
                + "loses different data than the original"
            : ""
        let ids =
            run.first.logicID.flatMap { a in run.last.logicID.map { b in " (logic ids \(a)..\(b))" } } ?? ""
        findings.append(
            Finding(
                kind: .outOfOrder, severity: .error, range: FindingRange(first: run.first, last: run.last),
                count: run.count, related: related,
                message:
                    "\(plural(run.count, "item"))\(ids) come after the items \(related) whose logic ids and "
                    + "positions follow theirs: ranges swapped or written out of order" + crossing))
        var anchors = [related.first, run.first]
        if let location { anchors.append(location) }
        outOfOrderAnchors.append((findings.count - 1, anchors))
        flushInOutOfOrder = false
    }

    mutating func closeRegressionRun() {
        if openRuns & RunBit.regression == 0 { return }
        guard let run = regressionRun else { return }
        regressionRun = nil
        findings.append(
            Finding(
                kind: .logicIDRegression, severity: .error, range: FindingRange(first: run.first, last: run.last),
                count: run.count,
                message:
                    "\(plural(run.count, "item")) with logic ids already used: \(details[run.detail]) (a range written "
                    + "again, or items of another history copied in)"))
    }

    // MARK: - Time and term

    mutating func checkTime(_ time: UInt32, location: FindingLocation) {
        guard time != 0 else { return }
        defer { maxExecTime = time }
        if let before = maxExecTime, UInt64(time) + UInt64(configuration.timeSkewSeconds) < UInt64(before) {
            if var run = timeRun {
                run.count += 1
                run.last = location
                timeRun = run
            } else {
                timeRun = OpenRun(
                    first: location, last: location,
                    detail: note(
                        "exec time goes back from \(isoTime(before)) to \(isoTime(time)) (\(before - time) s, more "
                            + "than the \(configuration.timeSkewSeconds) s tolerated"))
            }
        } else {
            closeTimeRun()
        }
    }

    mutating func closeTimeRun() {
        if openRuns & RunBit.time == 0 { return }
        guard let run = timeRun else { return }
        timeRun = nil
        let more = run.count > 1 ? "; \(run.count - 1) more items after it go back again" : ""
        findings.append(
            Finding(
                kind: .timeRegression, severity: .warning, range: FindingRange(first: run.first, last: run.last),
                count: run.count,
                message:
                    details[run.detail] + more + ": a clock step (NTP), items of another node, or items out of order"))
    }

    mutating func checkTerm(_ term: UInt32, location: FindingLocation) {
        defer { maxTerm = term }
        if let before = maxTerm, term < before {
            if var run = termRun {
                run.count += 1
                run.last = location
                termRun = run
            } else {
                termRun = OpenRun(
                    first: location, last: location, detail: note("term goes down from \(before) to \(term)"))
            }
        } else {
            closeTermRun()
        }
    }

    mutating func closeTermRun() {
        if openRuns & RunBit.term == 0 { return }
        guard let run = termRun else { return }
        termRun = nil
        findings.append(
            Finding(
                kind: .termRegression, severity: .warning, range: FindingRange(first: run.first, last: run.last),
                count: run.count,
                message:
                    details[run.detail]
                    + " (\(plural(run.count, "item"))): terms only grow (v3.3+ consensus); items of an "
                    + "older leader or another history"))
    }

    // MARK: - Rules and duplicates

    mutating func checkRules(_ command: RESPCommand, location: FindingLocation) {
        guard let matched = ReplicaApplyRule.firstMatch(command, in: configuration.rules) else {
            closeRuleRun()
            return
        }
        if var run = ruleRun, run.key == UInt64(matched) {
            run.count += 1
            run.last = location
            ruleRun = run
            return
        }
        closeRuleRun()
        ruleRun = OpenRun(first: location, last: location, detail: note(commandExcerpt(command)), key: UInt64(matched))
    }

    mutating func closeRuleRun() {
        if openRuns & RunBit.rule == 0 { return }
        guard let run = ruleRun else { return }
        ruleRun = nil
        let rule = configuration.rules[Int(run.key)]
        let more = run.count > 1 ? " and \(run.count - 1) more like it" : ""
        let known = "Pika \(rule.rejectingReplicas.lowerBound)–\(rule.rejectingReplicas.upperBound)"
        let severity: FindingSeverity
        let verdict: String
        if let version = configuration.replicaVersion {
            if rule.rejectingReplicas.contains(version) {
                severity = .warning
                verdict = "a replica running Pika \(version) cannot apply it: \(rule.failure)"
            } else {
                severity = .info
                verdict =
                    "a replica running Pika \(version) is not known to reject it (the releases that do are \(known): "
                    + "\(rule.failure))"
            }
        } else {
            severity = .info
            verdict =
                "replicas of \(known) cannot apply it: \(rule.failure). Nothing to do for a master without such "
                + "replicas; --replica-version VERSION grades it for yours"
        }
        findings.append(
            Finding(
                kind: .replicaCannotApply, severity: severity, range: FindingRange(first: run.first, last: run.last),
                count: run.count, message: "`\(details[run.detail])`\(more): \(rule.item); \(verdict)", rule: rule.id,
                versions: rule.versions))
    }

    /// Grades a repeated run by what Pika can produce (Pika's source, v3.x and v4.x):
    /// - A master gives every item the next logic id and its own producer position, so its log
    ///   never repeats a stored header: a repeat of content alone is its workload's (info).
    /// - A v3.x replica writes the master's headers verbatim (`ProcessLeaderLog` appends the
    ///   leader's item as received), so a range it received twice repeats the logic ids (error).
    /// - A v4.x replica numbers its own items (`Binlog::Put` builds a fresh header), counting from 1
    ///   after the full sync that reset it (the padding before its history). There a range received
    ///   twice repeats only the content, so a content repeat inside that history is a warning; where
    ///   the ids continue the master's (a v3.x replica), content alone is again the workload's.
    mutating func emitDuplicate(_ run: DuplicateRun) {
        let message: String
        let severity: FindingSeverity
        if run.sameLogicIDs {
            let ids =
                run.later.first.logicID.flatMap { a in run.later.last.logicID.map { b in " (logic ids \(a)..\(b))" } }
                ?? ""
            severity = .error
            message =
                "\(plural(run.count, "item"))\(ids) are written a second time, headers included, after \(run.earlier): "
                + "a range received twice (a replica that resumed too early) or bytes copied in"
        } else if let point = fullSyncPoint, firstIDAfterFullSync == 1,
            (run.earlier.first.fileNumber, run.earlier.first.offset) >= (point.fileNumber, point.offset)
        {
            severity = .warning
            message =
                "\(plural(run.count, "item")) repeat the commands of the \(run.count) items at \(run.earlier) under "
                + "new logic ids: this node was reset by a full sync at \(point) and numbers its own items since "
                + "(a Pika 4.x replica), so a range it received twice would look like this; so does a workload that "
                + "repeats itself. `binlogtool diff MASTER_LOG THIS_LOG` tells which"
        } else {
            severity = .info
            message =
                "\(plural(run.count, "item")) repeat the commands of the \(run.count) items at \(run.earlier) with "
                + "their own logic ids and positions: the workload repeating itself. A range Pika received twice "
                + "would repeat the stored headers (a v3.x replica) or follow a full sync (a v4.x replica)"
        }
        findings.append(
            Finding(
                kind: .duplicateRange, severity: severity, range: run.later,
                count: run.count, related: run.earlier, message: message))
    }
}
