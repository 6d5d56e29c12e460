import BinlogFormat

/// What a lagging bgsave dump did to a replica that started from it.
///
/// A replica that Pika full-synced from a dump (or that was restored from one the manual way:
/// dump + `manifest_generator` + `slaveof`) asks its master for the binlog from the dump's
/// recorded offset. When the dump's data already holds items after that offset (the verdict
/// `lagging`), the replica applies those items a second time: harmless for replay-safe commands
/// (SET, HSET, SADD…), a different dataset for the others (INCR, RPUSH, HINCRBY, APPEND…). The
/// replica's binlog looks perfect (the master's items from the offset, in order), so only the dump
/// can tell.
public struct FullSyncDoubleApply: Sendable {
    /// The dump's recorded resume point (its `info` offset).
    public var recorded: ResumePoint
    /// Where the replica's binlog begins in the master's (diff's ``DiffSummary/replicaStart``).
    public var replicaStart: ResumePoint?
    /// The replica's binlog begins at `recorded`: it started from this dump.
    public var startsAtRecorded: Bool
    /// The lagging items (in the dump past its offset) that the replica's binlog applied again,
    /// in master order.
    public var appliedTwice: [SnapshotVerification.Item]
    /// The keys written by the items of ``appliedTwice`` that are not replay-safe, without repeats,
    /// in the order first written: the keys whose data differs from the master's.
    public var damagedKeys: [[UInt8]]
    /// The last master item the replica has: the point its data stands at.
    public var replicaThrough: FindingLocation?
    public var replicaThroughExecTime: UInt32?
    /// What to report, in master order.
    public var findings: [Finding]

    /// The applied-twice items that are not replay-safe.
    public var unsafe: [SnapshotVerification.Item] { appliedTwice.filter(\.isUnsafeToReplay) }

    /// Judges a diff of the master's and the replica's binlog against the verification of the
    /// master's dump (verified against the same master binlog).
    public init(diff: DiffSummary, verification: SnapshotVerification) {
        recorded = verification.recorded
        replicaStart = diff.replicaStart
        replicaThrough = diff.lastMatchedMaster
        replicaThroughExecTime = diff.lastMatchedMasterExecTime
        startsAtRecorded = diff.replicaStart.map { ItemGeometry.sameResumePoint($0, verification.recorded) } ?? false
        appliedTwice = []
        damagedKeys = []
        findings = []
        guard startsAtRecorded else {
            let begins = diff.replicaStart.map { "begins at \($0) in the master's binlog" } ?? "has no item in common with the master"
            findings.append(
                Finding(
                    kind: .snapshotNotReplicaStart, severity: .info, range: nil, count: 0,
                    message:
                        "the replica's binlog \(begins), not at the dump's recorded offset \(verification.recorded): "
                        + "this is not the dump it started from, so it tells nothing about items applied twice"))
            return
        }
        // A lagging item is applied twice when the replica's binlog has it: it lies at or after the
        // replica's start (it does: it is past the recorded offset) and no later than its last item.
        appliedTwice = verification.lagging.filter { item in
            guard let through = diff.lastMatchedMaster else { return false }
            return item.reference.start <= through.position
        }
        let effects = CommandEffects()
        var seen = Set<[UInt8]>()
        for item in appliedTwice where item.isUnsafeToReplay {
            for (key, _) in effects.footprint(of: LoggedCommand(arguments: item.arguments)).keys where seen.insert(key).inserted {
                damagedKeys.append(key)
            }
        }
        let why =
            "the master's dump holds it although it comes after the dump's recorded offset \(verification.recorded) "
            + "(the dump lags its offset), and the replica, which started at that offset, applied it again from the binlog"
        for item in appliedTwice where item.isUnsafeToReplay {
            let at = FindingLocation(item.reference.start, logicID: item.logicID)
            findings.append(
                Finding(
                    kind: .appliedTwice, severity: .error, range: FindingRange(at), count: 1,
                    message: "applied twice on the replica: \(item.command) is not replay-safe, so the replica's "
                        + "data differs from the master's: \(why)"))
        }
        let safe = appliedTwice.filter { !$0.isUnsafeToReplay }
        if let first = safe.first, let last = safe.last {
            findings.append(
                Finding(
                    kind: .appliedTwice, severity: .info,
                    range: FindingRange(
                        first: FindingLocation(first.reference.start, logicID: first.logicID),
                        last: FindingLocation(last.reference.start, logicID: last.logicID)),
                    count: safe.count,
                    message: "\(plural(safe.count, "item")) applied twice on the replica are replay-safe (the same data "
                        + "either way): \(why)"))
        }
    }
}
