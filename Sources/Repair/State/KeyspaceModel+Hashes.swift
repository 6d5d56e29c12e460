/// Hashes: HSET/HMSET/HSETNX/HDEL (replay-safe) and HINCRBY/HINCRBYFLOAT (made absolute).
extension KeyspaceModel {
    /// A known hash (empty when absent) and its expiry.
    struct KnownHash {
        var fields: [[UInt8]: [UInt8]]
        var expiresAtMs: Int64?
        var existed: Bool
    }

    /// The prior hash for a replay-safe command: `nil` when the key is unknown (keep it without
    /// modelling); the decision to return on a type conflict.
    mutating func priorHashForSafe(_ it: ModelItem) throws -> (KnownHash?, RewriteDecision?) {
        switch try prior(it.key, it) {
        case .unknown: return (nil, .keep)
        case .known(nil): return (KnownHash(fields: [:], expiresAtMs: nil, existed: false), nil)
        case .known(let entry?):
            guard case .hash(let fields) = entry.value else {
                return (nil, typeConflict(it, key: it.key, found: entry.value, replaySafe: true))
            }
            return (KnownHash(fields: fields, expiresAtMs: entry.expiresAtMs, existed: true), nil)
        }
    }

    /// The prior hash of a command that is not replay-safe (throws when unknown).
    mutating func priorHash(_ it: ModelItem) throws -> (KnownHash?, RewriteDecision?) {
        guard let entry = try need(it.key, it) else {
            return (KnownHash(fields: [:], expiresAtMs: nil, existed: false), nil)
        }
        guard case .hash(let fields) = entry.value else {
            return (nil, typeConflict(it, key: it.key, found: entry.value, replaySafe: false))
        }
        return (KnownHash(fields: fields, expiresAtMs: entry.expiresAtMs, existed: true), nil)
    }

    mutating func storeHash(_ key: [UInt8], _ hash: KnownHash) {
        store(key, hash.fields.isEmpty ? nil : Entry(value: .hash(hash.fields), expiresAtMs: hash.expiresAtMs))
    }

    /// `HSET k f v [f v …]` / `HMSET`: replay-safe, kept.
    mutating func hset(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 4, it.args.count % 2 == 0 else { return malformed(it, "odd field/value list") }
        let (known, stop) = try priorHashForSafe(it)
        guard var hash = known else { return stop! }
        detach(it.key)
        for i in stride(from: 2, to: it.args.count, by: 2) { hash.fields[it.args[i]] = it.args[i + 1] }
        storeHash(it.key, hash)
        return reassertingExpiry(it.key, it, [it.args], logged: true)
    }

    /// `HSETNX k f v`: replay-safe; when the hash is known, `hset` if it set the field, nothing if not.
    mutating func hsetnx(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4 else { return malformed(it, "wrong number of arguments") }
        let (known, stop) = try priorHashForSafe(it)
        guard var hash = known else { return stop! }
        if hash.fields[it.args[2]] != nil { return .replace([]) }
        detach(it.key)
        hash.fields[it.args[2]] = it.args[3]
        storeHash(it.key, hash)
        return reassertingExpiry(it.key, it, [Self.command("hset", it.key, it.args[2], it.args[3])], logged: false)
    }

    /// `HDEL k f…`: replay-safe, kept; `del k` when it empties a known hash (so that a replay
    /// drops the expiry too, as the deletion of the key did).
    mutating func hdel(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 3 else { return malformed(it, "wrong number of arguments") }
        let (known, stop) = try priorHashForSafe(it)
        guard var hash = known else { return stop! }
        guard hash.existed else { return .keep }
        detach(it.key)
        for field in it.args.dropFirst(2) { hash.fields[field] = nil }
        storeHash(it.key, hash)
        return hash.fields.isEmpty ? .replace([Self.command("del", it.key)]) : .keep
    }

    /// `HINCRBY k f n` → `hset k f <result>`.
    mutating func hincrby(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4, let delta = RedisNumbers.parseInt64(it.args[3]) else {
            return malformed(it, "expected key, field, integer")
        }
        let (known, stop) = try priorHash(it)
        guard var hash = known else { return stop! }
        var current: Int64 = 0
        if let old = hash.fields[it.args[2]] {
            guard let v = RedisNumbers.parseInt64(old) else {
                return diverged(it, key: it.key, "fails (field is not an integer)", replaySafe: false)
            }
            current = v
        }
        let (result, overflow) = current.addingReportingOverflow(delta)
        if overflow { return diverged(it, key: it.key, "overflows", replaySafe: false) }
        let value = RedisNumbers.format(result)
        detach(it.key)
        hash.fields[it.args[2]] = value
        storeHash(it.key, hash)
        return reassertingExpiry(it.key, it, [Self.command("hset", it.key, it.args[2], value)], logged: false)
    }

    /// `HINCRBYFLOAT k f x` → `hset k f <result>`, formatted as Redis does.
    mutating func hincrbyfloat(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4, let increment = RedisNumbers.parseLongDouble(it.args[3]) else {
            return malformed(it, "expected key, field, number")
        }
        let (known, stop) = try priorHash(it)
        guard var hash = known else { return stop! }
        var current: RedisLongDouble = 0
        if let old = hash.fields[it.args[2]] {
            guard let v = RedisNumbers.parseLongDouble(old) else {
                return diverged(it, key: it.key, "fails (field is not a float)", replaySafe: false)
            }
            current = v
        }
        guard let value = RedisNumbers.formatLongDouble(current + increment) else {
            return diverged(it, key: it.key, "gives NaN or infinity", replaySafe: false)
        }
        detach(it.key)
        hash.fields[it.args[2]] = value
        storeHash(it.key, hash)
        return reassertingExpiry(it.key, it, [Self.command("hset", it.key, it.args[2], value)], logged: false)
    }
}
