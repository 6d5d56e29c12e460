/// The absolute commands a rewrite emits, in either dialect. Each sets what it touches to a value
/// that does not depend on the state it is applied to.
extension KeyspaceModel {
    typealias Command = [[UInt8]]

    static func command(_ name: String, _ args: [UInt8]...) -> Command {
        [Array(name.utf8)] + args
    }

    static func decimal(_ v: Int64) -> [UInt8] { Array(String(v).utf8) }

    /// A string with its absolute expiry.
    /// - Pika: `set k v`, or `pksetexat k <s> v` for a whole-second expiry, or `set k v` then
    ///   `pexpireat k <ms>` (a v4.0.1 replica rejects milliseconds in `pksetexat`, Docs/Format.md §C3).
    /// - Redis: `set k v`, `set k v EXAT s`, `set k v PXAT ms`.
    func stringForm(_ key: [UInt8], _ value: [UInt8], expiresAtMs: Int64?) -> [Command] {
        guard let e = expiresAtMs else { return [Self.command("set", key, value)] }
        let whole = e % 1000 == 0
        switch dialect {
        case .pika:
            if whole, e > 0 { return [Self.command("pksetexat", key, Self.decimal(e / 1000), value)] }
            return [Self.command("set", key, value), Self.command("pexpireat", key, Self.decimal(e))]
        case .redis:
            if whole, e > 0 {
                return [Self.command("set", key, value, Array("EXAT".utf8), Self.decimal(e / 1000))]
            }
            return [Self.command("set", key, value, Array("PXAT".utf8), Self.decimal(max(e, 1)))]
        }
    }

    /// `expireat k <s>` for a whole second, else `pexpireat k <ms>`.
    func expiryForm(_ key: [UInt8], _ expiresAtMs: Int64) -> Command {
        if expiresAtMs % 1000 == 0 {
            return Self.command("expireat", key, Self.decimal(expiresAtMs / 1000))
        }
        return Self.command("pexpireat", key, Self.decimal(expiresAtMs))
    }

    /// The commands of a write that can create `key`, followed by `key`'s modelled expiry (as
    /// stored after the write) when it has one; without one, `.keep` when `commands` is the item as
    /// logged (`logged`), else `.replace(commands)`.
    ///
    /// A late replay finds a key whose expiry has passed already deleted, and the write recreates
    /// it without the expiry; the expiry written again deletes it as the original timeline did.
    mutating func reassertingExpiry(_ key: [UInt8], _ it: ModelItem, _ commands: [Command], logged: Bool)
        -> RewriteDecision
    {
        guard case .known(let entry?) = slots[key], let e = entry.expiresAtMs else {
            return logged ? .keep : .replace(commands)
        }
        reassertion = (key, e, it.execSeconds)
        return .replace(commands + [expiryForm(key, e)])
    }

    /// The whole key as absolute commands, with its expiry: what a late replay needs when the key
    /// may have expired there but lives on in the log (PERSIST or a later expiry). `nil` for a
    /// stream (re-adding entries cannot restore its last ID everywhere).
    func wholeForm(_ key: [UInt8], _ entry: Entry) -> [Command]? {
        var out: [Command]
        switch entry.value {
        case .string(let v): return stringForm(key, v, expiresAtMs: entry.expiresAtMs)
        case .list(let items): return listForm(key, items, expiresAtMs: entry.expiresAtMs)
        case .hash(let fields):
            let flat = fields.sorted { $0.key.lexicographicallyPrecedes($1.key) }.flatMap { [$0.key, $0.value] }
            out = [Self.command("del", key)] + chunked("hmset", key, flat, perItem: 2)
        case .set(let members): out = setForm(key, members)
        case .zset(let scores): out = zsetForm(key, scores)
        case .stream: return nil
        }
        if let e = entry.expiresAtMs { out.append(expiryForm(key, e)) }
        return out
    }

    /// `name key <items…>` split so that no command carries more than ``chunkByteCount`` bytes
    /// of items (at least one item each).
    func chunked(_ name: String, _ key: [UInt8], _ items: [[UInt8]], perItem: Int = 1) -> [Command] {
        var out: [Command] = []
        var current: Command = [Array(name.utf8), key]
        var bytes = 0
        var index = 0
        while index < items.count {
            let group = items[index..<min(index + perItem, items.count)]
            let size = group.reduce(0) { $0 + $1.count }
            if current.count > 2 && bytes + size > chunkByteCount {
                out.append(current)
                current = [Array(name.utf8), key]
                bytes = 0
            }
            current.append(contentsOf: group)
            bytes += size
            index += perItem
        }
        if current.count > 2 { out.append(current) }
        return out
    }

    /// A whole list: `del k`, `rpush k …` (split), and its expiry again (DEL dropped it).
    func listForm(_ key: [UInt8], _ list: [[UInt8]], expiresAtMs: Int64?) -> [Command] {
        guard !list.isEmpty else { return [Self.command("del", key)] }
        var out = [Self.command("del", key)] + chunked("rpush", key, list)
        if let e = expiresAtMs { out.append(expiryForm(key, e)) }
        return out
    }

    /// A whole set, for the store commands: `del d`, `sadd d …` (split). A store leaves no expiry.
    func setForm(_ key: [UInt8], _ members: Set<[UInt8]>) -> [Command] {
        guard !members.isEmpty else { return [Self.command("del", key)] }
        return [Self.command("del", key)] + chunked("sadd", key, members.sorted { $0.lexicographicallyPrecedes($1) })
    }

    /// A whole sorted set, for the store commands: `del d`, `zadd d score member …` (split).
    func zsetForm(_ key: [UInt8], _ scores: [[UInt8]: Double]) -> [Command] {
        guard !scores.isEmpty else { return [Self.command("del", key)] }
        var flat: [[UInt8]] = []
        for (member, score) in Self.ordered(scores) {
            flat.append(RedisNumbers.formatDouble(score))
            flat.append(member)
        }
        return [Self.command("del", key)] + chunked("zadd", key, flat, perItem: 2)
    }

    /// Members by score, then bytewise (Redis' order).
    static func ordered(_ scores: [[UInt8]: Double]) -> [([UInt8], Double)] {
        scores.map { ($0.key, $0.value) }.sorted { a, b in
            a.1 != b.1 ? a.1 < b.1 : a.0.lexicographicallyPrecedes(b.0)
        }
    }
}

extension KeyspaceModel {
    /// The commands that set `key` to its modelled state at `execSeconds` whatever a server holds
    /// for it: `del key`, then its whole value with its expiry. The error names why the state is
    /// unknown (no snapshot, an expiry within a second of that time, a stream).
    public mutating func resetCommands(_ key: [UInt8], execSeconds: Int64) throws -> Result<[[[UInt8]]], ResetUnknown> {
        let at = ModelItem(name: "", args: [], execSeconds: execSeconds)
        switch try prior(key, at) {
        case .unknown(let why):
            return .failure(ResetUnknown(why: why))
        case .known(nil):
            return .success([Self.command("del", key)])
        case .known(let entry?):
            guard let whole = wholeForm(key, entry) else {
                return .failure(ResetUnknown(why: "a stream: re-adding its entries cannot restore its last ID"))
            }
            return .success(whole.first?.first == Array("del".utf8) ? whole : [Self.command("del", key)] + whole)
        }
    }

    /// Why ``resetCommands(_:execSeconds:)`` cannot write a key.
    public struct ResetUnknown: Error, Sendable {
        public var why: String
    }
}
