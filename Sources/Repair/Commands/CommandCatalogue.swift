import BinlogFormat

/// Everything the tool knows about a Redis/Pika command *as logged* (Docs/Format.md §C1): which of
/// its arguments are keys, which it writes and which it reads, its family, whether replaying it
/// twice is harmless (§C2), how it states an expiry (§C3) and which replicas reject it (§C3).
///
/// One table, ``CommandCatalogue/all``; every consumer reads it (the verifier's footprints and
/// replay safety, the window's relevance filter, the exact model's replay guard, the rewriter's
/// classes, `diff`'s expiry comparison, the replica rules). What a command *does* to a key's value
/// stays with the models (``CommandEffects``, ``KeyspaceModel``); `CommandCatalogueTests` walks the
/// table against each of them.
struct CommandSpec: Sendable {
    /// Lower case, as compared (logged names keep the client's case).
    let name: String
    let family: CommandFamily
    /// The keys whose state the command changes.
    let writes: KeyPositions
    /// The keys whose state its result depends on besides its own written key's: a model replays
    /// it exactly only when it holds all of these.
    let reads: KeyPositions
    let replay: ReplaySafety
    /// How the command states an expiry in `argv[2]`, for the forms `diff` compares.
    let expiry: ExpiryRule?
    /// The rules of replicas that reject this command (Docs/Format.md §C3).
    let replicaRules: [ReplicaApplyRule]
    /// The rewriter's own class, where it has a fast path for the command.
    let rewrite: CommandClass.Entry?

    init(
        _ name: String, _ family: CommandFamily, writes: KeyPositions, reads: KeyPositions = .none,
        replay: ReplaySafety = .safe, expiry: ExpiryRule? = nil, replicaRules: [ReplicaApplyRule] = [],
        rewrite: CommandClass.Entry? = nil
    ) {
        self.name = name
        self.family = family
        self.writes = writes
        self.reads = reads
        self.replay = replay
        self.expiry = expiry
        self.replicaRules = replicaRules
        self.rewrite = rewrite
    }

    /// Changes nothing (never logged, harmless if it is).
    var isReadOnly: Bool { family == .readOnly }

    /// Whether it can write a key other than `argv[1]`, or every key.
    var writesBeyondFirstKey: Bool { writes != .first && writes != .none }

    /// The rewriter's entry: its own, else "single key" for a command that writes `argv[1]` alone
    /// and reads nothing else.
    var rewriteEntry: CommandClass.Entry? {
        if let rewrite { return rewrite }
        return writes == .first && reads == .none && !isReadOnly ? .singleKey : nil
    }
}

/// The Redis type a command works on.
enum CommandFamily: UInt8, Sendable {
    case string, hash, list, set, zset, stream, hyperLogLog, geo
    /// Whole keys, whatever their type: DEL, expiries, RENAME, flushes.
    case keyspace
    /// Keys outside this DB or every key at once: MOVE, SWAPDB, slot migration.
    case dataset
    /// Not a command: Pika's `padding` item.
    case padding
    /// Reads only.
    case readOnly
}

/// Which arguments of a command name keys (indices into argv, the name at 0).
enum KeyPositions: Equatable, Sendable {
    case none
    /// `argv[1]`.
    case first
    /// `argv[2]` (BITOP's destination, COPY's).
    case second
    /// `argv[1]` and `argv[2]` (moves, RENAME).
    case firstTwo
    /// `argv[1]`, `argv[3]`, … (MSET).
    case alternate
    /// `argv[i]` to the end.
    case from(Int)
    /// `argv[1]` to the one before the last (BLPOP's keys before the timeout).
    case allButLast
    /// `argv[3]` … `argv[2 + numkeys]`, numkeys in `argv[2]` (ZUNIONSTORE's sources).
    case counted
    /// Every key of the DB (FLUSHDB, FLUSHALL, PKPATTERNMATCHDEL's pattern).
    case every
    /// Keys of the whole data set, possibly outside this DB (MOVE, SWAPDB, slot migration).
    case dataset

    /// The argument indices of the keys in a command of `argc` arguments whose `argv[2]` is
    /// `count` (used by ``counted`` only); empty for ``every`` and ``dataset``.
    func indices(argc: Int, count: (() -> Int64?)? = nil) -> [Int] {
        switch self {
        case .none, .every, .dataset: return []
        case .first: return argc > 1 ? [1] : []
        case .second: return argc > 2 ? [2] : []
        case .firstTwo: return Array(1..<min(3, max(1, argc)))
        case .alternate: return Array(stride(from: 1, to: argc, by: 2))
        case .from(let i): return i < argc ? Array(i..<argc) : []
        case .allButLast: return argc > 2 ? Array(1..<(argc - 1)) : []
        case .counted:
            guard argc > 3, let n = count?(), n >= 1, n <= Int64(argc - 3) else { return Array(3..<max(3, argc)) }
            return Array(3..<(3 + Int(n)))
        }
    }

    /// The key arguments of `arguments` (repeats left in).
    func keys(of arguments: [[UInt8]]) -> [[UInt8]] {
        indices(argc: arguments.count, count: { RedisNumbers.parseInt64(arguments[2]) }).map { arguments[$0] }
    }
}

/// Whether replaying the command onto a state that already holds its effect changes nothing
/// (Docs/Format.md §C2).
enum ReplaySafety: Sendable {
    case safe
    case unsafe
    /// LREM: unsafe unless its count is 0 (remove every match).
    case unsafeUnlessCountIsZero
    /// ZADD: unsafe with INCR.
    case unsafeWithIncr
    /// SET: unsafe with a relative expiry (EX/PX, as v2.x logged them).
    case unsafeWithRelativeExpiry

    func isUnsafe(_ arguments: [[UInt8]]) -> Bool {
        switch self {
        case .safe: return false
        case .unsafe: return true
        case .unsafeUnlessCountIsZero: return arguments.count < 3 || RedisNumbers.parseInt64(arguments[2]) != 0
        case .unsafeWithIncr: return arguments.dropFirst(2).contains { lowercased($0) == "incr" }
        case .unsafeWithRelativeExpiry: return arguments.dropFirst(3).contains { ["ex", "px"].contains(lowercased($0)) }
        }
    }
}

/// How a command states an expiry: in `argv[2]`, in a command of exactly ``argumentCount``
/// arguments.
struct ExpiryRule: Equatable, Sendable {
    enum Subject: Equatable, Sendable {
        /// The key's expiry (`expire k n`).
        case key
        /// A string written together with its expiry (`setex k n v`).
        case stringValue
    }

    enum Time: Equatable, Sendable {
        case relativeSeconds, relativeMilliseconds, absoluteSeconds, absoluteMilliseconds
        /// `pksetexat`'s time: seconds, or v4.0.1's milliseconds (``PksetexatTime``).
        case pksetexat
    }

    let subject: Subject
    let time: Time

    var argumentCount: Int { subject == .key ? 3 : 4 }

    /// Whether the time counts from the command's exec time.
    var isRelative: Bool { time == .relativeSeconds || time == .relativeMilliseconds }

    /// Milliseconds per unit of the time (`pksetexat`: see ``PksetexatTime``).
    var millisecondsPerUnit: Int64 {
        time == .relativeMilliseconds || time == .absoluteMilliseconds ? 1 : 1000
    }

    /// `amount` in whole seconds (milliseconds cut toward zero), for models that keep seconds.
    func seconds(_ amount: Int64) -> Int64 { millisecondsPerUnit == 1 ? amount / 1000 : amount }
}

/// The catalogue: ``all`` and its lookups.
enum CommandCatalogue {
    /// The spec of `name` (lower case), nil for a command the tool does not know.
    static func spec(named name: String) -> CommandSpec? {
        byName[name].map { all[$0] }
    }

    /// The spec of a borrowed command, without allocating for names up to 16 bytes.
    @inline(__always)
    static func spec(of command: RESPCommand) -> CommandSpec? {
        index(of: command).map { all[$0] }
    }

    /// The index in ``all`` of a borrowed command's spec, without allocating for names up to 16
    /// bytes (nor copying a spec: per-item callers keep tables of their own by this index).
    @inline(__always)
    static func index(of command: RESPCommand) -> Int? {
        guard command.count >= 1 else { return nil }
        let name = command[0]
        guard name.count <= 16 else { return byName[command.lowercasedName] }
        return table.lookup(PackedName(name)).map { Int($0) }
    }

    /// How `name` (lower case) states an expiry, nil when it does not.
    static func expiryRule(named name: String) -> ExpiryRule? { spec(named: name)?.expiry }

    /// Whether `name` (lower case) is a read-only command.
    static func isReadOnly(_ name: String) -> Bool { spec(named: name)?.isReadOnly ?? false }

    /// The replica rules of every command, in catalogue order.
    static let replicaRules: [ReplicaApplyRule] = all.flatMap(\.replicaRules)

    static let byName: [String: Int] = {
        var result: [String: Int] = [:]
        for (i, spec) in all.enumerated() {
            precondition(result.updateValue(i, forKey: spec.name) == nil, "\(spec.name) twice in the catalogue")
        }
        return result
    }()

    static let table = NameTable(byName.filter { $0.key.utf8.count <= 16 })

    static let all: [CommandSpec] = strings + keyspace + hashes + lists + sets + sortedSets + others + readOnly
}
