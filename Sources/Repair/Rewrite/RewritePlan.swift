import BinlogFormat

/// A binlog position packed into one word for ordering: file number above bit 40, offset below.
@inline(__always)
func packed(_ p: PhysicalPosition) -> UInt64 { UInt64(p.fileNumber) << 40 | p.offset }

/// The first pass of a rewrite: everything decided before a byte is written.
///
/// - the start point and the first item written;
/// - the `check` findings: duplicated ranges to drop, out-of-order ranges to move back;
/// - per key, whether its state is needed at all (only keys written by commands that are not
///   absolute), and for list keys, from where on every operation is an append on one side (the
///   ranges written as `push` + `ltrim` to the resulting length).
///
/// Memory: the checker's bounded window, the findings, and one small record per key that needs
/// state (or is pushed to); nothing per item.
struct RewritePlan {
    /// A list key's appends from one side since the last other operation on it.
    struct SideSegment {
        /// The length asserted by the last `ltrim` pair (`-1`-based stop), if any.
        var lastCut: Int64? = nil
        /// Elements pushed since that `ltrim`.
        var pushedSinceCut: Int64 = 0
        /// A push not yet followed by its `ltrim`.
        var pendingPush = false
        /// Every push so far was followed by an `ltrim` to its resulting length (this rewrite's
        /// own output): such pushes are written as logged.
        var paired = true
    }

    /// What pass 2 keeps in append mode for a list key.
    struct AppendList {
        enum Side { case right, left }
        var side: Side
        /// The list's length, when known.
        var length: Int64?
        /// Pushes are followed by their own `ltrim` (written as logged).
        var paired: Bool
    }

    struct KeyPlan {
        var needsState = false
        /// 1 + the packed position of the last operation on the key that is not a right (left)
        /// append; 0 for none.
        var lastNotRight: UInt64 = 0
        var lastNotLeft: UInt64 = 0
        var right = SideSegment()
        var left = SideSegment()
        /// Pass 2: the list is being written as appends.
        var append: AppendList? = nil
        /// Pass 2: append mode was considered and refused (an expiry, a type conflict).
        var appendRefused = false
        /// 1 + the packed position of the last item on this key seen by the analysis.
        var lastTouch: UInt64 = 0
        /// 1 + the packed position of the last operation on the key that is not an integer
        /// counter step of the string (INCR/DECR/INCRBY/DECRBY) or hash (HINCRBY) kind; 0: none.
        var lastNotCounter: UInt64 = 0
        var lastNotHashCounter: UInt64 = 0
        /// Pass 2: the key's counter value(s), kept here instead of in the model (see
        /// ``RewriteRun`` counters); `counterRefused` when the model's state did not allow it.
        var counter: Int64? = nil
        var hashCounter: Int? = nil
        var counterRefused = false
    }

    /// Pass 2: the fields of hashes written only by HINCRBY from some point on.
    var hashCounters: [RewriteKeyTable<Int64>] = []

    /// A range of items moved back before another item.
    struct Move {
        var first: UInt64
        var last: UInt64
        var firstLocation: FindingLocation
        var lastLocation: FindingLocation
        var before: FindingLocation
        var related: FindingRange
        var done = false
    }

    struct Drop {
        var first: UInt64
        var last: UInt64
        var reason: String
        var related: FindingRange?
    }

    var historyStart = false
    /// The resume point the output starts at.
    var start = ResumePoint(fileNumber: 0, offset: 0)
    var startSource: RewriteStartSource = .firstItem
    /// The first item written (packed position); nil: nothing to write.
    var firstItem: UInt64? = nil
    var firstItemLogicID: UInt64 = 0
    var firstItemTerm: UInt32 = 0
    var firstItemTime: UInt32 = 0
    /// Replay the items before the first one written into the model (history log, `--from`).
    var replayBeforeStart = false

    var drops: [Drop] = []
    /// `logic-id-repeat` ranges: an item there is dropped when it repeats the one before exactly.
    var repeats: [(first: UInt64, last: UInt64)] = []
    var moves: [Move] = []
    var keys = RewriteKeyTable<KeyPlan>(capacity: 1024)
    /// 1 + the packed position of the last FLUSHDB/FLUSHALL/PKPATTERNMATCHDEL; 0 for none.
    var lastGlobal: UInt64 = 0
    var hasPatternDelete = false
    var findings: [Finding] = []
    var remarks: [String] = []
    var listAppendForms = true
    /// Write a cut after every push, even where the input pairs them already (items are dropped).
    var unpairAll = false
    var skipStatelessKeys = true
    /// Snapshot: items not written because the snapshot holds them (packed start → reason).
    var applied: [UInt64: String] = [:]
    var statefulKeys = 0
}
