/// Streams (Pika v4). Pika logs XADD with the ID it generated in place of `*`, so an XADD is
/// replay-safe in order: applied again, its ID is not above the stream's last ID and the server
/// refuses it, trimming included. XDEL and exact `MINID` trimming are ID-based and safe.
/// `XTRIM … MAXLEN n` counts entries, so applied to a stream that already has later entries it
/// trims too much; on a known stream it becomes `xdel` of the entries it removed.
extension KeyspaceModel {
    struct StreamTrim {
        enum Kind { case maxLength(UInt64), minID(StreamID) }
        var kind: Kind
        var approximate: Bool
    }

    /// Parses `MAXLEN|MINID [=|~] threshold [LIMIT count]` at `i`; advances `i`.
    static func parseTrim(_ args: [[UInt8]], _ i: inout Int) -> StreamTrim?? {
        guard i < args.count else { return .some(nil) }
        let word = lower(args[i])
        guard word == "maxlen" || word == "minid" else { return .some(nil) }
        i += 1
        var approximate = false
        if i < args.count, args[i] == [UInt8(ascii: "~")] || args[i] == [UInt8(ascii: "=")] {
            approximate = args[i] == [UInt8(ascii: "~")]
            i += 1
        }
        guard i < args.count else { return nil }
        let kind: StreamTrim.Kind
        if word == "maxlen" {
            guard let n = RedisNumbers.parseUInt64(args[i]) else { return nil }
            kind = .maxLength(n)
        } else {
            guard let id = StreamID(args[i]) else { return nil }
            kind = .minID(id)
        }
        i += 1
        if i + 1 < args.count, lower(args[i]) == "limit" {
            guard RedisNumbers.parseUInt64(args[i + 1]) != nil else { return nil }
            i += 2
        }
        return .some(StreamTrim(kind: kind, approximate: approximate))
    }

    /// The entries an exact trim removes (oldest first).
    static func trimmed(_ entries: [StreamEntry], _ trim: StreamTrim) -> Int {
        switch trim.kind {
        case .maxLength(let n): return entries.count > Int(clamping: n) ? entries.count - Int(clamping: n) : 0
        case .minID(let id): return entries.prefix { $0.id < id }.count
        }
    }

    /// `XADD k [NOMKSTREAM] [MAXLEN|MINID [=|~] n [LIMIT c]] id|* field value …`.
    mutating func xadd(_ it: ModelItem) throws -> RewriteDecision {
        var i = 2
        var noMakeStream = false
        if i < it.args.count, Self.lower(it.args[i]) == "nomkstream" {
            noMakeStream = true
            i += 1
        }
        guard let trimOption = Self.parseTrim(it.args, &i) else { return malformed(it, "bad trimming option") }
        guard i < it.args.count, (it.args.count - i - 1) >= 2, (it.args.count - i - 1) % 2 == 0 else {
            return malformed(it, "expected ID and field/value pairs")
        }
        guard let id = StreamID(it.args[i]) else {
            let why =
                "XADD with an ID the server generates (\(String(decoding: it.args[i], as: UTF8.self)))"
                + " adds a new entry on every replay"
            forget(it.key, why)
            return .unknownPriorState(key: it.key, reason: why)
        }
        guard id > .zero else { return malformed(it, "ID 0-0") }
        let fields = Array(it.args[(i + 1)...])
        guard case .known(let entry) = try prior(it.key, it) else { return .keep }
        var entries: [StreamEntry] = []
        var lastID = StreamID.zero
        if let entry {
            guard case .stream(let e, let l) = entry.value else {
                return typeConflict(it, key: it.key, found: entry.value, replaySafe: true)
            }
            entries = e
            lastID = l
        } else if noMakeStream {
            return .keep
        }
        guard id > lastID else {
            return diverged(it, key: it.key, "fails (ID not above the stream's last ID)", replaySafe: true)
        }
        detach(it.key)
        entries.append(StreamEntry(id: id, fieldsAndValues: fields))
        if let trim = trimOption {
            if trim.approximate {
                forget(it.key, "XADD trims approximately (~): how much is up to the server")
                return .keepUnmodelled(
                    key: it.key, reason: "XADD trims approximately (~): how much is up to the server")
            }
            entries.removeFirst(Self.trimmed(entries, trim))
        }
        store(it.key, Entry(value: .stream(entries: entries, lastID: id), expiresAtMs: entry?.expiresAtMs))
        return reassertingExpiry(it.key, it, [it.args], logged: true)
    }

    /// `XDEL k id…`: replay-safe, kept. An emptied stream stays (streams are not deleted when empty).
    mutating func xdel(_ it: ModelItem) throws -> RewriteDecision {
        guard it.args.count >= 3 else { return malformed(it, "wrong number of arguments") }
        var ids: Set<StreamID> = []
        for raw in it.args.dropFirst(2) {
            guard let id = StreamID(raw) else { return malformed(it, "bad ID") }
            ids.insert(id)
        }
        guard case .known(let entry?) = try prior(it.key, it) else { return .keep }
        guard case .stream(var entries, let lastID) = entry.value else {
            return typeConflict(it, key: it.key, found: entry.value, replaySafe: true)
        }
        detach(it.key)
        entries.removeAll { ids.contains($0.id) }
        store(it.key, Entry(value: .stream(entries: entries, lastID: lastID), expiresAtMs: entry.expiresAtMs))
        return .keep
    }

    /// `XTRIM k MAXLEN|MINID [=|~] threshold [LIMIT c]`.
    mutating func xtrim(_ it: ModelItem) throws -> RewriteDecision {
        var i = 2
        guard let parsed = Self.parseTrim(it.args, &i), let trim = parsed, i == it.args.count else {
            return malformed(it, "bad trimming option")
        }
        if trim.approximate {
            let why = "XTRIM ~ trims approximately: how much is up to the server"
            forget(it.key, why)
            return .unknownPriorState(key: it.key, reason: why)
        }
        let entry: Entry?
        if case .minID = trim.kind {
            guard case .known(let e) = try prior(it.key, it) else { return .keep }
            entry = e
        } else {
            entry = try need(it.key, it)
        }
        guard let entry else { return .replace([]) }
        guard case .stream(var entries, let lastID) = entry.value else {
            return typeConflict(it, key: it.key, found: entry.value, replaySafe: false)
        }
        let count = Self.trimmed(entries, trim)
        let removed = entries.prefix(count).map { $0.id.bytes }
        if case .minID = trim.kind {
            if count > 0 {
                detach(it.key)
                entries.removeFirst(count)
                store(it.key, Entry(value: .stream(entries: entries, lastID: lastID), expiresAtMs: entry.expiresAtMs))
            }
            return .keep
        }
        guard count > 0 else { return .replace([]) }
        detach(it.key)
        entries.removeFirst(count)
        store(it.key, Entry(value: .stream(entries: entries, lastID: lastID), expiresAtMs: entry.expiresAtMs))
        return .replace([Self.command("xdel", it.key) + removed])
    }
}
