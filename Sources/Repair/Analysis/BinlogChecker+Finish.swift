import BinlogFormat

extension BinlogChecker {
    /// Closes every open run and adds the findings that need the whole binlog: lost logic ids,
    /// file-sequence problems, the manifest check. Returns the findings in position order.
    public mutating func finish() -> CheckReport {
        closePadding(followedBy: nil)
        closeEmptyRun()
        closeSkewRun()
        closeChainRun()
        closeSequenceRuns(after: nil)
        closeTimeRun()
        closeTermRun()
        closeRuleRun()
        if let run = duplicates.finish() { emitDuplicate(run) }
        let lastZeroTail = zeroTail?.region
        if let tail = zeroTail {
            emitZeroTail(tail.region, isLastFile: true)
            zeroTail = nil
        }
        markTornTail(zeroTail: lastZeroTail)
        recordLastItem()
        if let c = currentSummary {
            files.append(c)
            currentSummary = nil
        }
        sequence.finish()
        for gap in sequence.closedGaps where gap.missing > 0 { emitGap(gap) }
        addDirectoryFindings()
        addManifestFindings()
        fold()
        findings.sort(by: Finding.byPosition)
        return CheckReport(findings: findings, summary: summary)
    }

    /// A cut-off item at the very end of the last file (only zeros after it) is a crash while it
    /// was being written, not damage in the middle of the history. So is an item framed whole whose
    /// bytes end in zeros right before the zero-filled preallocation of the live file: the copy of
    /// its bytes had not finished (a crash, or the file read while Pika wrote it).
    mutating func markTornTail(zeroTail: PaddingRegion?) {
        guard let (index, damage) = lastDamage, recordsAfterDamage == 0, damage.start.fileNumber == currentFile else {
            return
        }
        switch damage.kind {
        case .interruptedItem, .truncatedRecord, .truncatedHeader: break
        case .badRESP, .badEnvelope:
            guard damage.endsInZeros, let zeroTail, zeroTail.start == damage.end else { return }
        default: return
        }
        var message =
            damage.endsInZeros
            ? "the last item at \(damage.start) (\(damage.length) bytes) runs into the zero-filled rest of the live "
                + "file before its bytes end (\(damage.reason)): it was still being written when the server stopped "
                + "or the file was read, so it was not complete nor sent to replicas"
            : "the last item is cut off at \(damage.start) (\(damage.length) bytes: \(damage.reason)): the server "
                + "stopped while writing it, so it was never complete nor sent to replicas"
        if let m = manifest {
            let start = ResumePoint(fileNumber: damage.start.fileNumber, offset: damage.start.offset)
            message += m.producer <= start ? "; the manifest does not count it" : "; but the manifest counts it"
        }
        findings[index] = Finding(
            kind: .tornTail, severity: .warning, range: findings[index].range, count: 1, message: message,
            byteCount: damage.length)
    }

    mutating func emitGap(_ gap: LogicIDSequence.Gap) {
        let ids = gap.low == gap.high ? "logic id \(gap.low)" : "logic ids \(gap.low)..\(gap.high)"
        var message: String
        if gap.filled > 0 {
            message =
                "\(gap.missing) of the \(gap.size) \(ids) between \(gap.before) and \(gap.after) never appear "
                + "(\(gap.filled) come later, out of order): items lost"
        } else {
            message =
                "\(ids) never appear between \(gap.before) and \(gap.after): \(plural(Int(clamping: gap.size), "item")) lost"
        }
        findings.append(
            Finding(
                kind: .logicIDGap, severity: .error, range: FindingRange(first: gap.before, last: gap.after),
                count: Int(clamping: gap.missing), message: message))
    }

    // MARK: - Files

    func fileSummary(_ n: FileNumber) -> FileSummary? { files.first { $0.fileNumber == n } }

    /// The last item of the nearest file below `n` that has one.
    func lastItem(below n: FileNumber) -> FindingLocation? {
        files.last { $0.fileNumber < n && $0.lastItem != nil }?.lastItem
    }

    /// The first item of the nearest file above `n` that has one.
    func firstItem(above n: FileNumber) -> FindingLocation? {
        files.first { $0.fileNumber > n && $0.firstItem != nil }?.firstItem
    }

    mutating func addDirectoryFindings() {
        for f in directoryFindings {
            switch f {
            case .gap(let missing):
                addFileGap(missing)
            case .filesAboveManifest(_, let numbers):
                let summaries = numbers.compactMap { fileSummary($0) }
                let first =
                    summaries.lazy.compactMap(\.firstItem).first ?? FindingLocation(fileNumber: numbers[0], offset: 0)
                let last = summaries.reversed().lazy.compactMap(\.lastItem).first ?? first
                let items = summaries.reduce(0) { $0 + $1.items }
                let renamed = renamedFiles.first { numbers.contains($0.0) && $0.1 == m0(f) }
                let why =
                    renamed != nil
                    ? "write2file\(renamed!.0) carries the positions of write2file\(m0(f)), the manifest's current file: "
                        + "it is that file under another name"
                    : aboveManifestContinues == true
                        ? "they continue the manifest's history without a break, so the manifest lags behind them"
                        : "they do not continue the manifest's history: stale files of an earlier replication history "
                            + "or a truncate's leftovers; Pika treats the manifest's file as current and writes over them"
                findings.append(
                    Finding(
                        kind: .fileAboveManifest, severity: .warning, range: FindingRange(first: first, last: last),
                        count: items,
                        message:
                            "\(plural(numbers.count, "file")) above the manifest's current file write2file\(m0(f)): "
                            + numbers.map { "write2file\($0)" }.joined(separator: ", ")
                            + " (\(plural(items, "item"))): " + why))
            case .manifestFileMissing(let n):
                var message =
                    "the manifest names write2file\(n) as the current file, but it is not here: a restart would "
                    + "write into a new empty file at the manifest offset"
                if let renamed = renamedFiles.first(where: { $0.1 == n }) {
                    message += "; write2file\(renamed.0) holds items that say they belong to write2file\(n) (renamed?)"
                }
                findings.append(
                    Finding(kind: .manifestFileMissing, severity: .error, range: nil, count: 0, message: message))
            case .manifestMissing:
                findings.append(
                    Finding(kind: .manifestMissing, severity: .warning, range: nil, count: 0, message: f.description))
            case .manifestUnreadable:
                findings.append(
                    Finding(kind: .manifestUnreadable, severity: .error, range: nil, count: 0, message: f.description))
            case .manifestLayoutUncertain:
                findings.append(
                    Finding(
                        kind: .manifestLayout, severity: .info, range: nil, count: 0,
                        message: f.description + "; so the manifest is not compared with the items nor corrected"))
            case .manifestSize:
                findings.append(
                    Finding(kind: .manifestSize, severity: .warning, range: nil, count: 0, message: f.description))
            case .contextUnreadable:
                findings.append(
                    Finding(kind: .contextUnreadable, severity: .warning, range: nil, count: 0, message: f.description))
            case .duplicateFileNumber(let n, _):
                findings.append(
                    Finding(
                        kind: .duplicateFileNumber, severity: .warning,
                        range: FindingRange(FindingLocation(fileNumber: n, offset: 0)), count: 1,
                        message: f.description))
            case .unrecognizedBinlogName:
                findings.append(
                    Finding(kind: .unrecognizedFile, severity: .info, range: nil, count: 0, message: f.description))
            }
        }
    }

    mutating func addFileGap(_ missing: ClosedRange<FileNumber>) {
        let before = lastItem(below: missing.lowerBound)
        let after = firstItem(above: missing.upperBound)
        let first = before ?? FindingLocation(fileNumber: missing.lowerBound &- 1, offset: 0)
        let last = after ?? FindingLocation(fileNumber: missing.upperBound &+ 1, offset: 0)
        let names =
            missing.count == 1
            ? "write2file\(missing.lowerBound) is"
            : "write2file\(missing.lowerBound)..write2file\(missing.upperBound) (\(missing.count) files) are"
        var message = "\(names) missing between \(first) and \(last)"
        var count = 0
        var lost = false
        if let note = fileGaps.first(where: { $0.before < missing.lowerBound && $0.after > missing.upperBound }) {
            if let ids = note.missingIDs {
                count = ids.count
                lost = true
                message +=
                    ": logic ids \(ids.lowerBound)..\(ids.upperBound) (\(plural(ids.count, "item"))) were in them"
            }
            if let jump = note.chainJump {
                lost = true
                message +=
                    "; the first item after them stores \(jump.stored), past \(jump.expected) where the items before end"
            }
            if !lost {
                message +=
                    ", yet the items after the gap continue those before it without a break: no item is lost "
                    + "(a file renamed, or numbers skipped)"
            }
        }
        findings.append(
            Finding(
                kind: .fileGap, severity: lost ? .error : .warning, range: FindingRange(first: first, last: last),
                count: count, message: message))
    }

    private func m0(_ f: BinlogDirectoryFinding) -> FileNumber {
        if case .filesAboveManifest(let n, _) = f { return n }
        return 0
    }

    // MARK: - Folding

    /// Removes lower-level findings that a higher-level one explains, noting them in its message:
    /// a duplicated range or a logic-id gap also breaks the position chain and shifts the items after
    /// it; an out-of-order range breaks the chain where it starts and ends.
    mutating func fold() {
        var remove = Set<Int>()
        func lowerLevel(_ i: Int) -> Bool {
            let k = findings[i].kind
            return k == .chainBreak || k == .positionSkew || k == .logicIDRegression || k == .logicIDRepeat
        }
        func note(_ i: Int, _ folded: [Int], keepingTheirWeight: Bool = false) {
            guard !folded.isEmpty else { return }
            var parts: [String] = []
            if folded.contains(where: { findings[$0].kind == .chainBreak }) {
                parts.append("its stored positions break the chain")
            }
            if let s = folded.first(where: { findings[$0].kind == .positionSkew }) {
                let f = findings[s]
                parts.append("\(plural(f.count, "item")) from \(f.first!) on sit off their stored positions")
            }
            if folded.contains(where: { findings[$0].kind == .logicIDRegression || findings[$0].kind == .logicIDRepeat }
            ) {
                parts.append("their logic ids repeat")
            }
            findings[i].message += " (" + parts.joined(separator: "; ") + ")"
            if keepingTheirWeight {
                findings[i].severity = max(findings[i].severity, folded.map { findings[$0].severity }.max()!)
            }
            remove.formUnion(folded)
        }
        for (i, f) in findings.enumerated() where f.kind == .duplicateRange {
            guard let first = f.first else { continue }
            let folded = findings.indices.filter { j in
                guard !remove.contains(j), lowerLevel(j), findings[j].first == first else { return false }
                if findings[j].kind == .logicIDRegression || findings[j].kind == .logicIDRepeat {
                    return findings[j].last == f.last
                }
                return findings[j].kind == .positionSkew || findings[j].count == 1
            }
            // A content repeat graded as the workload's that also breaks the chain or repeats ids
            // is more than that: what is folded into it keeps its weight.
            note(i, folded, keepingTheirWeight: true)
        }
        for (i, anchors) in outOfOrderAnchors {
            guard let related = findings[i].related, let last = anchors.last else { continue }
            let span = related.first...max(last, findings[i].last!)
            let folded = findings.indices.filter { j in
                guard !remove.contains(j), let first = findings[j].first, let end = findings[j].last else {
                    return false
                }
                let k = findings[j].kind
                guard k == .chainBreak || k == .positionSkew else { return false }
                return anchors.contains(first) && span.contains(end)
                    || (k == .positionSkew && span.contains(first) && span.contains(end))
            }
            note(i, folded)
        }
        // Lost, repeated or restarted logic ids: the position chain breaks at the same item, and the
        // items after it sit off their stored positions.
        let sequenceKinds: Set<FindingKind> = [.logicIDGap, .logicIDRegression, .logicIDRepeat, .logicIDRestart]
        for (i, f) in findings.enumerated() where sequenceKinds.contains(f.kind) {
            guard !remove.contains(i) else { continue }
            let anchor = f.kind == .logicIDGap ? f.last : f.first
            let folded = findings.indices.filter { j in
                guard !remove.contains(j), findings[j].first == anchor else { return false }
                let k = findings[j].kind
                return (k == .chainBreak && findings[j].count == 1) || k == .positionSkew
            }
            note(i, folded)
        }
        if !remove.isEmpty {
            findings = findings.enumerated().filter { !remove.contains($0.offset) }.map(\.element)
        }
    }
}
