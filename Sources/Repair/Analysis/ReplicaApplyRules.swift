import BinlogFormat

/// A kind of binlog item that a master logs but some replicas cannot apply.
///
/// When a replica rejects an item it does not skip it: it drops the connection and asks again from
/// the same offset, forever, while both sides keep reporting the link up (Docs/Format.md §C3).
/// So one such item stalls replication silently. The table ``all`` is meant to grow: add a rule
/// with an id, the versions concerned, an explanation, and a predicate on the logged command.
public struct ReplicaApplyRule: Sendable {
    /// Stable identifier, printed in findings (`"rule"` in JSON).
    public var id: String
    /// The logged command name the rule applies to, lower case; ``matches`` is asked only about
    /// items with this name (compared ignoring case), which keeps the table cheap per item.
    public var command: String
    /// Which replica versions choke on the item.
    public var versions: String
    /// One sentence for the operator: what the item is and what happens.
    public var explanation: String
    /// Whether a logged command is such an item. The command is borrowed from the decoder.
    public var matches: @Sendable (RESPCommand) -> Bool

    public init(
        id: String, command: String, versions: String, explanation: String,
        matches: @escaping @Sendable (RESPCommand) -> Bool
    ) {
        self.id = id
        self.command = command.lowercased()
        self.versions = versions
        self.explanation = explanation
        self.matches = matches
    }

    /// The rules `check` and `diff` apply to every item.
    public static let all: [ReplicaApplyRule] = [pksetexatMilliseconds]

    /// v4.0.1 logs `PSETEX k ms v` as `pksetexat k <NowMillis()+ms> v`: a 13-digit millisecond
    /// time where `PKSetexAtCmd::DoInitial` expects seconds and rejects values ≥ INT32_MAX
    /// (Docs/Format.md §C1, §C3; observed on a real v4.0.1 pair).
    public static let pksetexatMilliseconds = ReplicaApplyRule(
        id: "pksetexat-milliseconds",
        command: "pksetexat",
        versions: "v4.0.1 replicas (v4.0.1 masters write it for PSETEX); v3.x replicas cast the time to int32",
        explanation:
            "pksetexat carries a millisecond timestamp (v4.0.1 logs PSETEX this way) but replicas parse seconds "
            + "and reject values >= 2147483647: the replica drops the link and retries this offset forever while "
            + "both sides report the link up and zero lag",
        matches: { command in
            command.count == 4 && timestampOverflowsInt32(command[2])
        })

    /// Whether decimal `bytes` are a number ≥ INT32_MAX (Pika's `pksetexat` bound), or so long that
    /// they must be. Non-numeric text is left to other checks.
    static func timestampOverflowsInt32(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // Fewer than 10 characters cannot reach 2147483647.
        if bytes.count < 10 { return false }
        var i = 0
        if i < bytes.count && bytes[i] == UInt8(ascii: "+") { i += 1 }
        guard i < bytes.count else { return false }
        while i < bytes.count - 1 && bytes[i] == 0x30 { i += 1 }
        var value: UInt64 = 0
        var digits = 0
        while i < bytes.count {
            let d = bytes[i] &- 0x30
            guard d <= 9 else { return false }
            if digits < 11 { value = value * 10 + UInt64(d) }
            digits += 1
            i += 1
        }
        return digits > 10 || value >= UInt64(Int32.max)
    }

    /// Whether `command` is named ``command`` (ignoring ASCII case) and ``matches`` holds.
    public func applies(to command: RESPCommand) -> Bool {
        guard command.count > 0 else { return false }
        let name = command[0]
        let wanted = self.command.utf8
        guard name.count == wanted.count else { return false }
        for (a, b) in zip(name, wanted) where asciiLower(a) != b { return false }
        return matches(command)
    }

    /// The index in `rules` of the first rule that applies to `command`, if any.
    public static func firstMatch(_ command: RESPCommand, in rules: [ReplicaApplyRule] = all) -> Int? {
        for (i, rule) in rules.enumerated() where rule.applies(to: command) { return i }
        return nil
    }
}
