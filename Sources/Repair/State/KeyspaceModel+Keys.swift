/// Whole keys: DEL, expiries, FLUSHDB/FLUSHALL, PKPATTERNMATCHDEL.
extension KeyspaceModel {
    /// `DEL k…` (any type; Pika v3 deletes every type under the name): absolute.
    mutating func del(_ it: ModelItem) -> RewriteDecision {
        for key in it.args.dropFirst() { store(key, nil) }
        return .keep
    }

    /// `EXPIRE`/`PEXPIRE` (relative: logged as sent only by v2.x) and `EXPIREAT`/`PEXPIREAT`
    /// (absolute), with Redis 7's NX/XX/GT/LT conditions.
    mutating func expire(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 3, let n = RedisNumbers.parseInt64(it.args[2]),
            let rule = CommandCatalogue.expiryRule(named: it.name)
        else {
            return malformed(it, "expected key and time")
        }
        let (ms, overflow) = n.multipliedReportingOverflow(by: rule.millisecondsPerUnit)
        guard !overflow else { return malformed(it, "time out of range") }
        let relative = rule.isRelative
        let expiresAtMs = relative ? it.execMs &+ ms : ms
        var condition: String? = nil
        for option in it.args.dropFirst(3) {
            let o = Self.lower(option)
            guard ["nx", "xx", "gt", "lt"].contains(o), condition == nil else { return malformed(it, "bad option") }
            condition = o
        }
        if condition == nil, let previous = previousReassertion, previous.key == it.key,
            previous.expiresAtMs == expiresAtMs, previous.execSeconds == it.execSeconds
        {
            // The expiry the previous item's rewrite already wrote again (this rewrite's own
            // output, read back): nothing to add.
            return .replace([])
        }
        let entry: Entry?
        if let condition {
            entry = try need(it.key, it)
            if let current = entry {
                let has = current.expiresAtMs
                let applies: Bool
                switch condition {
                case "nx": applies = has == nil
                case "xx": applies = has != nil
                case "gt": applies = has.map { expiresAtMs > $0 } ?? false
                default: applies = has.map { expiresAtMs < $0 } ?? true
                }
                if !applies { return .replace([]) }
            }
        } else {
            switch try prior(it.key, it) {
            case .unknown:
                return relative ? .replace([expiryForm(it.key, expiresAtMs)]) : .keep
            case .known(let e):
                entry = e
            }
        }
        guard var live = entry else { return relative || condition != nil ? .replace([]) : .keep }
        let previous = live.expiresAtMs
        switch Self.liveness(expiresAtMs, execMs: it.execMs) {
        case .expired:
            store(it.key, nil)
        case .ambiguous:
            forget(it.key, "\(it.display) sets an expiry within a second of its exec time")
        case .live:
            live.expiresAtMs = expiresAtMs
            store(it.key, live)
            if let previous, expiresAtMs > previous, let whole = wholeForm(it.key, live) {
                // A late replay may find the key gone at its old expiry: write it again.
                return .replace(whole)
            }
        }
        return relative || condition != nil ? .replace([expiryForm(it.key, expiresAtMs)]) : .keep
    }

    /// `PERSIST k`: absolute (drops the expiry).
    mutating func persist(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 2 else { return malformed(it, "wrong number of arguments") }
        guard case .known(var entry?) = try prior(it.key, it), entry.expiresAtMs != nil else { return .keep }
        entry.expiresAtMs = nil
        store(it.key, entry)
        // A late replay may find the key gone at its old expiry: write it again, without one.
        return wholeForm(it.key, entry).map { .replace($0) } ?? .keep
    }

    /// `DELVX k v` (Pika): deletes the key when its string value is `v`; conditional → `del k` or nothing.
    mutating func delvx(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 3 else { return malformed(it, "wrong number of arguments") }
        guard let entry = try need(it.key, it), case .string(let value) = entry.value, value == it.args[2] else {
            return .replace([])
        }
        store(it.key, nil)
        return .replace([Self.command("del", it.key)])
    }

    /// `FLUSHDB`/`FLUSHALL`: every key known and absent from here on. Order-critical (Docs/Format.md §C4),
    /// replay-safe in order.
    mutating func flush(_ it: ModelItem) -> RewriteDecision {
        slots = [:]
        deletedPatterns = []
        untrackedAreAbsent = true
        untrackedUnknownReason = nil
        return .keep
    }

    /// `PKPATTERNMATCHDEL pattern` (Pika v4): deletes the keys matching a glob; replay-safe in
    /// order. Redis has no such command: the Redis form deletes the matching keys by name, which
    /// needs every key to be known.
    mutating func patternDelete(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 2 else { return malformed(it, "wrong number of arguments") }
        let pattern = it.args[1]
        // Every matching key is absent afterwards, unknown ones included.
        var matched: [[UInt8]] = []
        for (key, slot) in slots {
            if case .known(nil) = slot { continue }
            let hit = pattern.withUnsafeBytes { p in key.withUnsafeBytes { k in globMatch(pattern: p, string: k) } }
            if hit { matched.append(key) }
        }
        for key in matched { store(key, nil) }
        if !untrackedAreAbsent || untrackedUnknownReason != nil { deletedPatterns.append(pattern) }
        guard dialect == .redis else { return .keep }
        guard untrackedAreAbsent && untrackedUnknownReason == nil else {
            return .unknownPriorState(
                key: pattern,
                reason: "PKPATTERNMATCHDEL has no Redis form unless every key is known; kept as logged")
        }
        return .replace(matched.sorted { $0.lexicographicallyPrecedes($1) }.map { Self.command("del", $0) })
    }
}
