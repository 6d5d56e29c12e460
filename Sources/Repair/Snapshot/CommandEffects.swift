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
        // Each family in its own file; the catalogue says which a command belongs to.
        switch CommandCatalogue.spec(named: name)?.family {
        case .string: applyString(command, footprint, at: time, to: &states)
        case .keyspace: applyKeyspace(command, footprint, at: time, to: &states)
        case .hash: applyHash(command, footprint, at: time, to: &states)
        case .set: applySet(command, footprint, at: time, to: &states)
        case .zset: applySortedSet(command, footprint, at: time, to: &states)
        case .list: applyList(command, footprint, at: time, to: &states)
        default: opaque(footprint, &states)
        }
    }

    /// Changes the state of `key` (unknown when there is none yet).
    func update(_ states: inout [[UInt8]: KeyState], _ key: [UInt8], _ body: (inout KeyState) -> Void) {
        body(&states[key, default: .unknown])
    }

    /// A command the model cannot follow: every key it writes becomes unknown.
    func opaque(_ footprint: CommandFootprint, _ states: inout [[UInt8]: KeyState]) {
        for (key, _) in footprint.keys { states[key] = .unknown }
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
