/// Lists. No list command but DEL is replay-safe (Docs/Format.md §C2), and Redis/Pika have no command that
/// sets a list, so a list that changed is written whole: `del k`, `rpush k <every element>`, its
/// expiry again. A list that became empty is `del k`; a command that changed nothing is left out.
extension KeyspaceModel {
    struct KnownList {
        var items: [[UInt8]]
        var expiresAtMs: Int64?
        var existed: Bool
    }

    /// The prior list (empty when absent); throws when unknown.
    mutating func priorList(_ key: [UInt8], _ it: ModelItem, writes: [[UInt8]]? = nil) throws -> PriorList {
        guard let entry = try need(key, it, writes: writes) else {
            return .list(KnownList(items: [], expiresAtMs: nil, existed: false))
        }
        guard case .list(let items) = entry.value else {
            return .stop(typeConflict(it, key: key, found: entry.value, replaySafe: false))
        }
        return .list(KnownList(items: items, expiresAtMs: entry.expiresAtMs, existed: true))
    }

    /// A list command's prior list, or the decision that ends it there (another type at the key).
    enum PriorList {
        case list(KnownList)
        case stop(RewriteDecision)
    }

    /// Stores a changed list and returns its whole-list form.
    mutating func storeList(_ key: [UInt8], _ list: KnownList) -> [Command] {
        store(key, list.items.isEmpty ? nil : Entry(value: .list(list.items), expiresAtMs: list.expiresAtMs))
        return listForm(key, list.items, expiresAtMs: list.items.isEmpty ? nil : list.expiresAtMs)
    }

    /// `LPUSH`/`RPUSH`/`LPUSHX`/`RPUSHX k e…`.
    mutating func push(_ it: ModelItem, continuesWholeWrite: Bool) throws -> RewriteDecision {
        guard it.args.count >= 3 else { return malformed(it, "wrong number of arguments") }
        var list: KnownList
        switch try priorList(it.key, it) {
        case .list(let l): list = l
        case .stop(let decision): return decision
        }
        if it.name.hasSuffix("x") && !list.existed { return .replace([]) }
        detach(it.key)
        let elements = it.args[2...]
        if it.name.hasPrefix("l") {
            list.items.insert(contentsOf: elements.reversed(), at: 0)
        } else {
            list.items.append(contentsOf: elements)
        }
        let form = storeList(it.key, list)
        // After `del k` in the same second: part of a whole-list write, already absolute.
        return continuesWholeWrite ? .keep : .replace(form)
    }

    /// `LPOP`/`RPOP k [count]` (also what BLPOP/BRPOP and RPOPLPUSH are logged as from v3.5).
    mutating func pop(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 2 || it.args.count == 3 else { return malformed(it, "wrong number of arguments") }
        var count = 1
        if it.args.count == 3 {
            guard let n = RedisNumbers.parseInt64(it.args[2]), n >= 0 else { return malformed(it, "bad count") }
            count = Int(min(n, Int64(Int32.max)))
        }
        var list: KnownList
        switch try priorList(it.key, it) {
        case .list(let l): list = l
        case .stop(let decision): return decision
        }
        guard list.existed, count > 0 else { return .replace([]) }
        detach(it.key)
        let n = min(count, list.items.count)
        if it.name.hasPrefix("l") {
            list.items.removeFirst(n)
        } else {
            list.items.removeLast(n)
        }
        return .replace(storeList(it.key, list))
    }

    /// `BLPOP`/`BRPOP k… timeout` as sent: pops from the first non-empty list.
    mutating func blockingPop(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 3 else { return malformed(it, "wrong number of arguments") }
        let keys = Array(it.args[1..<(it.args.count - 1)])
        for key in keys {
            var list: KnownList
            switch try priorList(key, it, writes: keys) {
            case .list(let l): list = l
            case .stop(let decision): return decision
            }
            guard list.existed else { continue }
            detach(key)
            if it.name == "blpop" { list.items.removeFirst() } else { list.items.removeLast() }
            return .replace(storeList(key, list))
        }
        return .replace([])
    }

    /// `LINSERT k BEFORE|AFTER pivot e`: logged even when the pivot is missing (a no-op).
    mutating func linsert(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 5 else { return malformed(it, "wrong number of arguments") }
        let place = Self.lower(it.args[2])
        guard place == "before" || place == "after" else { return malformed(it, "expected BEFORE or AFTER") }
        var list: KnownList
        switch try priorList(it.key, it) {
        case .list(let l): list = l
        case .stop(let decision): return decision
        }
        guard let at = list.items.firstIndex(of: it.args[3]) else { return .replace([]) }
        detach(it.key)
        list.items.insert(it.args[4], at: place == "before" ? at : at + 1)
        return .replace(storeList(it.key, list))
    }

    /// `LSET k index e`.
    mutating func lset(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4, let index = RedisNumbers.parseInt64(it.args[2]) else {
            return malformed(it, "expected key, index, element")
        }
        var list: KnownList
        switch try priorList(it.key, it) {
        case .list(let l): list = l
        case .stop(let decision): return decision
        }
        let i = index < 0 ? Int64(list.items.count) + index : index
        guard i >= 0, i < Int64(list.items.count) else {
            return diverged(it, key: it.key, "fails (index out of range)", replaySafe: false)
        }
        if list.items[Int(i)] == it.args[3] { return .replace([]) }
        detach(it.key)
        list.items[Int(i)] = it.args[3]
        return .replace(storeList(it.key, list))
    }

    /// `LREM k count e`: count > 0 from the head, < 0 from the tail, 0 all.
    mutating func lrem(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4, let count = RedisNumbers.parseInt64(it.args[2]) else {
            return malformed(it, "expected key, count, element")
        }
        var list: KnownList
        switch try priorList(it.key, it) {
        case .list(let l): list = l
        case .stop(let decision): return decision
        }
        let element = it.args[3]
        var limit = count == 0 ? Int.max : Int(min(count.magnitude, UInt64(Int.max)))
        var indexes: [Int] = []
        if count >= 0 {
            for (i, e) in list.items.enumerated() where limit > 0 && e == element {
                indexes.append(i)
                limit -= 1
            }
        } else {
            for i in list.items.indices.reversed() where limit > 0 && list.items[i] == element {
                indexes.append(i)
                limit -= 1
            }
        }
        guard !indexes.isEmpty else { return .replace([]) }
        detach(it.key)
        for i in indexes.sorted(by: >) { list.items.remove(at: i) }
        return .replace(storeList(it.key, list))
    }

    /// `LTRIM k start stop` (Redis' index rules).
    mutating func ltrim(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count == 4, var start = RedisNumbers.parseInt64(it.args[2]),
            var end = RedisNumbers.parseInt64(it.args[3])
        else { return malformed(it, "expected key, start, stop") }
        var list: KnownList
        switch try priorList(it.key, it) {
        case .list(let l): list = l
        case .stop(let decision): return decision
        }
        let length = Int64(list.items.count)
        if start < 0 { start = length + start }
        if end < 0 { end = length + end }
        if start < 0 { start = 0 }
        var removeHead: Int64
        var removeTail: Int64
        if start > end || start >= length {
            removeHead = length
            removeTail = 0
        } else {
            if end >= length { end = length - 1 }
            removeHead = start
            removeTail = length - end - 1
        }
        removeHead = max(0, removeHead)
        removeTail = max(0, removeTail)
        guard removeHead + removeTail > 0 else { return .replace([]) }
        detach(it.key)
        list.items.removeFirst(Int(removeHead))
        list.items.removeLast(Int(removeTail))
        return .replace(storeList(it.key, list))
    }

    /// `RPOPLPUSH s d`, `BRPOPLPUSH s d t` (≤ v3.4 as sent), `LMOVE`/`BLMOVE s d LEFT|RIGHT LEFT|RIGHT`:
    /// both lists written whole.
    mutating func move(_ it: ModelItem) throws -> RewriteDecision {
        var fromLeft = false
        var toLeft = true
        switch it.name {
        case "rpoplpush":
            guard it.args.count == 3 else { return malformed(it, "wrong number of arguments") }
        case "brpoplpush":
            guard it.args.count == 4 else { return malformed(it, "wrong number of arguments") }
        default:
            guard it.args.count == (it.name == "lmove" ? 5 : 6) else {
                return malformed(it, "wrong number of arguments")
            }
            let from = Self.lower(it.args[3])
            let to = Self.lower(it.args[4])
            guard ["left", "right"].contains(from), ["left", "right"].contains(to) else {
                return malformed(it, "expected LEFT or RIGHT")
            }
            fromLeft = from == "left"
            toLeft = to == "left"
        }
        let source = it.args[1]
        let destination = it.args[2]
        var from: KnownList
        switch try priorList(source, it, writes: [source, destination]) {
        case .list(let l): from = l
        case .stop(let decision): return decision
        }
        guard from.existed else { return .replace([]) }
        if source == destination {
            detach(source)
            let element = fromLeft ? from.items.removeFirst() : from.items.removeLast()
            if toLeft { from.items.insert(element, at: 0) } else { from.items.append(element) }
            return .replace(storeList(source, from))
        }
        var to: KnownList
        switch try priorList(destination, it, writes: [source, destination]) {
        case .list(let l): to = l
        case .stop(let decision): return decision
        }
        detach(source)
        detach(destination)
        let element = fromLeft ? from.items.removeFirst() : from.items.removeLast()
        if toLeft { to.items.insert(element, at: 0) } else { to.items.append(element) }
        return .replace(storeList(source, from) + storeList(destination, to))
    }
}
