import BinlogFormat

/// Where a bgsave snapshot really stands in its binlog: the report of ``SnapshotVerifier``.
///
/// `recorded` and `corrected` are resume points in Pika's sense (Docs/Format.md §B8):
/// the stored position of the next item to send. A snapshot is `consistent` when the items up to
/// `recorded` are in its data and the items after it are not.
public struct SnapshotVerification: Sendable {
    /// How the snapshot's data relates to its recorded offset.
    public enum Verdict: String, Hashable, Sendable {
        /// Every item before the offset is in the data, none after it.
        case consistent
        /// Items right after the offset are already in the data (the v3.1–v3.5.4/v4.0.0 master
        /// race, Docs/Format.md §S2): a replica resuming there applies them twice.
        case lagging
        /// Items before the offset are missing from the data (a slave's bgsave, Docs/Format.md §S2).
        case leading
        /// Applied and missing items alternate past the offset, or the data both lags and leads:
        /// what concurrent writers produce.
        case interleaved
    }

    /// One item of the reported window.
    public struct Item: Sendable {
        public var decision: EffectDecision
        /// Applying it again on a state that holds it gives another state (Docs/Format.md §C2).
        public var isUnsafeToReplay: Bool
        /// Whether it comes after the recorded offset.
        public var isAfterRecorded: Bool
        /// The examined items' commands and evidence, shared by every item of the report.
        let examined: ExaminedItems
        /// This item's index among them.
        let index: Int

        public var reference: ItemReference { examined.items[index].reference }
        /// The resume point at which this item is the next one to send.
        public var resumeBefore: ResumePoint { examined.items[index].resumeBefore }
        public var execTime: UInt32 { examined.items[index].execTime }
        public var arguments: [[UInt8]] { examined.arguments.arguments(of: index) }
        /// Key, expected and found values, and why the decision was taken.
        public var evidence: String { examined.judgements.evidence(index) }

        public var logicID: UInt64 { examined.items[index].logicID }
        /// The command as redis-cli would show it (long arguments cut).
        public var command: String { commandLine(arguments) }
    }

    /// Where the states of the window's keys before the window came from.
    public enum History: Sendable, CustomStringConvertible {
        /// The binlog starts a fresh history (write2file0, logic id 1 at 0:0) and every item
        /// before the window was replayed on the window's keys.
        case replayed(itemsRead: Int, itemsApplied: Int)
        /// Not replayed; the window's keys start unknown.
        case unavailable(reason: String)

        public var description: String {
            switch self {
            case .replayed(let read, let applied):
                "replayed from logic id 1 (\(read) items read, \(applied) on the window's keys; assumes the database was empty when write2file0 began)"
            case .unavailable(let reason): "not replayed: \(reason); states before the window are unknown"
            }
        }
    }

    /// The `info` file read, when the check started from one.
    public var info: BgsaveInfo?
    /// The recorded resume point (`info` lines 4–5).
    public var recorded: ResumePoint
    /// Where `recorded` falls in the binlog.
    public var location: OffsetLocation
    /// The snapshot's storage version and layout.
    public var storageVersion: PikaStorageVersion
    public var layout: SnapshotLayout
    /// The time expiries in the snapshot are judged at.
    public var snapshotTime: UnixTime
    /// Where `snapshotTime` came from.
    public var snapshotTimeSource: String
    public var history: History
    public var verdict: Verdict
    /// The stored position of the earliest item not in the data (undecidable items after the
    /// recorded offset count as not in it): where a replica of this snapshot should resume.
    public var corrected: ResumePoint
    /// That item, or `nil` when every item examined is in the data.
    public var correctedItem: ItemReference?
    /// The last item committed to the snapshot: the item just before ``correctedItem`` (the last
    /// examined item when every one is in the data), so that it and every item before it are in
    /// the data. `nil` when the first item examined is already missing. Later items listed in
    /// ``skip`` are in the data too, out of order.
    public var lastCommitted: ItemReference?
    /// The reported window: from the item after the last one certainly applied to a fixed count
    /// past the offset (and past the last applied item).
    public var items: [Item]
    /// Items after the recorded offset that are in the data.
    public var lagging: [Item]
    /// Items before the recorded offset that are missing from the data.
    public var leading: [Item]
    /// Items after `corrected` that are already applied: skip them, or make them idempotent,
    /// when resuming at `corrected` (the input of `rewrite`).
    public var skip: [Item]
    /// Items examined to decide (the reported window is a part of them).
    public var examinedCount: Int
    /// Point reads done in the snapshot.
    public var snapshotReads: Int
    /// Everything else worth knowing: damage in the window, `info` remarks, chain oddities.
    public var remarks: [String]

    /// Consistent, and the recorded offset is a valid resume point: a replica may resume there.
    public var isClean: Bool { verdict == .consistent && location.isResumePoint }
}

/// Every examined item with its command and evidence, kept once for the items a report lists
/// (a 50 000-item window's evidence as one `String` per listed item cost twice its size).
final class ExaminedItems: Sendable {
    let items: [LoggedItem]
    let arguments: ArgumentArena
    let judgements: Judgements

    init(items: [LoggedItem], arguments: ArgumentArena, judgements: Judgements) {
        self.items = items
        self.arguments = arguments
        self.judgements = judgements
    }
}

/// Why a verification could not run.
public enum SnapshotVerificationError: Error, Sendable, CustomStringConvertible {
    /// Reading the binlog failed.
    case binlog(BinlogIOError)
    /// Reading the snapshot failed.
    case storage(PikaStorageError)
    /// The binlog has no file or no item.
    case emptyBinlog(String)

    public var description: String {
        switch self {
        case .binlog(let error): error.description
        case .storage(let error): error.description
        case .emptyBinlog(let path): "\(path): the binlog holds no item; nothing to compare the snapshot with"
        }
    }
}
