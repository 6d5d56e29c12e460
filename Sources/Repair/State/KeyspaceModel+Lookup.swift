/// Reading and writing key slots: prior state, expiry at exec time, unknown marks.
extension KeyspaceModel {
    static let noPriorState =
        "prior state unknown: the log does not start at the beginning of history and no snapshot gives this key"

    /// What an item finds in a key before it runs.
    enum Prior {
        /// Known: the live entry, or `nil` for absent (never written, deleted, expired).
        case known(Entry?)
        /// Unknown, and why.
        case unknown(String)
    }

    /// How an absolute expiry relates to an item's exec time.
    enum Liveness { case live, expired, ambiguous }

    /// Expired when the expiry is more than a second before the exec time, live when it is at
    /// least a second after; in between, Pika's whole-second comparison and the gap between
    /// running a command and stamping its item make the answer uncertain.
    static func liveness(_ expiresAtMs: Int64?, execMs: Int64) -> Liveness {
        guard let e = expiresAtMs else { return .live }
        if e < execMs &- 1000 { return .expired }
        if e >= execMs &+ 1000 { return .live }
        return .ambiguous
    }

    /// The state of `key` just before the item `it`, asking the source the first time.
    mutating func prior(_ key: [UInt8], _ it: ModelItem) throws -> Prior {
        var entry: Entry?
        switch slots[key] {
        case .unknown(let why):
            return .unknown(why)
        case .known(let e):
            entry = e
        case nil:
            switch untrackedStatus(key) {
            case .absent:
                return .known(nil)
            case .unknown(let why):
                slots[key] = .unknown(why)
                return .unknown(why)
            case .ask:
                break
            }
            switch try source!.state(of: key, at: it.execMs) {
            case nil:
                let why = "prior state unknown: the snapshot cannot tell this key's state"
                slots[key] = .unknown(why)
                return .unknown(why)
            case .absent:
                slots[key] = .known(nil)
                return .known(nil)
            case .present(let value, let expiresAtMs):
                guard !Self.isEmptyCollection(value) else {
                    store(key, nil)  // Pika's "count 0" collections are absent
                    return .known(nil)
                }
                entry = Entry(value: value, expiresAtMs: expiresAtMs)
                slots[key] = .known(entry)
            }
        }
        guard let live = entry else { return .known(nil) }
        switch Self.liveness(live.expiresAtMs, execMs: it.execMs) {
        case .live:
            return .known(live)
        case .expired:
            store(key, nil)
            return .known(nil)
        case .ambiguous:
            let why = "key expires within a second of the exec time of \(it.display) (\(it.execSeconds))"
            slots[key] = .unknown(why)
            return .unknown(why)
        }
    }

    /// Thrown inside the model when a command that is not replay-safe needs a key whose state is
    /// unknown; ``KeyspaceModel/rewrite(_:execTimeSeconds:)`` turns it into a flagged decision.
    struct PriorUnknown: Error {
        let key: [UInt8]
        let why: String
        /// The keys the command writes: unknown after it.
        let writes: [[UInt8]]
    }

    /// The known prior entry of `key` (`nil`: absent) for a command that is not replay-safe.
    /// - Parameter writes: the keys the command writes (default: `key`), unknown if this throws.
    /// - Throws: ``PriorUnknown`` when the key is unknown; what the source throws.
    mutating func need(_ key: [UInt8], _ it: ModelItem, writes: [[UInt8]]? = nil) throws -> Entry? {
        switch try prior(key, it) {
        case .known(let entry): return entry
        case .unknown(let why): throw PriorUnknown(key: key, why: why, writes: writes ?? [key])
        }
    }

    static func isEmptyCollection(_ value: KeyspaceValue) -> Bool {
        switch value {
        case .string, .stream: return false
        case .hash(let h): return h.isEmpty
        case .list(let l): return l.isEmpty
        case .set(let s): return s.isEmpty
        case .zset(let z): return z.isEmpty
        }
    }

    enum Untracked {
        case absent
        case unknown(String)
        /// Ask the source.
        case ask
    }

    /// What a key with no slot is.
    func untrackedStatus(_ key: [UInt8]) -> Untracked {
        if matchesDeletedPattern(key) { return .absent }
        if let why = untrackedUnknownReason { return .unknown(why) }
        if untrackedAreAbsent { return .absent }
        return source == nil ? .unknown(Self.noPriorState) : .ask
    }

    /// Records `key`'s new known state (`nil`: absent).
    mutating func store(_ key: [UInt8], _ entry: Entry?) {
        if let entry {
            slots[key] = .known(entry)
        } else if untrackedAreAbsent && untrackedUnknownReason == nil {
            slots[key] = nil
        } else {
            slots[key] = .known(nil)
        }
    }

    /// Drops the model's own reference to `key`'s value so that the caller's copy can be changed
    /// in place (no copy-on-write of a large collection). The caller must ``store(_:_:)`` after.
    mutating func detach(_ key: [UInt8]) {
        slots[key] = .known(nil)
    }

    /// Marks `key` unknown from here on.
    mutating func forget(_ key: [UInt8], _ why: String) {
        slots[key] = .unknown(why)
    }

    func matchesDeletedPattern(_ key: [UInt8]) -> Bool {
        for pattern in deletedPatterns {
            let hit = pattern.withUnsafeBytes { p in key.withUnsafeBytes { k in globMatch(pattern: p, string: k) } }
            if hit { return true }
        }
        return false
    }

    // MARK: - Decisions

    /// A non-idempotent command whose key is unknown: kept as logged, flagged.
    func flagUnknown(_ it: ModelItem, key: [UInt8], _ why: String) -> RewriteDecision {
        .unknownPriorState(key: key, reason: "\(it.display) is not replay-safe and needs the prior state; \(why)")
    }

    /// The logged command fails (or cannot have run) on the modelled state: the model and the
    /// server disagree, so the key becomes unknown. Replay-safe commands are kept, the others
    /// flagged.
    mutating func diverged(_ it: ModelItem, key: [UInt8], _ what: String, replaySafe: Bool) -> RewriteDecision {
        let why = "\(it.display) \(what) on the modelled state: the model disagrees with the server"
        forget(key, why)
        return replaySafe ? .keepUnmodelled(key: key, reason: why) : .unknownPriorState(key: key, reason: why)
    }

    /// A key holding another type than the command works on. Pika v3 keeps one key per type, so
    /// this is not an error there; the model cannot follow it.
    mutating func typeConflict(_ it: ModelItem, key: [UInt8], found: KeyspaceValue, replaySafe: Bool)
        -> RewriteDecision
    {
        let why =
            "type conflict: \(it.display) on a key the model holds as a \(found.typeName)"
            + " (Pika v3 keeps one key per type)"
        forget(key, why)
        return replaySafe ? .keepUnmodelled(key: key, reason: why) : .unknownPriorState(key: key, reason: why)
    }

    /// A command with arguments the model cannot read.
    mutating func malformed(_ it: ModelItem, _ what: String) -> RewriteDecision {
        let why = "malformed \(it.display): \(what)"
        if it.args.count > 1 { forget(it.key, why) }
        return .unknownPriorState(key: it.key, reason: why)
    }

    /// A command that may change any key: kept as logged and flagged; every key unknown from here
    /// on (until each is written absolutely, or a FLUSHDB).
    mutating func unmodelledDataset(_ it: ModelItem) -> RewriteDecision {
        let why = "\(it.display) may have changed any key: not modelled"
        slots = [:]
        deletedPatterns = []
        untrackedUnknownReason = why
        return .unknownPriorState(key: it.key, reason: why)
    }

    /// A command the model does not follow: kept as logged and flagged, its keys unknown.
    mutating func unmodelled(_ it: ModelItem, keys: [[UInt8]]) -> RewriteDecision {
        let why = "\(it.display) is not modelled: kept as logged"
        for key in keys { forget(key, why) }
        return .unknownPriorState(key: keys.first ?? it.key, reason: why)
    }
}
