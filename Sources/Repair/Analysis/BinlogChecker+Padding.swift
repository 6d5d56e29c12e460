import BinlogFormat

/// Padding, empty items and zero-filled tails: runs of records that are not items.
extension BinlogChecker {
    /// Decides what a run of padding records was, now that what follows it is known: full-sync
    /// padding starts a file and is followed by an item storing its end (or by nothing).
    mutating func closePadding(followedBy item: (stored: ResumePoint, start: PhysicalPosition)?) {
        guard openRuns & RunBit.padding != 0, let run = paddingRun, let end = run.end else { return }
        paddingRun = nil
        let kinds = paddingKinds.sorted().joined(separator: "+")
        let origin: String
        switch kinds {
        case "bad-record": origin = "kBadRecord records (Pika v3.3.2–v4.0.1)"
        case "padding-item": origin = "padding items (Pika v3.0.10–v3.3.1)"
        case "blank": origin = "blank blocks of spaces (Pika v2.0–v3.0.9, v3.1.0)"
        default: origin = "padding (\(kinds))"
        }
        let atFileStart = run.first.offset == 0
        var fullSync = atFileStart
        if let item {
            let point = ResumePoint(fileNumber: end.fileNumber, offset: end.offset)
            fullSync =
                atFileStart && item.start.fileNumber == end.fileNumber
                && (item.stored == point || kinds == "blank")
        }
        let range = run.range
        let records = plural(run.count, "record")
        if fullSync {
            findings.append(
                Finding(
                    kind: .padding, severity: .info, range: range, count: run.count,
                    message:
                        "full-sync padding \(run.first)..\(end) (\(records), \(run.byteCount) bytes of \(origin)): "
                        + "this node was reset to the master's offset \(end.fileNumber):\(end.offset) by a full sync; "
                        + "its items start after it",
                    byteCount: run.byteCount))
            startNewHistory(at: ResumePoint(fileNumber: end.fileNumber, offset: end.offset))
        } else {
            let place =
                atFileStart
                ? "at the start of write2file\(end.fileNumber)" : "in the middle of write2file\(end.fileNumber)"
            let why =
                atFileStart
                ? "but the item after it does not continue from its end: not a clean full-sync start"
                : "where only items belong: damaged bytes that parse as padding, or a replayed `padding` command"
            findings.append(
                Finding(
                    kind: .padding, severity: .warning, range: range, count: run.count,
                    message: "\(records) of \(origin) \(place) (\(run.byteCount) bytes), \(why)",
                    byteCount: run.byteCount))
        }
    }

    mutating func closeEmptyRun() {
        if openRuns & RunBit.empty == 0 { return }
        guard let run = emptyRun else { return }
        emptyRun = nil
        findings.append(
            Finding(
                kind: .emptyItem, severity: .warning, range: run.range,
                count: run.count,
                message:
                    "\(plural(run.count, "zero-length item record")) (a failed SETNX in Pika v3.3.0–v3.3.5): "
                    + "Pika's own reader stops here as if at the end of the file, so replication stalls at this point",
                byteCount: run.byteCount))
    }

    mutating func emitZeroTail(_ region: PaddingRegion, isLastFile: Bool) {
        let where_ = "\(region.start)..\(region.end) (\(region.byteCount) bytes)"
        if isLastFile {
            findings.append(
                Finding(
                    kind: .zeroTail, severity: .info, range: FindingRange(FindingLocation(region.start)), count: 1,
                    message:
                        "zero-filled tail \(where_): mmap preallocation of the live file, left by a running or "
                        + "killed server; not data",
                    byteCount: region.byteCount))
        } else {
            findings.append(
                Finding(
                    kind: .zeroTail, severity: .warning, range: FindingRange(FindingLocation(region.start)), count: 1,
                    message:
                        "zero-filled tail \(where_) in a file that is not the last: write2file\(region.start.fileNumber) "
                        + "was not closed cleanly (server killed before the roll completed) or was copied while live",
                    byteCount: region.byteCount))
        }
    }

    /// After full-sync padding: a new history starts at `point` (logic ids, times, terms restart).
    mutating func startNewHistory(at point: ResumePoint) {
        recordLastItem()
        closeSequenceRuns(after: nil)
        sequence.reset()
        previous = nil
        resumeAfterPadding = point
        maxExecTime = nil
        maxTerm = nil
        fullSyncSeen = true
        fullSyncPoint = point
        itemsSinceFullSync = 0
        firstIDAfterFullSync = nil
        damageSinceItem = nil
    }
}
