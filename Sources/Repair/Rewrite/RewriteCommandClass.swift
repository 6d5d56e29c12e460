import BinlogFormat

/// How ``BinlogRewriter`` treats a logged command before (or instead of) asking the state model.
///
/// Most of a binlog is absolute writes (`set`, `pksetexat`, `hset` …) whose rewrite is the item
/// itself whatever the state: those keys need no model at all, which keeps memory bounded by the
/// keys that do (counters, lists, anything with an expiry).
enum RewriteCommandKind: UInt8 {
    /// Written as logged whatever the key's state: `set k v` (no options), `getset`, `mset`,
    /// `del`/`unlink`, `pksetexat` in seconds.
    case absolute
    /// Written as logged unless the key has an expiry (which the model then asserts again):
    /// `hset`/`hmset`, `sadd`, `zadd` without options.
    case collectionAdd
    /// `rpush`/`rpushx`: appends at the tail.
    case rightPush
    /// `lpush`/`lpushx`: appends at the head.
    case leftPush
    /// `ltrim k start stop`.
    case trim
    /// Every key: `flushdb`, `flushall`, `pkpatternmatchdel`.
    case global
    /// Changes nothing.
    case readOnly
    /// A `padding` item: not a command.
    case padding
    /// Anything else: replayed by the model, which needs its keys' state.
    case stateful
}

/// Which arguments of a command name keys.
enum KeyArguments: UInt8 {
    case none
    /// `argv[1]`.
    case first
    /// `argv[1]`, `argv[3]`, … (MSET).
    case alternate
    /// Every argument after the name (multi-key and unknown commands: conservative).
    case all
}

struct CommandClass {
    var kind: RewriteCommandKind
    var keys: KeyArguments

    static let stateful = CommandClass(kind: .stateful, keys: .all)

    /// Classifies a borrowed command (no allocation for names up to 16 bytes).
    static func of(_ command: RESPCommand) -> CommandClass {
        let argc = command.count
        guard argc >= 1 else { return CommandClass(kind: .readOnly, keys: .none) }
        let name = command[0]
        guard name.count <= 16 else {
            if command.nameIs("pkpatternmatchdel") { return CommandClass(kind: .global, keys: .none) }
            return readOnlyOrStateful(command)
        }
        guard let entry = NameTable.shared.lookup(PackedName(name)) else { return readOnlyOrStateful(command) }
        switch entry {
        case .set: return argc == 3 ? CommandClass(kind: .absolute, keys: .first) : CommandClass(kind: .stateful, keys: .first)
        case .getset: return argc == 3 ? CommandClass(kind: .absolute, keys: .first) : CommandClass(kind: .stateful, keys: .first)
        case .mset:
            return argc >= 3 && argc % 2 == 1
                ? CommandClass(kind: .absolute, keys: .alternate) : CommandClass(kind: .stateful, keys: .all)
        case .msetnx: return CommandClass(kind: .stateful, keys: .all)
        case .del: return argc >= 2 ? CommandClass(kind: .absolute, keys: .all) : CommandClass(kind: .stateful, keys: .all)
        case .pksetexat:
            // Seconds: absolute. Milliseconds (v4.0.1 PSETEX) are rewritten.
            if argc == 4, isDecimal(command[2]), !PksetexatTime.isMilliseconds(digits: command[2].count) {
                return CommandClass(kind: .absolute, keys: .first)
            }
            return CommandClass(kind: .stateful, keys: .first)
        case .hset:
            return argc >= 4 && argc % 2 == 0
                ? CommandClass(kind: .collectionAdd, keys: .first) : CommandClass(kind: .stateful, keys: .first)
        case .sadd: return argc >= 3 ? CommandClass(kind: .collectionAdd, keys: .first) : CommandClass(kind: .stateful, keys: .first)
        case .zadd:
            if argc >= 4, argc % 2 == 0, !isZAddOption(command[2]) { return CommandClass(kind: .collectionAdd, keys: .first) }
            return CommandClass(kind: .stateful, keys: .first)
        case .rpush: return argc >= 3 ? CommandClass(kind: .rightPush, keys: .first) : CommandClass(kind: .stateful, keys: .first)
        case .lpush: return argc >= 3 ? CommandClass(kind: .leftPush, keys: .first) : CommandClass(kind: .stateful, keys: .first)
        case .ltrim: return argc == 4 ? CommandClass(kind: .trim, keys: .first) : CommandClass(kind: .stateful, keys: .first)
        case .flush: return CommandClass(kind: .global, keys: .none)
        case .padding: return CommandClass(kind: .padding, keys: .none)
        case .singleKey: return CommandClass(kind: .stateful, keys: .first)
        }
    }

    private static func readOnlyOrStateful(_ command: RESPCommand) -> CommandClass {
        if KeyspaceModel.readOnly.contains(command.lowercasedName) { return CommandClass(kind: .readOnly, keys: .none) }
        return .stateful
    }

    private static func isDecimal(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty else { return false }
        for b in bytes where b < 0x30 || b > 0x39 { return false }
        return true
    }

    private static func isZAddOption(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == 2 || bytes.count == 4 else { return false }
        let p = PackedName(bytes)
        return zaddOptions.contains(p)
    }

    /// Calls `body` with each key argument of `command` (borrowed).
    @inline(__always)
    func forEachKey(_ command: RESPCommand, _ body: (UnsafeRawBufferPointer) -> Void) {
        let argc = command.count
        switch keys {
        case .none: return
        case .first: if argc > 1 { body(command[1]) }
        case .alternate:
            var i = 1
            while i < argc {
                body(command[i])
                i += 2
            }
        case .all:
            for i in 1..<max(1, argc) { body(command[i]) }
        }
    }

    enum Entry: Sendable {
        case set, getset, mset, msetnx, del, pksetexat, hset, sadd, zadd, rpush, lpush, ltrim, flush, padding
        case singleKey
    }

    static let zaddOptions: Set<PackedName> = Set(["nx", "xx", "gt", "lt", "ch", "incr"].map { PackedName($0) })

    /// Names whose only key is `argv[1]`, besides the ones with an entry of their own.
    static let singleKeyNames = [
        "setnx", "setex", "psetex", "incr", "decr", "incrby", "decrby", "incrbyfloat", "append", "setrange", "setbit",
        "getdel", "getex", "pfadd", "expire", "pexpire", "expireat", "pexpireat", "persist", "hsetnx", "hdel",
        "hincrby", "hincrbyfloat", "lpop", "rpop", "lset", "lrem", "linsert", "srem", "spop", "zincrby", "zrem",
        "zremrangebyscore", "zremrangebyrank", "zremrangebylex", "zpopmin", "zpopmax", "xadd", "xdel", "xtrim",
        "geoadd",
    ]

    /// The names with an entry of their own, then the single-key ones.
    static let table: [PackedName: Entry] = {
        var t: [PackedName: Entry] = [
            PackedName("set"): .set, PackedName("getset"): .getset, PackedName("mset"): .mset,
            PackedName("msetnx"): .msetnx, PackedName("del"): .del, PackedName("unlink"): .del,
            PackedName("pksetexat"): .pksetexat, PackedName("hset"): .hset, PackedName("hmset"): .hset,
            PackedName("sadd"): .sadd, PackedName("zadd"): .zadd, PackedName("rpush"): .rpush,
            PackedName("rpushx"): .rpush, PackedName("lpush"): .lpush, PackedName("lpushx"): .lpush,
            PackedName("ltrim"): .ltrim, PackedName("flushdb"): .flush, PackedName("flushall"): .flush,
            PackedName("padding"): .padding,
        ]
        for name in singleKeyNames { t[PackedName(name)] = .singleKey }
        return t
    }()
}

/// A command name of at most 16 bytes, ASCII-lowercased, packed into two words.
struct PackedName: Hashable, Sendable {
    var low: UInt64
    var high: UInt64
    var count: UInt8

    init(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= 16)
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { w in
            for i in 0..<bytes.count { w[i] = asciiLower(bytes[i]) }
        }
        low = words.0
        high = words.1
        count = UInt8(bytes.count)
    }

    init(_ text: String) {
        var s = text
        self = s.withUTF8 { PackedName(UnsafeRawBufferPointer($0)) }
    }
}

/// ``CommandClass/table`` as a fixed open-addressing array: a lookup per item costs a multiply and
/// a compare or two, not a SipHash.
struct NameTable: Sendable {
    static let shared = NameTable(CommandClass.table)

    private var names: [PackedName?]
    private var entries: [CommandClass.Entry]
    private let mask: Int

    init(_ table: [PackedName: CommandClass.Entry]) {
        var n = 16
        while n < table.count * 4 { n <<= 1 }
        mask = n - 1
        names = [PackedName?](repeating: nil, count: n)
        entries = [CommandClass.Entry](repeating: .singleKey, count: n)
        for (name, entry) in table {
            var i = Self.slot(name, mask)
            while names[i] != nil { i = (i + 1) & mask }
            names[i] = name
            entries[i] = entry
        }
    }

    @inline(__always)
    static func slot(_ name: PackedName, _ mask: Int) -> Int {
        let h = (name.low &* 0x9E37_79B9_7F4A_7C15) ^ (name.high &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(name.count)
        return Int(truncatingIfNeeded: h >> 40) & mask
    }

    @inline(__always)
    func lookup(_ name: PackedName) -> CommandClass.Entry? {
        var i = Self.slot(name, mask)
        while let candidate = names[i] {
            if candidate == name { return entries[i] }
            i = (i + 1) & mask
        }
        return nil
    }
}
