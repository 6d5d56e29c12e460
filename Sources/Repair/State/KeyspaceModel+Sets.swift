/// Sets: SADD/SREM (replay-safe), SPOP, SMOVE and the store commands (made absolute).
extension KeyspaceModel {
    struct KnownSet {
        var members: Set<[UInt8]>
        var expiresAtMs: Int64?
        var existed: Bool
    }

    /// The prior set of a replay-safe command: `nil` with `.keep` when unknown.
    mutating func priorSetForSafe(_ it: ModelItem) throws -> (KnownSet?, RewriteDecision?) {
        switch try prior(it.key, it) {
        case .unknown: return (nil, .keep)
        case .known(nil): return (KnownSet(members: [], expiresAtMs: nil, existed: false), nil)
        case .known(let entry?):
            guard case .set(let members) = entry.value else {
                return (nil, typeConflict(it, key: it.key, found: entry.value, replaySafe: true))
            }
            return (KnownSet(members: members, expiresAtMs: entry.expiresAtMs, existed: true), nil)
        }
    }

    /// The prior set of a command that is not replay-safe (throws when unknown).
    mutating func priorSet(_ key: [UInt8], _ it: ModelItem, writes: [[UInt8]]? = nil) throws -> (
        KnownSet?, RewriteDecision?
    ) {
        guard let entry = try need(key, it, writes: writes) else {
            return (KnownSet(members: [], expiresAtMs: nil, existed: false), nil)
        }
        guard case .set(let members) = entry.value else {
            return (nil, typeConflict(it, key: key, found: entry.value, replaySafe: false))
        }
        return (KnownSet(members: members, expiresAtMs: entry.expiresAtMs, existed: true), nil)
    }

    mutating func storeSet(_ key: [UInt8], _ set: KnownSet) {
        store(key, set.members.isEmpty ? nil : Entry(value: .set(set.members), expiresAtMs: set.expiresAtMs))
    }

    /// `SADD k m…`: replay-safe, kept.
    mutating func sadd(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 3 else { return malformed(it, "wrong number of arguments") }
        let (known, stop) = try priorSetForSafe(it)
        guard var set = known else { return stop! }
        detach(it.key)
        set.members.formUnion(it.args[2...])
        storeSet(it.key, set)
        return reassertingExpiry(it.key, it, [it.args], logged: true)
    }

    /// `SREM k m…`: replay-safe, kept; `del k` when it empties a known set.
    mutating func srem(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 3 else { return malformed(it, "wrong number of arguments") }
        let (known, stop) = try priorSetForSafe(it)
        guard var set = known else { return stop! }
        guard set.existed else { return .keep }
        detach(it.key)
        set.members.subtract(it.args[2...])
        storeSet(it.key, set)
        return set.members.isEmpty ? .replace([Self.command("del", it.key)]) : .keep
    }

    /// `SPOP k [count]` as sent (≤ v3.5.4): the popped members are random and not in the log, so
    /// only a pop that takes every member (or none) can be made absolute.
    mutating func spop(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 2 || it.args.count == 3 else { return malformed(it, "wrong number of arguments") }
        var count: Int64 = 1
        if it.args.count == 3 {
            guard let n = RedisNumbers.parseInt64(it.args[2]), n >= 0 else { return malformed(it, "bad count") }
            count = n
        }
        let (known, stop) = try priorSet(it.key, it)
        guard let set = known else { return stop! }
        guard set.existed, count > 0 else { return .replace([]) }
        if count >= Int64(set.members.count) {
            store(it.key, nil)
            return .replace([Self.command("del", it.key)])
        }
        let why = "SPOP removes random members that the log does not name (v3.5.5+ logs them as srem)"
        forget(it.key, why)
        return .unknownPriorState(key: it.key, reason: why)
    }

    /// `SMOVE s d m` as sent (≤ v3.4) → `srem s m` + `sadd d m` when it moved, nothing otherwise.
    mutating func smove(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4 else { return malformed(it, "wrong number of arguments") }
        let source = it.args[1]
        let destination = it.args[2]
        let member = it.args[3]
        let (known, stop) = try priorSet(source, it, writes: [source, destination])
        guard var from = known else { return stop! }
        guard from.members.contains(member) else { return .replace([]) }
        if source == destination { return .replace([]) }
        var out: [Command] = []
        // The destination only has to be a set (or absent); it may be unknown.
        switch try prior(destination, it) {
        case .known(let entry?):
            guard case .set(var to) = entry.value else {
                return typeConflict(it, key: destination, found: entry.value, replaySafe: false)
            }
            detach(destination)
            to.insert(member)
            store(destination, Entry(value: .set(to), expiresAtMs: entry.expiresAtMs))
        case .known(nil):
            store(destination, Entry(value: .set([member]), expiresAtMs: nil))
        case .unknown:
            break
        }
        detach(source)
        from.members.remove(member)
        storeSet(source, from)
        out.append(from.members.isEmpty ? Self.command("del", source) : Self.command("srem", source, member))
        out.append(Self.command("sadd", destination, member))
        return reassertingExpiry(destination, it, out, logged: false)
    }

    /// `SUNIONSTORE`/`SINTERSTORE`/`SDIFFSTORE d k…` as sent (≤ v3.4) → `del d` + `sadd d …`.
    mutating func setStore(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 3 else { return malformed(it, "wrong number of arguments") }
        let destination = it.args[1]
        var inputs: [Set<[UInt8]>] = []
        for key in it.args.dropFirst(2) {
            let (known, stop) = try priorSet(key, it, writes: [destination])
            guard let set = known else {
                forget(destination, "\(it.display) from a source the model holds as another type")
                return stop!
            }
            inputs.append(set.members)
        }
        var result: Set<[UInt8]>
        switch it.name {
        case "sunionstore": result = inputs.reduce(into: []) { $0.formUnion($1) }
        case "sinterstore": result = inputs.dropFirst().reduce(inputs[0]) { $0.intersection($1) }
        default: result = inputs.dropFirst().reduce(inputs[0]) { $0.subtracting($1) }
        }
        store(destination, result.isEmpty ? nil : Entry(value: .set(result), expiresAtMs: nil))
        return .replace(setForm(destination, result))
    }
}
