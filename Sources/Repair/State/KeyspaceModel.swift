import BinlogFormat

/// An in-memory model of a Pika/Redis dataset that replays a binlog item by item and turns each
/// item into a replay-safe form (``RewriteDecision``): relative and counter commands become the
/// absolute values they produced (Docs/Format.md §C2).
///
/// Every key is *known* (its whole value and expiry are modelled, or it is known to be absent) or
/// *unknown*. A key is known when
/// - the log starts at the beginning of history (``init(startsAtBeginningOfHistory:source:dialect:)``
///   with `true`: `write2file0`, first item at offset 0 with logic id 1, no padding; see
///   ``startsAtBeginningOfHistory(_:)``), so every key starts absent;
/// - or an absolute command defined it completely: SET and its forms, GETSET, DEL, a `del` then
///   `sadd` store pair, FLUSHDB/FLUSHALL (which makes every key known and absent);
/// - or the ``KeyStateSource`` (a snapshot) gave its state the first time an item touched it.
///
/// Otherwise it is unknown: replay-safe items on it are kept, the others are flagged
/// (``RewriteDecision/unknownPriorState(key:reason:)``) and kept as logged.
///
/// Expiry is judged at each item's exec time, never the wall clock. An expiry within a second of
/// an item's exec time is ambiguous (Pika compares whole seconds, and the exec time is taken
/// just after the command ran), so the key becomes unknown rather than guessed.
///
/// Memory holds the current value of each tracked key, nothing per item: it grows with the keys
/// and their sizes, not with the length of the log. With a log that starts at the beginning of
/// history, absent keys are not stored at all.
///
/// A replay happens later than the original run, so a key whose absolute expiry fell between the
/// two is already gone when the replay reaches a write to it: the write would create the key anew,
/// without its expiry. Every write that can create a key that had an expiry is therefore followed
/// by that expiry again (`… ; pexpireat k <ms>`), which deletes the recreated key at once when the
/// expiry has passed and changes nothing otherwise.
///
/// The other way round, a key the log keeps alive past its old expiry (PERSIST, a later
/// EXPIREAT) would already be gone when the replay reaches that command, so such a command is
/// written as the whole key with its new expiry.
///
/// Values follow Redis semantics: one type per key. Pika v3 keeps one key per type, so a log
/// that writes a string and a hash under the same name turns that key unknown ("type conflict")
/// instead of being modelled wrong.
public struct KeyspaceModel {
    /// The form of the replacement commands.
    public var dialect: RewriteDialect
    /// The most member bytes one `rpush`/`sadd`/`zadd` of a whole-collection form carries before
    /// another command continues it (Pika splits its own store rewrites at 128 KiB).
    public var chunkByteCount: Int = 128 * 1024

    struct Entry {
        var value: KeyspaceValue
        var expiresAtMs: Int64?
    }

    enum Slot {
        /// Known: the entry, or `nil` for absent.
        case known(Entry?)
        /// Unknown, and why.
        case unknown(String)
    }

    var slots: [[UInt8]: Slot] = [:]
    /// Whether a key with no slot is known to be absent (history starts empty, or after FLUSHDB).
    var untrackedAreAbsent: Bool
    /// Set after a command that may have changed any key (codis slot migration): untracked keys
    /// are unknown for this reason, and the source (which holds the state before the log) is no
    /// longer asked.
    var untrackedUnknownReason: String? = nil
    let source: (any KeyStateSource)?
    /// PKPATTERNMATCHDEL patterns seen while untracked keys still come from the source.
    var deletedPatterns: [[UInt8]] = []
    /// A `del k` item just seen: pushes to `k` in the same second that follow it complete a
    /// whole-list write (what this rewrite emits), so they are kept.
    var wholeWrite: (key: [UInt8], execSeconds: Int64)? = nil
    /// The expiry the previous item re-asserted after a write (see ``reassertingExpiry(_:_:)``):
    /// an `expireat`/`pexpireat` of the same key and time right after it is redundant (it is what
    /// this rewrite emits, read back).
    var reassertion: (key: [UInt8], expiresAtMs: Int64, execSeconds: Int64)? = nil
    var previousReassertion: (key: [UInt8], expiresAtMs: Int64, execSeconds: Int64)? = nil

    /// - Parameters:
    ///   - startsAtBeginningOfHistory: the log starts with the first item Pika ever wrote, so the
    ///     dataset starts empty and every key is known.
    ///   - source: the prior state of keys otherwise (a snapshot); `nil` leaves them unknown.
    ///   - dialect: the form of replacement commands.
    public init(
        startsAtBeginningOfHistory: Bool, source: (any KeyStateSource)? = nil, dialect: RewriteDialect = .pika
    ) {
        self.untrackedAreAbsent = startsAtBeginningOfHistory
        self.source = source
        self.dialect = dialect
    }

    /// Whether a decoded log starts at the beginning of history: its first record is an item at
    /// `write2file0` offset 0 with logic id 1 and stored position `0:0` (Docs/Format.md §B8 "First item in
    /// a fresh write2file0"); for v2 logs (no logic id), an item at `write2file0` offset 0.
    /// Padding first (a slave after a full sync) or any other start is not.
    /// - Parameter firstRecord: the first record the decoder returned for the log.
    public static func startsAtBeginningOfHistory(_ firstRecord: BinlogRecord) -> Bool {
        guard case .item(let item) = firstRecord else { return false }
        guard item.start == PhysicalPosition(fileNumber: 0, offset: 0) else { return false }
        switch item.envelope {
        case .pikaItem:
            return item.header.logicID == 1
                && item.header.stored == ResumePoint(fileNumber: 0, offset: 0)
        case .affiliatedRESP, .bareRESP:
            return true
        }
    }

    /// The number of keys the model holds a slot for (known values, tombstones, unknown marks).
    public var trackedKeyCount: Int { slots.count }

    /// The modelled state of `key` at `atMs` (unix milliseconds), without asking the source.
    /// - Returns: the state, or `nil` when the key is unknown (or untracked without a known start).
    public func state(of key: [UInt8], atMs: Int64) -> KeyState? {
        switch slots[key] {
        case .known(let entry?):
            if let e = entry.expiresAtMs, e <= atMs { return .absent }
            return .present(entry.value, expiresAtMs: entry.expiresAtMs)
        case .known(nil):
            return .absent
        case .unknown:
            return nil
        case nil:
            if case .absent = untrackedStatus(key) { return .absent }
            return nil
        }
    }

    // MARK: - Entry points

    /// Tells the model that an item went by without being replayed through it (a caller that
    /// skips items on keys it knows need no state). Two readings depend on the item just before:
    /// a `del k` followed by pushes to `k` (a whole-list write), and an expiry that repeats the one
    /// the previous rewrite re-asserted; an unseen item in between ends both.
    public mutating func noteItemNotReplayed() {
        wholeWrite = nil
        reassertion = nil
    }

    /// Replays one decoded record and decides what the rewrite writes for it.
    /// - Returns: `nil` for damage (not a command, not the model's business); ``RewriteDecision/drop``
    ///   for padding.
    /// - Throws: what the ``KeyStateSource`` throws.
    public mutating func rewrite(_ record: BinlogRecord) throws -> RewriteDecision? {
        switch record {
        case .item(let item): return try rewrite(item)
        case .padding: return .drop
        case .damage: return nil
        }
    }

    /// Replays one item (exec time from its header; for v2 items, which have none, the time of
    /// its first record).
    /// - Throws: what the ``KeyStateSource`` throws.
    public mutating func rewrite(_ item: BinlogItem) throws -> RewriteDecision {
        let time = item.envelope == .pikaItem ? item.header.execTime : item.firstRecordTime
        return try rewrite(item.command.ownedArguments(), execTimeSeconds: time)
    }

    /// Replays one command and decides what the rewrite writes for it.
    /// - Parameters:
    ///   - arguments: the argv as logged, command name first (any case).
    ///   - execTimeSeconds: the item's exec time, unix seconds: relative expiries and expiry
    ///     checks are judged against it.
    /// - Returns: the decision; the model has applied the command's effect.
    /// - Throws: what the ``KeyStateSource`` throws.
    public mutating func rewrite(_ arguments: [[UInt8]], execTimeSeconds: UInt32) throws -> RewriteDecision {
        guard let first = arguments.first else { return .drop }
        let name = String(decoding: first.map(asciiLower), as: UTF8.self)
        let item = ModelItem(name: name, args: arguments, execSeconds: Int64(execTimeSeconds))
        let pending = wholeWrite
        wholeWrite = nil
        previousReassertion = reassertion
        reassertion = nil
        let continuesWholeWrite =
            pending != nil && arguments.count > 2 && pending!.key == arguments[1]
            && pending!.execSeconds == item.execSeconds && (name == "rpush" || name == "lpush")
        let decision: RewriteDecision
        do {
            decision = try dispatch(item, continuesWholeWrite: continuesWholeWrite)
        } catch let unknown as PriorUnknown {
            for key in unknown.writes {
                if case .unknown = slots[key] { continue }
                forget(key, "written by \(item.display) while its prior state was unknown")
            }
            decision = flagUnknown(item, key: unknown.key, unknown.why)
        }
        if continuesWholeWrite {
            wholeWrite = pending
        } else if (name == "del" || name == "unlink") && arguments.count == 2 {
            wholeWrite = (arguments[1], item.execSeconds)
        }
        return decision
    }
}

/// One command being replayed.
struct ModelItem {
    /// The command name, lower case.
    let name: String
    let args: [[UInt8]]
    let execSeconds: Int64
    var execMs: Int64 { execSeconds &* 1000 }
    /// The first argument after the name, or empty.
    var key: [UInt8] { args.count > 1 ? args[1] : [] }
    /// The name as an operator reads it.
    var display: String { name.uppercased() }
}
