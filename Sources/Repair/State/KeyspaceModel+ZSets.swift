/// Sorted sets: ZADD (plain: replay-safe; INCR or conditions: made absolute), ZINCRBY, ZREM and
/// the range removals, ZPOPMIN/ZPOPMAX, the store commands.
extension KeyspaceModel {
    struct KnownZSet {
        var scores: [[UInt8]: Double]
        var expiresAtMs: Int64?
        var existed: Bool
    }

    /// The prior sorted set of a replay-safe command: `nil` with `.keep` when unknown.
    mutating func priorZSetForSafe(_ it: ModelItem) throws -> (KnownZSet?, RewriteDecision?) {
        switch try prior(it.key, it) {
        case .unknown: return (nil, .keep)
        case .known(nil): return (KnownZSet(scores: [:], expiresAtMs: nil, existed: false), nil)
        case .known(let entry?):
            guard case .zset(let scores) = entry.value else {
                return (nil, typeConflict(it, key: it.key, found: entry.value, replaySafe: true))
            }
            return (KnownZSet(scores: scores, expiresAtMs: entry.expiresAtMs, existed: true), nil)
        }
    }

    /// The prior sorted set of a command that is not replay-safe (throws when unknown).
    mutating func priorZSet(_ key: [UInt8], _ it: ModelItem, writes: [[UInt8]]? = nil) throws -> (
        KnownZSet?, RewriteDecision?
    ) {
        guard let entry = try need(key, it, writes: writes) else {
            return (KnownZSet(scores: [:], expiresAtMs: nil, existed: false), nil)
        }
        guard case .zset(let scores) = entry.value else {
            return (nil, typeConflict(it, key: key, found: entry.value, replaySafe: false))
        }
        return (KnownZSet(scores: scores, expiresAtMs: entry.expiresAtMs, existed: true), nil)
    }

    mutating func storeZSet(_ key: [UInt8], _ zset: KnownZSet) {
        store(key, zset.scores.isEmpty ? nil : Entry(value: .zset(zset.scores), expiresAtMs: zset.expiresAtMs))
    }

    /// The form of a removal from a known sorted set: nothing, `del k` when it emptied the set,
    /// else `zrem k <removed members>`.
    mutating func removeMembers(_ key: [UInt8], _ zset: KnownZSet, _ removed: [[UInt8]]) -> RewriteDecision {
        guard !removed.isEmpty else { return .replace([]) }
        var zset = zset
        detach(key)
        for member in removed { zset.scores[member] = nil }
        storeZSet(key, zset)
        if zset.scores.isEmpty { return .replace([Self.command("del", key)]) }
        return .replace(chunked("zrem", key, removed))
    }

    /// `ZADD k [NX|XX] [GT|LT] [CH] [INCR] score member …`.
    mutating func zadd(_ it: ModelItem) throws -> RewriteDecision {
        var flags: Set<String> = []
        var i = 2
        while i < it.args.count {
            let option = Self.lower(it.args[i])
            guard ["nx", "xx", "gt", "lt", "ch", "incr"].contains(option) else { break }
            flags.insert(option)
            i += 1
        }
        let pairs = Array(it.args[i...])
        guard it.args.count >= 2, !pairs.isEmpty, pairs.count % 2 == 0 else {
            return malformed(it, "odd score/member list")
        }
        let incr = flags.contains("incr")
        let conditional = !flags.isDisjoint(with: ["nx", "xx", "gt", "lt"])
        if (flags.contains("nx") && (flags.contains("xx") || flags.contains("gt") || flags.contains("lt")))
            || (flags.contains("gt") && flags.contains("lt")) || (incr && pairs.count != 2)
        {
            return malformed(it, "incompatible options")
        }
        var updates: [(member: [UInt8], score: Double)] = []
        for p in stride(from: 0, to: pairs.count, by: 2) {
            guard let score = RedisNumbers.parseDouble(pairs[p]) else { return malformed(it, "score is not a number") }
            updates.append((pairs[p + 1], score))
        }
        if !incr && !conditional {
            let (known, stop) = try priorZSetForSafe(it)
            guard var zset = known else { return stop! }
            detach(it.key)
            for u in updates { zset.scores[u.member] = u.score }
            storeZSet(it.key, zset)
            return reassertingExpiry(it.key, it, [it.args], logged: true)
        }
        let (known, stop) = try priorZSet(it.key, it)
        guard var zset = known else { return stop! }
        var changed: [[UInt8]] = []
        for u in updates {
            let current = zset.scores[u.member]
            if flags.contains("nx") && current != nil { continue }
            if flags.contains("xx") && current == nil { continue }
            let score = incr ? (current ?? 0) + u.score : u.score
            if score.isNaN { return diverged(it, key: it.key, "gives NaN", replaySafe: false) }
            if let current {
                if flags.contains("gt") && !(score > current) { continue }
                if flags.contains("lt") && !(score < current) { continue }
                if score == current && score.sign == current.sign { continue }
            }
            if changed.isEmpty { detach(it.key) }
            zset.scores[u.member] = score
            changed.append(RedisNumbers.formatDouble(score))
            changed.append(u.member)
        }
        guard !changed.isEmpty else { return .replace([]) }
        storeZSet(it.key, zset)
        return reassertingExpiry(it.key, it, chunked("zadd", it.key, changed, perItem: 2), logged: false)
    }

    /// `ZINCRBY k increment member` → `zadd k <score> member`.
    mutating func zincrby(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4, let increment = RedisNumbers.parseDouble(it.args[2]) else {
            return malformed(it, "expected key, increment, member")
        }
        let (known, stop) = try priorZSet(it.key, it)
        guard var zset = known else { return stop! }
        let score = (zset.scores[it.args[3]] ?? 0) + increment
        if score.isNaN { return diverged(it, key: it.key, "gives NaN", replaySafe: false) }
        detach(it.key)
        zset.scores[it.args[3]] = score
        storeZSet(it.key, zset)
        return reassertingExpiry(
            it.key, it, [Self.command("zadd", it.key, RedisNumbers.formatDouble(score), it.args[3])], logged: false)
    }

    /// `ZREM k m…`: replay-safe, kept; `del k` when it empties a known set.
    mutating func zrem(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 3 else { return malformed(it, "wrong number of arguments") }
        let (known, stop) = try priorZSetForSafe(it)
        guard var zset = known else { return stop! }
        guard zset.existed else { return .keep }
        detach(it.key)
        for member in it.args.dropFirst(2) { zset.scores[member] = nil }
        storeZSet(it.key, zset)
        return zset.scores.isEmpty ? .replace([Self.command("del", it.key)]) : .keep
    }

    /// A `ZRANGEBYSCORE`-style bound: `(x` exclusive, `-inf`, `+inf`.
    static func scoreBound(_ bytes: [UInt8]) -> (value: Double, exclusive: Bool)? {
        if bytes.first == UInt8(ascii: "(") {
            guard let v = RedisNumbers.parseDouble(Array(bytes.dropFirst())) else { return nil }
            return (v, true)
        }
        guard let v = RedisNumbers.parseDouble(bytes) else { return nil }
        return (v, false)
    }

    /// A `ZRANGEBYLEX` bound: `-`, `+`, `[x` inclusive, `(x` exclusive.
    enum LexBound {
        case minusInfinity, plusInfinity
        case value([UInt8], exclusive: Bool)

        init?(_ bytes: [UInt8]) {
            switch bytes.first {
            case UInt8(ascii: "-") where bytes.count == 1: self = .minusInfinity
            case UInt8(ascii: "+") where bytes.count == 1: self = .plusInfinity
            case UInt8(ascii: "["): self = .value(Array(bytes.dropFirst()), exclusive: false)
            case UInt8(ascii: "("): self = .value(Array(bytes.dropFirst()), exclusive: true)
            default: return nil
            }
        }

        func allowsAbove(_ member: [UInt8]) -> Bool {  // as a minimum
            switch self {
            case .minusInfinity: return true
            case .plusInfinity: return false
            case .value(let v, let exclusive):
                return exclusive ? v.lexicographicallyPrecedes(member) : !member.lexicographicallyPrecedes(v)
            }
        }

        func allowsBelow(_ member: [UInt8]) -> Bool {  // as a maximum
            switch self {
            case .minusInfinity: return false
            case .plusInfinity: return true
            case .value(let v, let exclusive):
                return exclusive ? member.lexicographicallyPrecedes(v) : !v.lexicographicallyPrecedes(member)
            }
        }
    }

    /// `ZREMRANGEBYSCORE`/`ZREMRANGEBYLEX k min max`: replay-safe in order; on a known set
    /// written as `zrem` of the members it removed (exact in both dialects: Pika's by-lex range
    /// ignores scores, Redis' assumes equal scores).
    mutating func zremrangeByValue(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4 else { return malformed(it, "wrong number of arguments") }
        let inRange: ([UInt8], Double) -> Bool
        if it.name == "zremrangebyscore" {
            guard let min = Self.scoreBound(it.args[2]), let max = Self.scoreBound(it.args[3]) else {
                return malformed(it, "bad score range")
            }
            inRange = { _, s in
                (min.exclusive ? s > min.value : s >= min.value) && (max.exclusive ? s < max.value : s <= max.value)
            }
        } else {
            guard let min = LexBound(it.args[2]), let max = LexBound(it.args[3]) else {
                return malformed(it, "bad lex range")
            }
            inRange = { m, _ in min.allowsAbove(m) && max.allowsBelow(m) }
        }
        let (known, stop) = try priorZSetForSafe(it)
        guard let zset = known else { return stop! }
        guard zset.existed else { return .keep }
        let removed = Self.ordered(zset.scores).filter { inRange($0.0, $0.1) }.map(\.0)
        return removeMembers(it.key, zset, removed)
    }

    /// Redis' rank window: the ranks `start…end` of a `length`-element range, or nil.
    static func rankWindow(_ start: Int64, _ end: Int64, length: Int) -> ClosedRange<Int>? {
        let n = Int64(length)
        var s = start < 0 ? n + start : start
        var e = end < 0 ? n + end : end
        if s < 0 { s = 0 }
        if s > e || s >= n { return nil }
        if e >= n { e = n - 1 }
        return Int(s)...Int(e)
    }

    /// `ZREMRANGEBYRANK k start stop` → `zrem k <members at those ranks>`.
    mutating func zremrangebyrank(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4, let start = RedisNumbers.parseInt64(it.args[2]),
            let end = RedisNumbers.parseInt64(it.args[3])
        else { return malformed(it, "expected key, start, stop") }
        let (known, stop) = try priorZSet(it.key, it)
        guard let zset = known else { return stop! }
        let order = Self.ordered(zset.scores)
        guard let window = Self.rankWindow(start, end, length: order.count) else { return .replace([]) }
        return removeMembers(it.key, zset, order[window].map(\.0))
    }

    /// `ZPOPMIN`/`ZPOPMAX k [count]` as sent → `zrem k <members popped>`.
    mutating func zpop(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 2 || it.args.count == 3 else { return malformed(it, "wrong number of arguments") }
        var count: Int64 = 1
        if it.args.count == 3 {
            guard let n = RedisNumbers.parseInt64(it.args[2]) else { return malformed(it, "bad count") }
            count = n
        }
        let (known, stop) = try priorZSet(it.key, it)
        guard let zset = known else { return stop! }
        guard count > 0 else { return .replace([]) }
        var order = Self.ordered(zset.scores)
        if it.name == "zpopmax" { order.reverse() }
        return removeMembers(it.key, zset, order.prefix(Int(min(count, Int64(order.count)))).map(\.0))
    }

    /// `ZUNIONSTORE`/`ZINTERSTORE d numkeys k… [WEIGHTS w…] [AGGREGATE SUM|MIN|MAX]` as sent
    /// (≤ v3.4) → `del d` + `zadd d …`. Sets count as scores of 1.
    mutating func zstore(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 4, let n = RedisNumbers.parseInt64(it.args[2]), n >= 1, 3 + Int(n) <= it.args.count
        else { return malformed(it, "bad numkeys") }
        let destination = it.args[1]
        let keys = Array(it.args[3..<(3 + Int(n))])
        var weights = [Double](repeating: 1, count: keys.count)
        var aggregate = "sum"
        var i = 3 + Int(n)
        while i < it.args.count {
            switch Self.lower(it.args[i]) {
            case "weights":
                guard i + keys.count < it.args.count else { return malformed(it, "too few weights") }
                for k in 0..<keys.count {
                    guard let w = RedisNumbers.parseDouble(it.args[i + 1 + k]) else {
                        return malformed(it, "bad weight")
                    }
                    weights[k] = w
                }
                i += 1 + keys.count
            case "aggregate":
                guard i + 1 < it.args.count else { return malformed(it, "missing aggregate") }
                aggregate = Self.lower(it.args[i + 1])
                guard ["sum", "min", "max"].contains(aggregate) else { return malformed(it, "bad aggregate") }
                i += 2
            default:
                return malformed(it, "unknown option")
            }
        }
        var inputs: [[[UInt8]: Double]] = []
        for key in keys {
            guard let entry = try need(key, it, writes: [destination]) else {
                inputs.append([:])
                continue
            }
            switch entry.value {
            case .zset(let scores): inputs.append(scores)
            case .set(let members): inputs.append(Dictionary(uniqueKeysWithValues: members.map { ($0, 1.0) }))
            default:
                forget(destination, "\(it.display) from a source the model holds as another type")
                return typeConflict(it, key: key, found: entry.value, replaySafe: false)
            }
        }
        func combine(_ a: Double, _ b: Double) -> Double {
            switch aggregate {
            case "min": return Swift.min(a, b)
            case "max": return Swift.max(a, b)
            default:
                let s = a + b
                return s.isNaN ? 0 : s
            }
        }
        var result: [[UInt8]: Double] = [:]
        for (k, input) in inputs.enumerated() {
            for (member, score) in input {
                var weighted = score * weights[k]
                if weighted.isNaN { weighted = 0 }
                if it.name == "zinterstore" && k > 0 && result[member] == nil { continue }
                result[member] = result[member].map { combine($0, weighted) } ?? weighted
            }
            if it.name == "zinterstore" && k > 0 {
                result = result.filter { input[$0.key] != nil }
            }
        }
        store(destination, result.isEmpty ? nil : Entry(value: .zset(result), expiresAtMs: nil))
        return .replace(zsetForm(destination, result))
    }
}
