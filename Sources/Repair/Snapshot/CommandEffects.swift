import BinlogFormat

/// A part of a key that an item writes: what the verifier compares with the snapshot to tell
/// the state before the item from the state after it.
enum Facet: Hashable {
    /// A string's value and expiry.
    case stringValue
    case hashField([UInt8])
    case setMember([UInt8])
    case zsetMember([UInt8])
    /// A list's first elements (LPUSH, LPOP).
    case listHead
    /// A list's last elements (RPUSH, RPOP).
    case listTail
    /// A whole list (LSET, LTRIM, LREM, LINSERT).
    case listWhole
    /// A collection as a whole: existence, count, expiry (SPOP, ZREMRANGEBY…).
    case collection(PikaDataType)
    /// Every type of the key (DEL, EXPIRE, a command the model does not know).
    case wholeKey

    /// The types this facet concerns.
    var types: [PikaDataType] {
        switch self {
        case .stringValue: return [.string]
        case .hashField: return [.hash]
        case .setMember: return [.set]
        case .zsetMember: return [.zset]
        case .listHead, .listTail, .listWhole: return [.list]
        case .collection(let type): return [type]
        case .wholeKey: return KeyState.modelledTypes
        }
    }
}

/// The keys one logged command writes, and which parts of each.
struct CommandFootprint {
    /// Written keys in argument order, without repeats, each with its facets.
    var keys: [(key: [UInt8], facets: [Facet])]
    /// FLUSHDB / FLUSHALL: every key.
    var isGlobal: Bool

    static let none = CommandFootprint(keys: [], isGlobal: false)
}

/// One binlog command with owned arguments and its lower-cased name.
struct LoggedCommand {
    var arguments: [[UInt8]]
    /// `arguments[0]` in ASCII lower case.
    var name: String

    init(arguments: [[UInt8]]) {
        self.arguments = arguments
        self.name = arguments.first.map { String(decoding: $0.map(asciiLower), as: UTF8.self) } ?? ""
    }

    var argumentCount: Int { arguments.count }

    subscript(index: Int) -> [UInt8] { arguments[index] }
}

/// What the verifier needs from a Redis state model: the keys a command writes, and how it
/// changes their (possibly partly known) state. ``CommandEffects`` is the built-in one; a fuller
/// keyspace model can replace it by conforming.
protocol ItemEffectModel {
    /// The keys `command` writes and the facets of each.
    func footprint(of command: LoggedCommand) -> CommandFootprint
    /// Applies `command`, executed at `time` (unix seconds), to `states`, which holds an entry
    /// for every key of its footprint (for a global command: every key followed).
    func apply(_ command: LoggedCommand, at time: Int64, to states: inout [[UInt8]: KeyState])
    /// Whether applying `command` a second time to a state that already holds its effect gives
    /// another state (Docs/Format.md §C2).
    func isUnsafeToReplay(_ command: LoggedCommand) -> Bool
}

/// Redis/Pika command semantics over partly known key states, for the commands Pika logs
/// (Docs/Format.md §C1): strings (SET with options, pksetexat, SETEX, SETNX, GETSET,
/// MSET, MSETNX, INCR…, APPEND, SETRANGE, SETBIT, GETDEL), hashes, sets, sorted sets, lists,
/// DEL/UNLINK, EXPIRE…/PERSIST, FLUSHDB/FLUSHALL, PKPATTERNMATCHDEL. Anything else makes the keys
/// it writes unknown (as ``CommandCatalogue`` names them; `argv[1]` for a command not catalogued).
struct CommandEffects: ItemEffectModel {
    func footprint(of command: LoggedCommand) -> CommandFootprint {
        let argc = command.argumentCount
        guard argc >= 1 else { return .none }
        let name = command.name
        let spec = CommandCatalogue.spec(named: name)
        if let spec, spec.writes == .every || spec.writes == .dataset { return CommandFootprint(keys: [], isGlobal: true) }
        guard argc >= 2 else { return .none }
        let key = command[1]
        func single(_ facets: [Facet]) -> CommandFootprint {
            CommandFootprint(keys: [(key, facets)], isGlobal: false)
        }
        func elements(_ from: Int, step: Int, _ make: ([UInt8]) -> Facet) -> [Facet] {
            guard from < argc else { return [] }
            return stride(from: from, to: argc, by: step).map { make(command[$0]) }
        }
        switch name {
        case "set", "setex", "psetex", "pksetexat", "setnx", "getset", "incr", "decr", "incrby", "decrby",
            "incrbyfloat", "append", "setrange", "setbit", "getdel", "pfadd":
            return single([.stringValue])
        case "mset", "msetnx":
            return multi(stride(from: 1, to: argc, by: 2).map { command[$0] }, [.stringValue])
        case "del", "unlink":
            return multi((1..<argc).map { command[$0] }, [.wholeKey])
        case "expire", "pexpire", "expireat", "pexpireat", "persist":
            return single([.wholeKey])
        case "hset", "hmset", "hsetnx", "hincrby", "hincrbyfloat":
            return single(elements(2, step: 2) { .hashField($0) } + [.collection(.hash)])
        case "hdel":
            return single(elements(2, step: 1) { .hashField($0) } + [.collection(.hash)])
        case "sadd", "srem":
            return single(elements(2, step: 1) { .setMember($0) } + [.collection(.set)])
        case "spop":
            return single([.collection(.set)])
        case "smove":
            guard argc >= 4 else { return single([.wholeKey]) }
            return multi([command[1], command[2]], [.setMember(command[3]), .collection(.set)])
        case "zadd":
            let first = zaddFirstPair(command)
            return single(elements(first + 1, step: 2) { .zsetMember($0) } + [.collection(.zset)])
        case "zincrby":
            return single(elements(3, step: 2) { .zsetMember($0) } + [.collection(.zset)])
        case "zrem":
            return single(elements(2, step: 1) { .zsetMember($0) } + [.collection(.zset)])
        case "zremrangebyscore", "zremrangebyrank", "zremrangebylex", "zpopmin", "zpopmax":
            return single([.collection(.zset)])
        case "lpush", "lpushx", "lpop":
            return single([.listHead])
        case "rpush", "rpushx", "rpop":
            return single([.listTail])
        case "blpop", "brpop":
            return multi(KeyPositions.allButLast.keys(of: command.arguments), [name == "blpop" ? .listHead : .listTail])
        case "lset", "ltrim", "lrem", "linsert":
            return single([.listWhole])
        case "rpoplpush", "brpoplpush", "lmove", "blmove":
            guard argc >= 3 else { return single([.wholeKey]) }
            if command[1] == command[2] { return single([.listWhole]) }
            let moves = name == "lmove" || name == "blmove"
            guard !moves || argc >= 5 else { return multi([command[1], command[2]], [.listWhole]) }
            let from: Facet = moves && lowercased(command[3]) == "left" ? .listHead : .listTail
            let to: Facet = moves && lowercased(command[4]) == "right" ? .listTail : .listHead
            return CommandFootprint(keys: [(command[1], [from]), (command[2], [to])], isGlobal: false)
        case "rename", "renamenx", "copy":
            return multi(argc >= 3 ? [command[1], command[2]] : [key], [.wholeKey])
        case "sunionstore", "sinterstore", "sdiffstore", "zunionstore", "zinterstore", "pfmerge":
            return single([.wholeKey])
        case "bitop":
            return argc >= 3 ? CommandFootprint(keys: [(command[2], [.wholeKey])], isGlobal: false) : .none
        default:
            // Unknown commands: `argv[1]`.
            return multi(spec?.writes.keys(of: command.arguments) ?? [key], [.wholeKey])
        }
    }

    private func multi(_ keys: [[UInt8]], _ facets: [Facet]) -> CommandFootprint {
        var seen = Set<[UInt8]>()
        var result: [(key: [UInt8], facets: [Facet])] = []
        for key in keys where seen.insert(key).inserted { result.append((key, facets)) }
        return CommandFootprint(keys: result, isGlobal: false)
    }

    /// Index of the first score argument of ZADD (after NX/XX/GT/LT/CH/INCR).
    private func zaddFirstPair(_ command: LoggedCommand) -> Int {
        var index = 2
        while index < command.argumentCount,
            ["nx", "xx", "gt", "lt", "ch", "incr"].contains(lowercased(command[index]))
        {
            index += 1
        }
        return index
    }

    func isUnsafeToReplay(_ command: LoggedCommand) -> Bool {
        CommandCatalogue.spec(named: command.name)?.replay.isUnsafe(command.arguments) ?? false
    }

    // MARK: Apply

    func apply(_ command: LoggedCommand, at time: Int64, to states: inout [[UInt8]: KeyState]) {
        let argc = command.argumentCount
        let name = command.name
        let footprint = footprint(of: command)
        if footprint.isGlobal {
            switch name {
            case "flushdb", "flushall":
                for key in states.keys { states[key] = .absent }
            case "pkpatternmatchdel" where argc >= 2:
                let pattern = command[1]
                for key in states.keys {
                    let hit = pattern.withUnsafeBytes { p in key.withUnsafeBytes { k in globMatch(pattern: p, string: k) } }
                    if hit { states[key] = .absent }
                }
            default:
                // MOVE, SWAPDB, slot migration: any key may have changed.
                for key in states.keys { states[key] = .unknown }
            }
            return
        }
        guard argc >= 2 else { return }
        for (key, _) in footprint.keys { states[key, default: .unknown].expire(at: time) }
        let key = command[1]

        func update(_ key: [UInt8], _ body: (inout KeyState) -> Void) {
            body(&states[key, default: .unknown])
        }

        switch name {
        // Strings
        case "set":
            guard argc >= 3 else { return opaque(footprint, &states) }
            update(key) { setString(&$0, command, at: time) }
        case "pksetexat":
            guard argc >= 4, let stamp = RedisNumbers.parseInt64(command[2]) else { return opaque(footprint, &states) }
            let seconds: ExpirySeconds = PksetexatTime.expiresAtMs(stamp, digits: command[2].count).map { $0 / 1000 }
            update(key) { $0.string = StringState(value: .known(command[3]), expiry: .known(seconds)) }
        case "setex", "psetex":
            guard argc >= 4, let ttl = RedisNumbers.parseInt64(command[2]) else { return opaque(footprint, &states) }
            let seconds = name == "setex" ? ttl : ttl / 1000
            update(key) { $0.string = StringState(value: .known(command[3]), expiry: .known(time + seconds)) }
        case "setnx":
            guard argc >= 3 else { return opaque(footprint, &states) }
            update(key) { state in
                switch state.string.exists {
                case .known(false): state.string = StringState(value: .known(command[2]), expiry: .known(nil))
                case .known(true): break
                case .unknown: state.string = .unknown
                }
            }
        case "getset":
            guard argc >= 3 else { return opaque(footprint, &states) }
            update(key) { $0.string = StringState(value: .known(command[2]), expiry: .known(nil)) }
        case "mset":
            for index in stride(from: 1, to: argc - 1, by: 2) {
                update(command[index]) {
                    $0.string = StringState(value: .known(command[index + 1]), expiry: .known(nil))
                }
            }
        case "msetnx":
            let pairs = stride(from: 1, to: argc - 1, by: 2).map { (command[$0], command[$0 + 1]) }
            let existence = pairs.map { states[$0.0, default: .unknown].string.exists }
            if existence.contains(.known(true)) { return }
            let sure = existence.allSatisfy { $0 == .known(false) }
            for (k, v) in pairs {
                update(k) { $0.string = sure ? StringState(value: .known(v), expiry: .known(nil)) : .unknown }
            }
        case "incr", "decr", "incrby", "decrby":
            let delta: Int64?
            switch name {
            case "incr": delta = 1
            case "decr": delta = -1
            case "incrby": delta = argc >= 3 ? RedisNumbers.parseInt64(command[2]) : nil
            default: delta = argc >= 3 ? RedisNumbers.parseInt64(command[2]).flatMap { $0 == .min ? nil : -$0 } : nil
            }
            update(key) { state in
                guard let delta, case .known(let old) = state.string.value else {
                    state.string.value = .unknown
                    return
                }
                let base: Int64
                if let old {
                    guard let parsed = RedisNumbers.parseInt64(old) else {
                        state.string.value = .unknown
                        return
                    }
                    base = parsed
                } else {
                    base = 0
                    state.string.expiry = .known(nil)
                }
                let (sum, overflow) = base.addingReportingOverflow(delta)
                state.string.value = overflow ? .unknown : .known(Array(String(sum).utf8))
            }
        case "incrbyfloat":
            update(key) { state in
                if state.string.exists == .known(false) { state.string.expiry = .known(nil) }
                state.string.value = .unknown
            }
        case "append":
            guard argc >= 3 else { return opaque(footprint, &states) }
            update(key) { state in
                switch state.string.value {
                case .known(let old?): state.string.value = .known(old + command[2])
                case .known(nil): state.string = StringState(value: .known(command[2]), expiry: .known(nil))
                case .unknown: break
                }
            }
        case "setrange":
            guard argc >= 4, let offset = RedisNumbers.parseInt64(command[2]), offset >= 0, offset < 1 << 29 else {
                return opaque(footprint, &states)
            }
            update(key) { state in
                guard case .known(let old) = state.string.value else { return }
                if old == nil { state.string.expiry = .known(nil) }
                let patch = command[3]
                if old == nil && patch.isEmpty { return }
                var bytes = old ?? []
                let end = Int(offset) + patch.count
                if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
                bytes.replaceSubrange(Int(offset)..<end, with: patch)
                state.string.value = .known(bytes)
            }
        case "setbit":
            guard argc >= 4, let offset = RedisNumbers.parseInt64(command[2]), offset >= 0, offset < 1 << 32,
                let bit = RedisNumbers.parseInt64(command[3]), bit == 0 || bit == 1
            else { return opaque(footprint, &states) }
            update(key) { state in
                guard case .known(let old) = state.string.value else { return }
                if old == nil { state.string.expiry = .known(nil) }
                var bytes = old ?? []
                let byteIndex = Int(offset / 8)
                if bytes.count <= byteIndex { bytes += [UInt8](repeating: 0, count: byteIndex + 1 - bytes.count) }
                let mask = UInt8(0x80) >> UInt8(offset % 8)
                if bit == 1 { bytes[byteIndex] |= mask } else { bytes[byteIndex] &= ~mask }
                state.string.value = .known(bytes)
            }
        case "getdel":
            update(key) { $0.string = .absent }

        // Keys
        case "del", "unlink":
            for (k, _) in footprint.keys { states[k] = .absent }
        case "expire", "pexpire":
            guard argc >= 3, let ttl = RedisNumbers.parseInt64(command[2]) else { return opaque(footprint, &states) }
            let seconds = name == "expire" ? ttl : ttl / 1000
            update(key) { state in
                if seconds <= 0 { state = .absent } else { state.setExpiry(time + seconds) }
            }
        case "expireat", "pexpireat":
            guard argc >= 3, let stamp = RedisNumbers.parseInt64(command[2]) else { return opaque(footprint, &states) }
            let seconds = name == "expireat" ? stamp : stamp / 1000
            update(key) { state in
                if stamp <= 0 { state = .absent } else { state.setExpiry(seconds) }
            }
        case "persist":
            update(key) { $0.setExpiry(nil) }

        // Hashes
        case "hset", "hmset":
            update(key) { state in
                for index in stride(from: 2, to: argc - 1, by: 2) {
                    state.hash.set(command[index], .present(command[index + 1]))
                }
            }
        case "hsetnx":
            guard argc >= 4 else { return opaque(footprint, &states) }
            update(key) { state in
                switch state.hash.entry(command[2]) {
                case .absent: state.hash.set(command[2], .present(command[3]))
                case .present, .presentWithUnknownValue: break
                case .unknown: state.hash.set(command[2], .presentWithUnknownValue)
                }
            }
        case "hdel":
            update(key) { state in
                for index in 2..<max(2, argc) { state.hash.remove(command[index]) }
            }
        case "hincrby":
            guard argc >= 4 else { return opaque(footprint, &states) }
            update(key) { state in
                let field = command[2]
                guard let delta = RedisNumbers.parseInt64(command[3]) else { return state.hash.forget(field) }
                switch state.hash.entry(field) {
                case .present(let old):
                    guard let base = RedisNumbers.parseInt64(old) else { return state.hash.forget(field) }
                    let (sum, overflow) = base.addingReportingOverflow(delta)
                    state.hash.set(field, overflow ? .presentWithUnknownValue : .present(Array(String(sum).utf8)))
                case .absent:
                    state.hash.set(field, .present(Array(String(delta).utf8)))
                case .presentWithUnknownValue, .unknown:
                    state.hash.set(field, .presentWithUnknownValue)
                }
            }
        case "hincrbyfloat":
            guard argc >= 4 else { return opaque(footprint, &states) }
            update(key) { $0.hash.set(command[2], .presentWithUnknownValue) }

        // Sets
        case "sadd":
            update(key) { state in
                for index in 2..<max(2, argc) { state.set.set(command[index], .present([])) }
            }
        case "srem":
            update(key) { state in
                for index in 2..<max(2, argc) { state.set.remove(command[index]) }
            }
        case "spop":
            update(key) { $0.set.forgetAll() }
        case "smove":
            guard argc >= 4 else { return opaque(footprint, &states) }
            let (source, destination, member) = (command[1], command[2], command[3])
            if source == destination { return }
            switch states[source, default: .unknown].set.entry(member) {
            case .absent: return
            case .present, .presentWithUnknownValue:
                update(source) { $0.set.remove(member) }
                update(destination) { $0.set.set(member, .present([])) }
            case .unknown:
                update(source) { $0.set.forget(member) }
                update(destination) { state in
                    if case .present = state.set.entry(member) { return }
                    state.set.forget(member)
                }
            }

        // Sorted sets
        case "zadd":
            update(key) { zadd(&$0.zset, command) }
        case "zincrby":
            guard argc >= 4 else { return opaque(footprint, &states) }
            update(key) { state in
                guard let amount = parseScore(command[2]) else { return state.zset.forget(command[3]) }
                increment(&state.zset, command[3], by: amount)
            }
        case "zrem":
            update(key) { state in
                for index in 2..<max(2, argc) { state.zset.remove(command[index]) }
            }
        case "zremrangebyscore":
            guard argc >= 4, let low = parseScoreBound(command[2]), let high = parseScoreBound(command[3]) else {
                return opaque(footprint, &states)
            }
            update(key) { state in
                guard state.zset.complete else { return state.zset.forgetAll() }
                for (member, element) in state.zset.entries {
                    guard case .present(let score) = element else { return state.zset.forgetAll() }
                    if low.admitsFromBelow(score) && high.admitsFromAbove(score) { state.zset.remove(member) }
                }
            }
        case "zremrangebyrank", "zremrangebylex", "zpopmin", "zpopmax":
            update(key) { $0.zset.forgetAll() }

        // Lists
        case "lpush", "rpush":
            update(key) { state in
                for index in 2..<max(2, argc) {
                    if name == "lpush" { state.list.pushLeft(command[index]) } else { state.list.pushRight(command[index]) }
                }
            }
        case "lpushx", "rpushx":
            update(key) { state in
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
            update(key) { state in
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
                update(source) { $0.list.forget() }
                update(destination) { $0.list.forget() }
                return
            }
            update(source) { pop(&$0.list, count: 1, fromLeft: false) }
            update(destination) { $0.list.pushLeft(value) }
        case "lset", "ltrim", "lrem", "linsert":
            update(key) { editList(&$0.list, command) }

        default:
            opaque(footprint, &states)
        }
    }

    /// A command the model cannot follow: every key it writes becomes unknown.
    private func opaque(_ footprint: CommandFootprint, _ states: inout [[UInt8]: KeyState]) {
        for (key, _) in footprint.keys { states[key] = .unknown }
    }

    private func setString(_ state: inout KeyState, _ command: LoggedCommand, at time: Int64) {
        var condition: Bool? = nil  // true: NX, false: XX
        var expiry: Known<ExpirySeconds> = .known(nil)
        var keepTTL = false
        var index = 3
        while index < command.argumentCount {
            let option = lowercased(command[index])
            switch option {
            case "nx": condition = true
            case "xx": condition = false
            case "keepttl": keepTTL = true
            case "get": break
            case "ex", "px", "exat", "pxat":
                guard index + 1 < command.argumentCount, let n = RedisNumbers.parseInt64(command[index + 1]) else {
                    state.string = .unknown
                    return
                }
                switch option {
                case "ex": expiry = .known(time + n)
                case "px": expiry = .known(time + n / 1000)
                case "exat": expiry = .known(n)
                default: expiry = .known(n / 1000)
                }
                index += 1
            default:
                state.string = .unknown
                return
            }
            index += 1
        }
        if let condition {
            switch state.string.exists {
            case .unknown:
                state.string = .unknown
                return
            case .known(let exists):
                if exists == condition { return }  // NX on an existing key, XX on a missing one
            }
        }
        if keepTTL && state.string.exists != .known(false) {
            state.string.value = .known(command[2])
        } else {
            state.string = StringState(value: .known(command[2]), expiry: keepTTL ? .known(nil) : expiry)
        }
    }

    private func zadd(_ zset: inout CollectionState<Double>, _ command: LoggedCommand) {
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

    private func increment(_ zset: inout CollectionState<Double>, _ member: [UInt8], by amount: Double) {
        switch zset.entry(member) {
        case .present(let old): zset.set(member, .present(old + amount))
        case .absent: zset.set(member, .present(amount))
        case .presentWithUnknownValue, .unknown: zset.set(member, .presentWithUnknownValue)
        }
    }

    private func pop(_ list: inout ListState, count: Int, fromLeft: Bool) {
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
    private func editList(_ list: inout ListState, _ command: LoggedCommand) {
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

// MARK: Parsing

func lowercased(_ bytes: [UInt8]) -> String {
    String(decoding: bytes.map(asciiLower), as: UTF8.self)
}

/// A score (`1.5`, `-inf`, `+inf`), or `nil` (NaN is refused, as Redis does).
func parseScore(_ bytes: [UInt8]) -> Double? {
    guard !bytes.isEmpty, bytes.count < 64 else { return nil }
    let text = String(decoding: bytes, as: UTF8.self)
    guard let value = Double(text), !value.isNaN else { return nil }
    return value
}

/// A ZRANGEBYSCORE bound: `(1.5` is exclusive.
struct ScoreBound {
    var value: Double
    var exclusive: Bool

    func admitsFromBelow(_ score: Double) -> Bool { exclusive ? score > value : score >= value }
    func admitsFromAbove(_ score: Double) -> Bool { exclusive ? score < value : score <= value }
}

func parseScoreBound(_ bytes: [UInt8]) -> ScoreBound? {
    if bytes.first == UInt8(ascii: "(") {
        return parseScore(Array(bytes.dropFirst())).map { ScoreBound(value: $0, exclusive: true) }
    }
    return parseScore(bytes).map { ScoreBound(value: $0, exclusive: false) }
}
