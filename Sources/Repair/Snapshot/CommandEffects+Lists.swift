import BinlogFormat

/// Lists: pushes and pops at either end, and edits of a known list.
extension CommandEffects {
    func applyList(_ command: LoggedCommand, _ footprint: CommandFootprint, at time: Int64, to states: inout [[UInt8]: KeyState]) {
        let argc = command.argumentCount
        let name = command.name
        let key = command[1]

        switch command.name {
        case "lpush", "rpush":
            update(&states, key) { state in
                for index in 2..<max(2, argc) {
                    if name == "lpush" { state.list.pushLeft(command[index]) } else { state.list.pushRight(command[index]) }
                }
            }
        case "lpushx", "rpushx":
            update(&states, key) { state in
                switch state.list.exists {
                case .known(false): return
                case .unknown: return state.list.forget()
                case .known(true):
                    for index in 2..<max(2, argc) {
                        if name == "lpushx" { state.list.pushLeft(command[index]) } else { state.list.pushRight(command[index]) }
                    }
                }
            }
        case "blpop" where argc != 3, "brpop" where argc != 3:
            opaque(footprint, &states)
        case "lpop", "rpop", "blpop", "brpop":
            let count = argc >= 3 && (name == "lpop" || name == "rpop") ? RedisNumbers.parseInt64(command[2]) : 1
            update(&states, key) { state in
                guard let count, count >= 0 else { return state.list.forget() }
                pop(&state.list, count: Int(min(count, 1 << 30)), fromLeft: name == "lpop" || name == "blpop")
            }
        case "rpoplpush":
            guard argc >= 3 else { return opaque(footprint, &states) }
            let (source, destination) = (command[1], command[2])
            let list = states[source, default: .unknown].list
            let value: [UInt8]?
            if list.complete {
                guard let last = list.head.last else { return }
                value = last
            } else {
                value = list.tail.last
            }
            guard let value else {
                update(&states, source) { $0.list.forget() }
                update(&states, destination) { $0.list.forget() }
                return
            }
            update(&states, source) { pop(&$0.list, count: 1, fromLeft: false) }
            update(&states, destination) { $0.list.pushLeft(value) }
        case "lset", "ltrim", "lrem", "linsert":
            update(&states, key) { editList(&$0.list, command) }
        default:
            opaque(footprint, &states)
        }
    }

    func pop(_ list: inout ListState, count: Int, fromLeft: Bool) {
        if list.complete {
            var elements = list.head
            let n = min(count, elements.count)
            if fromLeft { elements.removeFirst(n) } else { elements.removeLast(n) }
            let expiry = list.expiry
            list.replace(with: elements)
            if !elements.isEmpty { list.expiry = expiry }
            return
        }
        if fromLeft, list.head.count >= count {
            list.head.removeFirst(count)
        } else if !fromLeft, list.tail.count >= count {
            list.tail.removeLast(count)
        } else {
            list.forget()
        }
    }

    /// LSET, LTRIM, LREM, LINSERT on a known list; on a partly known one, LSET within the known
    /// ends only.
    func editList(_ list: inout ListState, _ command: LoggedCommand) {
        let argc = command.argumentCount
        guard list.complete else {
            if command.name == "lset", argc >= 4, let index = RedisNumbers.parseInt64(command[2]) {
                if index >= 0, index < Int64(list.head.count) {
                    list.head[Int(index)] = command[3]
                    return
                }
                if index < 0, -index <= Int64(list.tail.count) {
                    list.tail[list.tail.count + Int(index)] = command[3]
                    return
                }
            }
            return list.forget()
        }
        var elements = list.head
        let count = Int64(elements.count)
        let expiry = list.expiry
        switch command.name {
        case "lset":
            guard argc >= 4, var index = RedisNumbers.parseInt64(command[2]) else { return list.forget() }
            if index < 0 { index += count }
            guard index >= 0, index < count else { return }
            elements[Int(index)] = command[3]
        case "ltrim":
            guard argc >= 4, var start = RedisNumbers.parseInt64(command[2]), var stop = RedisNumbers.parseInt64(command[3]) else {
                return list.forget()
            }
            if start < 0 { start += count }
            if stop < 0 { stop += count }
            start = max(start, 0)
            if start > stop || start >= count {
                elements = []
            } else {
                stop = min(stop, count - 1)
                elements = Array(elements[Int(start)...Int(stop)])
            }
        case "lrem":
            guard argc >= 4, let n = RedisNumbers.parseInt64(command[2]) else { return list.forget() }
            let value = command[3]
            if n >= 0 {
                var removed: Int64 = 0
                elements = elements.filter { element in
                    if element == value && (n == 0 || removed < n) {
                        removed += 1
                        return false
                    }
                    return true
                }
            } else {
                var removed: Int64 = 0
                var kept: [[UInt8]] = []
                for element in elements.reversed() {
                    if element == value && removed < -n {
                        removed += 1
                    } else {
                        kept.append(element)
                    }
                }
                elements = kept.reversed()
            }
        case "linsert":
            guard argc >= 5 else { return list.forget() }
            let where_ = lowercased(command[2])
            guard where_ == "before" || where_ == "after" else { return list.forget() }
            guard let position = elements.firstIndex(of: command[3]) else { return }
            elements.insert(command[4], at: where_ == "before" ? position : position + 1)
        default:
            return list.forget()
        }
        list.replace(with: elements)
        if !elements.isEmpty { list.expiry = expiry }
    }
}
