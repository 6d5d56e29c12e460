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

    /// Classifies a borrowed command (no allocation for names up to 16 bytes), from its
    /// ``CommandCatalogue`` entry.
    static func of(_ command: RESPCommand) -> CommandClass {
        let argc = command.count
        guard argc >= 1 else { return CommandClass(kind: .readOnly, keys: .none) }
        guard let index = CommandCatalogue.index(of: command) else { return .stateful }
        let base = bases[index]
        if base.isReadOnly { return CommandClass(kind: .readOnly, keys: .none) }
        guard let entry = base.entry else { return .stateful }
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

    /// What ``of(_:)`` needs of each ``CommandCatalogue/all`` spec, by index: a trivial value
    /// (copying a `CommandSpec` per item costs reference counting).
    struct Base {
        var isReadOnly: Bool
        var entry: Entry?
    }

    static let bases: [Base] = CommandCatalogue.all.map { Base(isReadOnly: $0.isReadOnly, entry: $0.rewriteEntry) }

    enum Entry: Sendable {
        case set, getset, mset, msetnx, del, pksetexat, hset, sadd, zadd, rpush, lpush, ltrim, flush, padding
        case singleKey
    }

    static let zaddOptions: Set<PackedName> = Set(["nx", "xx", "gt", "lt", "ch", "incr"].map { PackedName($0) })
}
