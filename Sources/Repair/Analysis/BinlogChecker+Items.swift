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
        if let run = chainRun {
            chainRun = run.extended(to: location)
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
        chainRun = FindingRun(first: location, last: location, detail: note(detail))
        return false
    }

    mutating func closeChainRun() {
        if openRuns & RunBit.chain == 0 { return }
        guard let run = chainRun else { return }
        chainRun = nil
        let tail = run.count > 1 ? "; \(run.count - 1) more items after it do not chain either" : ""
        findings.append(
            Finding(
                kind: .chainBreak, severity: .error, range: run.range,
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
        if let run = skewRun {
            skewRun = run.extended(to: location)
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
        skewRun = FindingRun(first: location, last: location, detail: note(detail))
    }

    mutating func closeSkewRun() {
        if openRuns & RunBit.skew == 0 { return }
        guard let run = skewRun else { return }
        skewRun = nil
        let through = run.last.fileNumber != run.first.fileNumber ? " (through write2file\(run.last.fileNumber))" : ""
        findings.append(
            Finding(
                kind: .positionSkew, severity: .warning, range: run.range,
                count: run.count,
                message:
                    "\(plural(run.count, "item"))\(through) not where their headers say: " + details[run.detail]
                    + "; a replica resuming at these offsets would land inside items"))
    }
}
