import BinlogFormat

/// Where a replica restored from a bgsave snapshot must resume in its master's binlog, and what
/// it must be given first: the plan `prepare-replica` carries out.
///
/// A replica resumes at one resume point and receives every item after it. When the snapshot
/// holds every item before the corrected point and none after it, that point is the answer. When
/// items after the corrected point are already in the data (``SnapshotVerification/skip``:
/// concurrent writers), no single point is right: resuming at the corrected point applies those
/// items twice, resuming after them loses the missing ones before them. The plan then resumes
/// after the last item in the data and lists the items before that point the data lacks: the
/// catch-up, to apply (in idempotent forms) before the replica starts replicating.
public struct ReplicaPosition: Sendable {
    /// Where the replica resumes: the stored position of the first item the master sends.
    public var resumePoint: ResumePoint
    /// The last item before ``resumePoint`` (in the data), when one was examined.
    public var lastHeld: ItemReference?
    /// The first item the master sends, when it was examined.
    public var next: ItemReference?
    /// The verification's corrected resume point: where the catch-up starts.
    public var catchUpStart: ResumePoint
    /// The items between ``catchUpStart`` and ``resumePoint`` the data lacks (not applied, or
    /// undecidable), in log order. Empty when the position alone is right.
    public var catchUp: [SnapshotVerification.Item]
    /// The items in that range already in the data (``SnapshotVerification/skip``).
    public var skipped: [SnapshotVerification.Item]

    /// Whether a catch-up stream must be applied before replicating.
    public var needsCatchUp: Bool { !catchUp.isEmpty }
}

extension SnapshotVerification {
    /// Why no replica may be positioned from this snapshot (and no rewrite may start from it),
    /// or `nil` when one may: the recorded offset is a real resume point and every item before it
    /// is in the data (the verdict is consistent, lagging, or interleaved only after the offset).
    ///
    /// A snapshot missing items before its own offset (leading: a slave's bgsave, or another
    /// server's dump), or whose offset is not a resume point of this binlog (mid-item, past the
    /// end, purged: another server's dump, or a binlog that is not its master's), has no point in
    /// this binlog at which a replica would receive exactly what the data lacks.
    public var resumeRefusal: String? {
        if !location.isResumePoint {
            return "the recorded offset \(recorded) is not a resume point of this binlog (\(location)): "
                + "the dump does not belong to this binlog, or the binlog no longer holds its offset"
        }
        if !leading.isEmpty {
            return "\(leading.count) item\(leading.count == 1 ? "" : "s") before the recorded offset "
                + "\(leading.count == 1 ? "is" : "are") missing from the data (logic id "
                + leading.prefix(20).map { String($0.logicID) }.joined(separator: ", ")
                + (leading.count > 20 ? ", …" : "")
                + "): a replica resuming anywhere would lack them or receive later items twice; "
                + "the dump is not a master's bgsave of this binlog"
        }
        return nil
    }

    /// The position and catch-up a replica restored from this snapshot needs. Meaningful only
    /// when ``resumeRefusal`` is `nil`.
    public var replicaPosition: ReplicaPosition {
        // A clean snapshot keeps its recorded offset as written (`(N+1):0` stays so, as Pika's
        // tool would write it; the corrected point is the same place as `N:<size>`).
        let resumePoint = skip.last?.reference.endResumePoint ?? (isClean ? recorded : corrected)
        let catchUp = items.filter { item in
            item.resumeBefore >= corrected && item.resumeBefore < resumePoint && item.decision != .applied
        }
        let lastHeld: ItemReference? =
            if let last = skip.last { last.reference } else { lastCommitted }
        let next: ItemReference? =
            if skip.isEmpty { correctedItem } else { items.first { $0.resumeBefore >= resumePoint }?.reference }
        return ReplicaPosition(
            resumePoint: resumePoint, lastHeld: lastHeld, next: next, catchUpStart: corrected, catchUp: catchUp,
            skipped: skip)
    }
}
