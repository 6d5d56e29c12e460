import BinlogFormat

/// What `rewrite` does with one logged item so that replaying the output twice, or replaying it
/// on top of a state that already holds a prefix of it, ends in the state a single replay gives
/// (Docs/Format.md §C2).
public enum RewriteDecision: Hashable, Sendable {
    /// Write the item as logged: it is already replay-safe (Docs/Format.md §C2 "yes" rows), or it is
    /// already the absolute form.
    case keep
    /// Write these commands in its place, in order (each an argv, command name first). They set
    /// the affected keys to absolute values, so applying them again changes nothing. An empty list
    /// means the item had no effect on the known state (a failed SETNX, an RPUSHX on a missing
    /// list, …) and is left out.
    ///
    /// The commands of one replacement belong together: a replay must not resume between them
    /// (for a list, `del` then `rpush` of the whole list).
    case replace([[[UInt8]]])
    /// Written as logged: replay-safe, but its effect on the value is not modelled (PFADD, GEOADD,
    /// a type conflict Pika v3 allows). `key` is unknown to the model from here on, so a later
    /// non-idempotent command on it is ``unknownPriorState(key:reason:)``.
    case keepUnmodelled(key: [UInt8], reason: String)
    /// Written as logged and flagged: the item is *not* replay-safe and the absolute form needs
    /// the key's prior state, which is unknown. `--strict` refuses to write output when any item
    /// gets this.
    case unknownPriorState(key: [UInt8], reason: String)
    /// Not a command: nothing to replay (a `padding` item).
    case drop

    /// Whether this item stays not replay-safe in the output (what `--strict` refuses).
    public var isFlagged: Bool {
        if case .unknownPriorState = self { return true }
        return false
    }
}

/// Which server a command stream is for (`dump --format resp`, `rewrite`). Pika's forms are the
/// default of a Pika tool: a stream meant for a Pika must replay there without errors, and Pika
/// 3.5 answers `SET … EXAT` with a syntax error.
public enum RewriteDialect: String, Hashable, Sendable, CaseIterable {
    /// Pika's own forms: `pksetexat key <abs seconds> value`, `expireat`, `set`, … A v4.0.1
    /// `pksetexat` carrying milliseconds (Docs/Format.md §C3) is rewritten in seconds, or as `set` plus
    /// `pexpireat` when the expiry is not a whole second; `dump` writes logged commands as logged.
    case pika
    /// Redis commands: `SET key value EXAT s`/`PXAT ms`, never `pksetexat`.
    case redis

    /// The Redis command with the effect of a Pika-only logged form, or nil when `command` is
    /// already a Redis command: `pksetexat k <ts> v` → `SET k v` (ts 0: v4.0 INCR/APPEND results,
    /// no expiry), `SET k v EXAT s`, or `SET k v PXAT ms` for a v4.0.1 millisecond value
    /// (``PksetexatTime``) that is not a whole second.
    public static func redisForm(_ command: RESPCommand) -> [[UInt8]]? {
        guard command.count == 4, command.nameIs("pksetexat"), let ts = RedisNumbers.parseInt64(command[2]), ts >= 0
        else { return nil }
        let key = Array(command[1])
        let value = Array(command[3])
        guard let ms = PksetexatTime.expiresAtMs(ts, digits: command[2].count) else {
            return [Array("set".utf8), key, value]
        }
        if ms % 1000 == 0 { return [Array("set".utf8), key, value, Array("EXAT".utf8), Array(String(ms / 1000).utf8)] }
        return [Array("set".utf8), key, value, Array("PXAT".utf8), Array(String(ms).utf8)]
    }
}
