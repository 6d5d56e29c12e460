import BinlogFormat

/// Writing: items as logged, replacements, pending expiries, and the report of each change.
extension RewriteRun {
    mutating func beginIfNeeded(logicID: UInt64, term: UInt32, time: UInt32) throws(RewriteError) {
        guard !begun else { return }
        begun = true
        let base = plan.historyStart && plan.start == ResumePoint(fileNumber: 0, offset: 0) ? 0 : (logicID > 0 ? logicID - 1 : 0)
        try output.begin(start: plan.start, logicIDBase: base, term: term, time: time)
    }

    /// Whether `item` lies past the cut (a logic id only v3+ items have).
    func isPast(_ cut: RewriteOptions.Cut, _ item: BinlogItem) -> Bool {
        switch cut {
        case .afterLogicID(let id): item.envelope == .pikaItem && item.header.logicID > id
        case .beforeExecTime(let t): execTime(item) >= t
        }
    }

    func execTime(_ item: BinlogItem) -> UInt32 {
        item.envelope == .pikaItem ? item.header.execTime : item.firstRecordTime
    }

    func location(_ item: BinlogItem) -> InputLocation {
        InputLocation(
            start: item.start, end: item.end, logicID: item.envelope == .pikaItem ? item.header.logicID : 0,
            stored: item.envelope == .pikaItem ? item.header.stored : nil)
    }

    /// Writes the item's command as logged (the content bytes themselves for a v3+ item).
    mutating func writeLogged(_ item: BinlogItem) throws(RewriteError) {
        let time = execTime(item)
        let at: OutputLocation
        if item.envelope == .pikaItem {
            at = try output.write(content: item.content, execTime: time, recordTimes: item.recordTimes)
        } else {
            let command = item.command
            encoded.removeAll(keepingCapacity: true)
            RESP.encode((0..<command.count).map { command[$0] }, into: &encoded)
            at = try writeEncoded(time: time, recordTimes: item.recordTimes)
        }
        summary.commandsWritten += 1
        lastLocation = at
        if collecting { written.append(OutputCommand(arguments: item.command.ownedArguments(), location: at)) }
    }

    /// Writes the expiry of a pending `[logged, expiry]` replacement and reports it.
    mutating func flushPendingExpiry() throws(RewriteError) {
        guard let pending = pendingExpiry else { return }
        pendingExpiry = nil
        encoded.removeAll(keepingCapacity: true)
        RESP.encode(pending.command, into: &encoded)
        let at = try writeEncoded(time: pending.time, recordTimes: UnsafeBufferPointer(start: nil, count: 0))
        summary.commandsWritten += 1
        let out = [OutputCommand(arguments: pending.arguments, location: pending.logged), OutputCommand(arguments: pending.command, location: at)]
        bump(.replaced)
        emit(
            RewriteChange(
                kind: .replaced, item: pending.item, arguments: pending.arguments, written: out,
                reason: "made replay-safe: the key's expiry asserted again after the write (a late replay finds the key expired and recreates it without one)"))
    }

    static func isExpiry(_ command: [[UInt8]]) -> Bool {
        guard let name = command.first else { return false }
        return name == Array("expireat".utf8) || name == Array("pexpireat".utf8)
    }

    /// Whether the borrowed command is `command`, byte for byte.
    static func same(_ borrowed: RESPCommand, _ command: [[UInt8]]) -> Bool {
        guard borrowed.count == command.count else { return false }
        for i in 0..<command.count where !borrowed[i].elementsEqual(command[i]) { return false }
        return true
    }

    /// Writes ``encoded`` as one command.
    func writeEncoded(time: UInt32, recordTimes: UnsafeBufferPointer<UInt32>) throws(RewriteError) -> OutputLocation {
        let output = self.output
        // The error kept aside, not in a `Result`: a `RewriteError` is large, and a `Result` of it
        // would be copied for every command.
        var failure: RewriteError? = nil
        let at: OutputLocation? = encoded.withUnsafeBytes { b in
            do throws(RewriteError) {
                return try output.write(content: b, execTime: time, recordTimes: recordTimes)
            } catch {
                failure = error
                return nil
            }
        }
        if let failure { throw failure }
        return at!
    }

    /// Writes `commands` in place of the item and reports the replacement.
    mutating func writeReplacement(_ item: BinlogItem, _ commands: [[[UInt8]]], reason: String) throws(RewriteError) {
        let time = execTime(item)
        let keep = report != nil || collecting
        var out: [OutputCommand] = []
        if keep { out.reserveCapacity(commands.count) }
        for command in commands {
            encoded.removeAll(keepingCapacity: true)
            RESP.encode(command, into: &encoded)
            let at = try writeEncoded(time: time, recordTimes: UnsafeBufferPointer(start: nil, count: 0))
            if keep { out.append(OutputCommand(arguments: command, location: at)) }
        }
        summary.commandsWritten += commands.count
        if collecting { written += out }
        bump(.replaced)
        emit(
            RewriteChange(
                kind: .replaced, item: location(item), arguments: item.command.ownedArguments(), written: out,
                reason: reason))
    }



    /// Hands a change to the report, building it only when there is one.
    func emit(_ change: @autoclosure () -> RewriteChange) {
        if let report { report(change()) }
    }

    mutating func bump(_ kind: RewriteChange.Kind) {
        counts[Int(kind.index)] += 1
    }

    static func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
}
