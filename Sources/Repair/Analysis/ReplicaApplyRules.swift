import BinlogFormat

/// A Pika release number (`4.0.1`, `v3.5.0`, `3.5.3-alpha`: the suffix is ignored), ordered.
public struct PikaRelease: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `MAJOR.MINOR.PATCH` with an optional leading `v` and `-suffix`; nil otherwise.
    public init?(_ text: String) {
        var t = Substring(text)
        if t.first == "v" || t.first == "V" { t = t.dropFirst() }
        let numbers = (t.split(separator: "-", maxSplits: 1).first ?? "").split(
            separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3, let a = Int(numbers[0]), let b = Int(numbers[1]), let c = Int(numbers[2]),
            a >= 0, b >= 0, c >= 0
        else { return nil }
        self.init(a, b, c)
    }

    public static func < (x: Self, y: Self) -> Bool { (x.major, x.minor, x.patch) < (y.major, y.minor, y.patch) }

    public var description: String { "\(major).\(minor).\(patch)" }
}

/// A kind of binlog item that a master logs but some replicas cannot apply.
///
/// When a replica rejects an item it does not skip it: it drops the connection and asks again from
/// the same offset, forever, while both sides keep reporting the link up (Docs/Format.md §C3).
/// So one such item stalls replication silently. The table ``all`` is meant to grow: add a rule
/// with an id, the versions concerned, an explanation, and a predicate on the logged command, and
/// list it in its command's ``CommandCatalogue`` entry.
public struct ReplicaApplyRule: Sendable {
    /// Stable identifier, printed in findings (`"rule"` in JSON).
    public var id: String
    /// The logged command name the rule applies to, lower case; ``matches`` is asked only about
    /// items with this name (compared ignoring case), which keeps the table cheap per item.
    public var command: String
    /// Which replica versions choke on the item.
    public var versions: String
    /// The replica releases known (from Pika's source at each release tag) to reject the item.
    public var rejectingReplicas: ClosedRange<PikaRelease>
    /// What the item is, for the operator.
    public var item: String
    /// Why such a replica rejects it and what follows.
    public var failure: String
    /// One sentence for the operator: what the item is and what happens.
    public var explanation: String { item + "; " + failure }
    /// Whether a logged command is such an item. The command is borrowed from the decoder.
    public var matches: @Sendable (RESPCommand) -> Bool

    public init(
        id: String, command: String, versions: String, rejectingReplicas: ClosedRange<PikaRelease>, item: String,
        failure: String, matches: @escaping @Sendable (RESPCommand) -> Bool
    ) {
        self.id = id
        self.command = command.lowercased()
        self.versions = versions
        self.rejectingReplicas = rejectingReplicas
        self.item = item
        self.failure = failure
        self.matches = matches
    }

    /// The rules `check` and `diff` apply to every item: those of the commands in
    /// ``CommandCatalogue`` (a new rule goes into its command's entry there).
    public static let all: [ReplicaApplyRule] = CommandCatalogue.replicaRules

    /// v4.0.1 logs `PSETEX k ms v` as `pksetexat k <NowMillis()+ms> v`: a 13-digit millisecond
    /// time where `PKSetexAtCmd::DoInitial` expects seconds and rejects values ≥ INT32_MAX
    /// (observed on a real v4.0.1 pair). That check is in every release from 3.0.8 (the first with
    /// `pksetexat`) to 4.0.1; the command is missing before 3.0.8.
    public static let pksetexatMilliseconds = ReplicaApplyRule(
        id: "pksetexat-milliseconds",
        command: "pksetexat",
        versions: "replicas of Pika 3.0.8–4.0.1 (v4.0.1 masters write it for PSETEX)",
        rejectingReplicas: PikaRelease(3, 0, 8)...PikaRelease(4, 0, 1),
        item: "pksetexat carries a millisecond timestamp (v4.0.1 logs PSETEX this way)",
        failure:
            "it parses the time as seconds and rejects values >= 2147483647, so it drops the link and retries "
            + "this offset forever while both sides report the link up and zero lag",
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
