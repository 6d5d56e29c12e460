import BinlogFormat

/// Lists written as appends: a push whose list the plan can state as an append (`rpush` then a cut
/// back to the length it had), without the whole list.
extension RewriteRun {
    /// A push on a list whose later operations are all pushes on the same side (and the `ltrim`
    /// pairs of this rewrite's own output): `push` + `ltrim` to the resulting length.
    mutating func appendPush(_ item: BinlogItem, key k: Int, side: RewritePlan.AppendList.Side) throws(RewriteError) {
        let command = item.command
        let pushed = Int64(command.count - 2)
        let isX = command[0].count == 6  // rpushx / lpushx
        let paired = !plan.unpairAll && (side == .right ? plan.keys[k].right.paired : plan.keys[k].left.paired)
        if plan.keys[k].append == nil {
            // The first push of the run: the model gives the list's state (asking the snapshot
            // if needed), then lets go of the key.
            let decision = try modelDecision(item)
            var length: Int64? = nil
            switch decision {
            case .unknownPriorState:
                length = nil
            case .keep, .replace:
                let key = plan.keys.key(k)
                switch model.state(of: key, atMs: Int64(execTime(item)) * 1000) {
                case .present(.list(let elements), nil): length = Int64(elements.count)
                case .absent: length = 0
                default:
                    plan.keys[k].appendRefused = true
                    try write(item, decision)
                    return
                }
            default:
                plan.keys[k].appendRefused = true
                try write(item, decision)
                return
            }
            let list = RewritePlan.AppendList(side: side, length: length, paired: paired)
            plan.keys[k].append = list
            if length != nil {
                _ = try? model.rewrite([Array("del".utf8), plan.keys.key(k)], execTimeSeconds: execTime(item))
            }
            switch decision {
            case .replace(let commands) where commands.isEmpty:
                drop(item, reason: "no effect on the modelled state (a push to a list that does not exist)", related: nil)
            case .keep:
                try writeLogged(item)
                summary.kept += 1
            case .unknownPriorState(let key, let reason):
                try writeLogged(item)
                if !paired {
                    bump(.flagged)
                    emit(
                        RewriteChange(
                            kind: .flagged, item: location(item), arguments: command.ownedArguments(), written: written,
                            reason: reason, key: key))
                } else {
                    summary.kept += 1
                }
            default:
                try writeAppend(item, list: list)
            }
            return
        }
        var list = plan.keys[k].append!
        bypassModel()
        if var length = list.length {
            if isX && length == 0 {
                drop(item, reason: "no effect on the modelled state (a push to a list that does not exist)", related: nil)
                return
            }
            length += pushed
            list.length = length
            plan.keys[k].append = list
            try writeAppend(item, list: list)
        } else if list.paired {
            try writeLogged(item)
            summary.kept += 1
        } else {
            try writeLogged(item)
            bump(.flagged)
            emit(
                RewriteChange(
                    kind: .flagged, item: location(item), arguments: command.ownedArguments(), written: written,
                    reason: "\(Self.text(command[0]).uppercased()) is not replay-safe and needs the prior state; \(KeyspaceModel.noPriorState)",
                    key: plan.keys.key(k)))
        }
    }

    /// The push as logged followed by the cut to its resulting length, or as logged when its own
    /// `ltrim` follows it in the input.
    mutating func writeAppend(_ item: BinlogItem, list: RewritePlan.AppendList) throws(RewriteError) {
        if list.paired {
            try writeLogged(item)
            summary.kept += 1
            return
        }
        let command = item.command
        let length = list.length ?? 0
        let keep = report != nil || collecting
        let before = written.count
        try writeLogged(item)
        let pushedAt = lastLocation!
        encodeCut(key: command[1], side: list.side, length: length)
        let cutAt = try writeEncoded(time: execTime(item), recordTimes: UnsafeBufferPointer(start: nil, count: 0))
        summary.commandsWritten += 1
        bump(.replaced)
        guard keep else { return }
        let cutArgv: [[UInt8]] = [Array("ltrim".utf8), Array(command[1])]
            + (list.side == .right ? [Array("0".utf8), Array(String(length - 1).utf8)] : [Array(String(-length).utf8), Array("-1".utf8)])
        if collecting {
            written.removeSubrange(before...)
            written.append(OutputCommand(arguments: command.ownedArguments(), location: pushedAt))
            written.append(OutputCommand(arguments: cutArgv, location: cutAt))
        }
        emit(
            RewriteChange(
                kind: .replaced, item: location(item), arguments: command.ownedArguments(),
                written: [OutputCommand(arguments: command.ownedArguments(), location: pushedAt), OutputCommand(arguments: cutArgv, location: cutAt)],
                reason: "made replay-safe: the push, then a cut to the list's resulting length \(length) (only pushes on this side follow)"))
    }

    /// The `ltrim` that follows a push in a list written as appends.
    mutating func appendTrim(_ item: BinlogItem, key k: Int) throws(RewriteError) {
        bypassModel()
        var list = plan.keys[k].append!
        let command = item.command
        let cut = list.side == .right ? RewriteAnalyzer.rightCut(command) : RewriteAnalyzer.leftCut(command)
        guard let cut, let length = list.length else {
            try writeLogged(item)
            summary.kept += 1
            return
        }
        if cut <= length {
            list.length = cut
            plan.keys[k].append = list
            try writeLogged(item)
            summary.kept += 1
            return
        }
        // A cut past the end would not cut a replay that finds more elements: cut to the length.
        let key = Array(command[1])
        let exact: [[UInt8]]
        if length == 0 {
            exact = [Array("del".utf8), key]
        } else if list.side == .right {
            exact = [Array("ltrim".utf8), key, Array("0".utf8), Array(String(length - 1).utf8)]
        } else {
            exact = [Array("ltrim".utf8), key, Array(String(-length).utf8), Array("-1".utf8)]
        }
        try writeReplacement(item, [exact], reason: "the cut to the list's real length \(length) (the logged one is past its end)")
    }


    /// The cut that follows a push written as an append: `ltrim k 0 <length-1>` (right) or
    /// `ltrim k -<length> -1` (left), into ``encoded``.
    mutating func encodeCut(key: UnsafeRawBufferPointer, side: RewritePlan.AppendList.Side, length: Int64) {
        encoded.removeAll(keepingCapacity: true)
        RESP.appendArrayHeader(4, to: &encoded)
        RESP.appendBulk("ltrim", to: &encoded)
        RESP.appendBulk(key, to: &encoded)
        if side == .right {
            RESP.appendBulkDecimal(0, to: &encoded)
            RESP.appendBulkDecimal(length - 1, to: &encoded)
        } else {
            RESP.appendBulkDecimal(-length, to: &encoded)
            RESP.appendBulkDecimal(-1, to: &encoded)
        }
    }
}
