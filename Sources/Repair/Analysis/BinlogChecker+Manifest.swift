import BinlogFormat

/// The manifest against the last item: where a resume would start.
extension BinlogChecker {
    mutating func addManifestFindings() {
        guard let m = manifest else {
            // A directory whose manifest is missing or unreadable (truncated, say): the values it
            // should hold still follow from the last item.
            let noManifest = directoryFindings.contains {
                switch $0 {
                case .manifestMissing, .manifestUnreadable: true
                default: false
                }
            }
            if noManifest, let last = lastOverall { summary.correctedManifest = correctedProducer(after: last) }
            return
        }
        guard !manifestFileMissing else { return }
        // A layout that had to be guessed gives no position to compare or correct: the
        // manifest-layout finding says so, and nothing is built on the guess.
        if directoryFindings.contains(where: { if case .manifestLayoutUncertain = $0 { true } else { false } }) {
            return
        }
        let candidate = aboveManifestContinues == true ? lastOverall : lastInManifestRange
        guard let last = candidate else {
            if m.offset != 0 || (m.logicID ?? 0) != 0 {
                let corrected = ProducerStatus(fileNumber: m.fileNumber, offset: 0, logicID: 0, term: m.term ?? 0)
                summary.correctedManifest = corrected
                findings.append(
                    Finding(
                        kind: .manifestLeads, severity: .error, range: nil, count: 0,
                        message:
                            "the manifest says \(m.producer) (logic id \(m.logicID ?? 0)) but no item exists up to "
                            + "write2file\(m.fileNumber)", correctedManifest: corrected))
            }
            return
        }
        let end = last.end
        if let now = manifestAtEnd, now.producer != m.producer, now.producer >= end {
            // A live binlog: the server wrote on while the files were read, and its manifest now
            // covers every item read. Nothing to correct; the newest items were not read.
            findings.append(
                Finding(
                    kind: .manifestMoved, severity: .info, range: FindingRange(last.location), count: 0,
                    message:
                        "the binlog is being written: the manifest moved from \(m.producer) to \(now.producer) while "
                        + "the files were read, and covers the last item read (ending at \(end)); items written since "
                        + "were not checked"))
            return
        }
        let lastID = last.location.logicID ?? 0
        let slaveCounter = isReplicaCounter
        let correctedID = correctedProducer(after: last).logicID
        let corrected = ProducerStatus(
            fileNumber: end.fileNumber, offset: end.offset, logicID: m.logicID == nil ? 0 : correctedID, term: last.term
        )
        let range = FindingRange(last.location)
        if m.producer == end || (m.fileNumber == end.fileNumber &+ 1 && m.offset == 0) {
            if m.producer != end {
                findings.append(
                    Finding(
                        kind: .manifestNextFile, severity: .info, range: range, count: 0,
                        message:
                            "the manifest says \(m.producer), the start of a file with no item yet; the same point "
                            + "as \(end), where the last item ends (Pika rolled to the new file and saved the manifest before "
                            + "writing there)"))
            }
            guard let manifestID = m.logicID, manifestID != lastID else { return }
            if slaveCounter && manifestID == UInt64(last.itemsSinceFullSync) {
                findings.append(
                    Finding(
                        kind: .manifestLogicID, severity: .info, range: range, count: 0,
                        message:
                            "manifest logic_id \(manifestID) counts this node's own writes since its full sync "
                            + "(\(plural(last.itemsSinceFullSync, "item"))), while the items carry the master's logic "
                            + "ids (up to \(lastID)), as v3.0–v3.5.1 replicas write them"))
            } else {
                summary.correctedManifest = corrected
                findings.append(
                    Finding(
                        kind: .manifestLogicID, severity: .warning, range: range, count: 0,
                        message:
                            "the manifest's position \(m.producer) is the end of the last item, but its logic_id is "
                            + "\(manifestID), not \(correctedID): the next item would get logic id \(manifestID + 1)",
                        correctedManifest: corrected))
            }
            return
        }
        summary.correctedManifest = corrected
        let fix =
            "; corrected: \(corrected.fileNumber):\(corrected.offset) logic_id \(corrected.logicID) term \(corrected.term)"
        if m.producer < end {
            let boundary =
                manifestBoundary.map { "the end of the item at \($0)" } ?? "not the end of any item"
            let first = firstAfterManifest ?? last.location
            findings.append(
                Finding(
                    kind: .manifestLags, severity: .error, range: FindingRange(first: first, last: last.location),
                    count: itemsAfterManifest,
                    message:
                        "the manifest says \(m.producer) (\(boundary)), before \(end) where the last item ends: "
                        + "\(plural(itemsAfterManifest, "item")) lie past it; after a restart Pika would write at "
                        + "the manifest offset over them (a manifest rolled back, or lost writeback)" + fix,
                    correctedManifest: corrected))
        } else {
            var why = "a torn last item, or binlog pages the operating system had not written to disk when the machine crashed"
            if findings.contains(where: { $0.kind == .tornTail }) { why = "it counts the torn last item" }
            findings.append(
                Finding(
                    kind: .manifestLeads, severity: .error, range: range, count: 0,
                    message:
                        "the manifest says \(m.producer), past \(end) where the last complete item ends: \(why); "
                        + "a replica resuming there would be refused or skip data" + fix,
                    correctedManifest: corrected))
        }
    }

    /// A v3.0–v3.5.1 replica's manifest counts its own puts since the full sync, while its items
    /// keep the master's logic ids (Docs/Format.md §R2).
    var isReplicaCounter: Bool { fullSyncSeen && (firstIDAfterFullSync ?? 1) != 1 }

    /// The producer status Pika holds after `last`: its end, its logic id (a replica's own count
    /// where ``isReplicaCounter``), its term.
    func correctedProducer(after last: LastItem) -> ProducerStatus {
        let logicID = isReplicaCounter ? UInt64(last.itemsSinceFullSync) : (last.location.logicID ?? 0)
        return ProducerStatus(fileNumber: last.end.fileNumber, offset: last.end.offset, logicID: logicID, term: last.term)
    }
}
