import BinlogFormat

/// Logic ids: repeats, restarts, items out of order and regressions.
extension BinlogChecker {
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
            if let run = repeatRun {
                repeatRun = run.extended(to: location)
            } else {
                repeatRun = FindingRun(first: location, last: location, detail: note("logic id \(id) again"))
            }
        case .fill(let gapAfter):
            keepOutOfOrder = true
            let key = UInt64(gapAfter.fileNumber) << 40 ^ gapAfter.offset
            if let run = outOfOrderRun, run.key == key {
                outOfOrderRun = run.extended(to: location)
                if isFlush { flushInOutOfOrder = true }
            } else {
                closeOutOfOrderRun(after: location)
                let before = previous?.location ?? gapAfter
                outOfOrderRun = FindingRun(
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
                if let run = regressionRun {
                    regressionRun = run.extended(to: location)
                } else {
                    regressionRun = FindingRun(
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
                kind: .logicIDRepeat, severity: .error, range: run.range,
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
                kind: .outOfOrder, severity: .error, range: run.range,
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
                kind: .logicIDRegression, severity: .error, range: run.range,
                count: run.count,
                message:
                    "\(plural(run.count, "item")) with logic ids already used: \(details[run.detail]) (a range written "
                    + "again, or items of another history copied in)"))
    }
}
