import BinlogFormat

/// Pass 2's decisions: which items need the model, what it decides, and how each decision is written.
extension RewriteRun {
    /// Decides and writes one item. `position` is 1 + its packed start (the analysis' order).
    mutating func decide(_ item: BinlogItem, position: UInt64) throws(RewriteError) {
        let command = item.command
        let cls = CommandClass.of(command)
        switch cls.kind {
        case .padding:
            drop(item, reason: "a padding item: not a command", related: nil)
            return
        case .readOnly:
            try writeLogged(item)
            summary.kept += 1
            bypassModel()
            return
        case .absolute, .collectionAdd:
            if fastPath && (cls.kind == .absolute || !snapshotMode) && !needsState(cls, command) {
                if options.dialect == .redis, let translated = RewriteDialect.redisForm(command) {
                    try writeReplacement(item, [translated], reason: "pksetexat has no Redis form: SET with an absolute expiry")
                } else {
                    try writeLogged(item)
                    summary.kept += 1
                }
                bypassModel()
                return
            }
        case .rightPush, .leftPush:
            if plan.listAppendForms, let k = plan.keys.index(of: command[1]) {
                let side: RewritePlan.AppendList.Side = cls.kind == .rightPush ? .right : .left
                let last = side == .right ? plan.keys[k].lastNotRight : plan.keys[k].lastNotLeft
                if position > last && position > plan.lastGlobal && !plan.keys[k].appendRefused {
                    try appendPush(item, key: k, side: side)
                    return
                }
            }
        case .trim:
            if plan.listAppendForms, let k = plan.keys.index(of: command[1]), plan.keys[k].append != nil {
                try appendTrim(item, key: k)
                return
            }
        case .stateful:
            if let step = CounterStep.of(command), try counterStep(item, step: step, position: position) { return }
        case .global:
            break
        }
        let decision = try modelDecision(item)
        try write(item, decision)
    }

    func needsState(_ cls: CommandClass, _ command: RESPCommand) -> Bool {
        var needed = false
        cls.forEachKey(command) { key in
            if !needed, let k = plan.keys.index(of: key), plan.keys[k].needsState { needed = true }
        }
        return needed
    }

    mutating func modelDecision(_ item: BinlogItem) throws(RewriteError) -> RewriteDecision {
        modelFedLast = true
        do {
            return try model.rewrite(item)
        } catch {
            throw .snapshot("\(error)")
        }
    }

    /// An item the model does not see: break its adjacency (a `del k` then `rpush k` in the same
    /// second is one whole-list write only when nothing comes between them).
    mutating func bypassModel() {
        guard modelFedLast else { return }
        modelFedLast = false
        model.noteItemNotReplayed()
    }

    /// Items before the start point of a binlog that starts at the beginning of history: replayed
    /// into the model (nothing written) wherever the rewrite will need the keys' states.
    mutating func replayBeforeStart(_ item: BinlogItem) throws(RewriteError) {
        let command = item.command
        let cls = CommandClass.of(command)
        switch cls.kind {
        case .readOnly, .padding:
            return
        case .absolute, .collectionAdd:
            if fastPath && !needsState(cls, command) {
                bypassModel()
                return
            }
        default:
            break
        }
        _ = try modelDecision(item)
    }

    /// Writes what `decision` says for `item`, and reports it unless it is a plain keep.
    mutating func write(_ item: BinlogItem, _ decision: RewriteDecision) throws(RewriteError) {
        if pendingExpiry != nil {
            if case .replace(let commands) = decision, commands.isEmpty {
                // The expiry the item before asserted again, as this rewrite wrote it: as logged.
                pendingExpiry = nil
                try writeLogged(item)
                summary.kept += 2
                return
            }
            try flushPendingExpiry()
        }
        if !collecting, case .replace(let commands) = decision, commands.count == 2, Self.isExpiry(commands[1]),
            commands[1].count > 1, commands[0] == item.command.ownedArguments()
        {
            try writeLogged(item)
            pendingExpiry = PendingExpiry(
                command: commands[1], item: location(item), arguments: commands[0], time: execTime(item),
                logged: lastLocation!)
            return
        }
        switch decision {
        case .keep:
            try writeLogged(item)
            summary.kept += 1
        case .replace(let commands):
            if commands.isEmpty {
                drop(item, reason: "no effect on the modelled state (a condition that failed, nothing to pop or remove)", related: nil)
            } else {
                try writeReplacement(item, commands, reason: "made absolute: the resulting value, not the operation")
            }
        case .keepUnmodelled(let key, let reason):
            try writeLogged(item)
            bump(.unmodelled)
            emit(
                RewriteChange(
                    kind: .unmodelled, item: location(item), arguments: item.command.ownedArguments(),
                    written: written, reason: reason, key: key))
        case .unknownPriorState(let key, let reason):
            try writeLogged(item)
            bump(.flagged)
            emit(
                RewriteChange(
                    kind: .flagged, item: location(item), arguments: item.command.ownedArguments(), written: written,
                    reason: reason, key: key))
        case .drop:
            drop(item, reason: "not a command", related: nil)
        }
    }
}
