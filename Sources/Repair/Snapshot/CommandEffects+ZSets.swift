import BinlogFormat

/// Sorted sets: scores, increments and range removals.
extension CommandEffects {
    func applySortedSet(_ command: LoggedCommand, _ footprint: CommandFootprint, at time: Int64, to states: inout [[UInt8]: KeyState]) {
        let argc = command.argumentCount
        let key = command[1]

        switch command.name {
        case "zadd":
            update(&states, key) { zadd(&$0.zset, command) }
        case "zincrby":
            guard argc >= 4 else { return opaque(footprint, &states) }
            update(&states, key) { state in
                guard let amount = parseScore(command[2]) else { return state.zset.forget(command[3]) }
                increment(&state.zset, command[3], by: amount)
            }
        case "zrem":
            update(&states, key) { state in
                for index in 2..<max(2, argc) { state.zset.remove(command[index]) }
            }
        case "zremrangebyscore":
            guard argc >= 4, let low = parseScoreBound(command[2]), let high = parseScoreBound(command[3]) else {
                return opaque(footprint, &states)
            }
            update(&states, key) { state in
                guard state.zset.complete else { return state.zset.forgetAll() }
                for (member, element) in state.zset.entries {
                    guard case .present(let score) = element else { return state.zset.forgetAll() }
                    if low.admitsFromBelow(score) && high.admitsFromAbove(score) { state.zset.remove(member) }
                }
            }
        case "zremrangebyrank", "zremrangebylex", "zpopmin", "zpopmax":
            update(&states, key) { $0.zset.forgetAll() }
        default:
            opaque(footprint, &states)
        }
    }

    func zadd(_ zset: inout CollectionState<Double>, _ command: LoggedCommand) {
        var nx = false
        var xx = false
        var gt = false
        var lt = false
        var incr = false
        var index = 2
        flags: while index < command.argumentCount {
            switch lowercased(command[index]) {
            case "nx": nx = true
            case "xx": xx = true
            case "gt": gt = true
            case "lt": lt = true
            case "ch": break
            case "incr": incr = true
            default: break flags
            }
            index += 1
        }
        while index + 1 < command.argumentCount {
            let member = command[index + 1]
            guard let score = parseScore(command[index]) else {
                zset.forget(member)
                index += 2
                continue
            }
            let current = zset.entry(member)
            if incr {
                if case .present = current, nx {
                } else if case .absent = current, xx {
                } else {
                    increment(&zset, member, by: score)
                }
                index += 2
                continue
            }
            switch current {
            case .absent:
                if !xx { zset.set(member, .present(score)) }
            case .present(let old):
                if nx { break }
                if (gt && score <= old) || (lt && score >= old) { break }
                zset.set(member, .present(score))
            case .presentWithUnknownValue:
                if nx { break }
                zset.set(member, gt || lt ? .presentWithUnknownValue : .present(score))
            case .unknown:
                if nx || xx || gt || lt { zset.forget(member) } else { zset.set(member, .present(score)) }
            }
            index += 2
        }
    }

    func increment(_ zset: inout CollectionState<Double>, _ member: [UInt8], by amount: Double) {
        switch zset.entry(member) {
        case .present(let old): zset.set(member, .present(old + amount))
        case .absent: zset.set(member, .present(amount))
        case .presentWithUnknownValue, .unknown: zset.set(member, .presentWithUnknownValue)
        }
    }
}
