import BinlogFormat

/// Exec times, terms, the replica rules and repeated ranges.
extension BinlogChecker {
    mutating func checkTime(_ time: UInt32, location: FindingLocation) {
        guard time != 0 else { return }
        defer { maxExecTime = time }
        if let before = maxExecTime, UInt64(time) + UInt64(configuration.timeSkewSeconds) < UInt64(before) {
            if let run = timeRun {
                timeRun = run.extended(to: location)
            } else {
                timeRun = FindingRun(
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
                kind: .timeRegression, severity: .warning, range: run.range,
                count: run.count,
                message:
                    details[run.detail] + more + ": a clock step (NTP), items of another node, or items out of order"))
    }

    mutating func checkTerm(_ term: UInt32, location: FindingLocation) {
        defer { maxTerm = term }
        if let before = maxTerm, term < before {
            if let run = termRun {
                termRun = run.extended(to: location)
            } else {
                termRun = FindingRun(
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
                kind: .termRegression, severity: .warning, range: run.range,
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
        if let run = ruleRun, run.key == UInt64(matched) {
            ruleRun = run.extended(to: location)
            return
        }
        closeRuleRun()
        ruleRun = FindingRun(first: location, last: location, detail: note(commandExcerpt(command)), key: UInt64(matched))
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
                kind: .replicaCannotApply, severity: severity, range: run.range,
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
