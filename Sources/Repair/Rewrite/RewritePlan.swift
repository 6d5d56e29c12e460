import BinlogFormat
import Dispatch

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

/// Pass 1: reads the whole binlog once, runs the checker and classifies keys.
struct RewriteAnalyzer {
    let files: [BinlogFileEntry]
    let directory: BinlogDirectory
    let options: RewriteOptions
    let path: String
    var progress: ((UInt64) -> Void)? = nil

    func analyze() throws(RewriteError) -> RewritePlan {
        var plan = RewritePlan()
        plan.listAppendForms = options.listAppendForms
        plan.skipStatelessKeys = options.skipStatelessKeys
        // The checker reads the binlog on another thread while this one classifies keys: two
        // decodes, but in parallel (the output thread of pass 2 is idle now).
        let checked = CheckerRun(directory: directory, files: files, configuration: options.check)
        checked.start()
        var stream = BinlogStream(
            files: files.map { entry in
                BinlogStream.File(fileNumber: entry.fileNumber) { () throws(BinlogIOError) -> any ByteSource in
                    try entry.openSource()
                }
            }, jobs: options.jobs)

        // The start point.
        var target: ResumePoint? = nil
        var snapshotMode = false
        switch options.start {
        case .automatic: break
        case .resumePoint(let r):
            target = r
            plan.startSource = .from
        case .snapshot(let seed):
            target = seed.verification.corrected
            plan.startSource = .snapshot
            snapshotMode = true
            for item in seed.verification.skip {
                plan.applied[packed(item.reference.start)] =
                    "already applied: the snapshot holds its effect (verify-snapshot decided \(item.decision.rawValue): \(item.evidence))"
            }
        }
        var locator = target.map { OffsetLocator(recorded: $0, fileNumbers: files.map(\.fileNumber)) }

        var first = true
        var firstItemSeen = false
        var previousEndInFile: ResumePoint? = nil
        var previous = PreviousListOperation()
        previous.key.reserveCapacity(256)

        var n = 0
        do {
            while let record = try stream.next() {
                n &+= 1
                if n & 4095 == 0, let progress { progress(stream.bytesConsumed) }
                if first {
                    plan.historyStart = KeyspaceModel.startsAtBeginningOfHistory(record)
                    first = false
                }
                if previousEndInFile?.fileNumber != record.start.fileNumber { previousEndInFile = nil }
                switch record {
                case .item(let item):
                    if locator != nil {
                        let reference = ItemReference(
                            logicID: item.header.logicID, start: item.start, end: item.end, stored: item.header.stored)
                        locator!.observe(.item, start: item.start, end: item.end, item: reference)
                    } else if !firstItemSeen {
                        plan.firstItem = packed(item.start)
                        plan.start =
                            plan.historyStart
                            ? ResumePoint(fileNumber: 0, offset: 0)
                            : previousEndInFile ?? ResumePoint(fileNumber: item.start.fileNumber, offset: 0)
                        plan.startSource = plan.historyStart ? .history : .firstItem
                        noteFirst(item, &plan)
                    }
                    firstItemSeen = true
                    classify(item, position: packed(item.start) &+ 1, snapshot: snapshotMode, &plan, &previous)
                case .padding(let p):
                    locator?.observe(.padding, start: p.start, end: p.end, item: nil)
                    previous.kind = .none
                case .damage(let d):
                    locator?.observe(.damage, start: d.start, end: d.end, item: nil)
                    previous.kind = .none
                }
                previousEndInFile = ResumePoint(after: record.end)
            }
        } catch {
            _ = checked.wait()
            throw .read(error)
        }
        guard firstItemSeen else {
            _ = checked.wait()
            throw .emptyBinlog(path)
        }
        finishSegments(&plan)

        if var locator {
            let location = locator.finish()
            guard location.isResumePoint else { throw .notAResumePoint(location) }
            plan.start = location.recorded
            if let next = location.nextItem {
                plan.firstItem = packed(next.start)
                plan.firstItemLogicID = next.logicID
            } else {
                plan.firstItem = nil
            }
            plan.replayBeforeStart = plan.historyStart && !snapshotMode && plan.start != ResumePoint(fileNumber: 0, offset: 0)
            if plan.historyStart && plan.start == ResumePoint(fileNumber: 0, offset: 0) && !snapshotMode {
                plan.startSource = .history
            }
        }

        let report: CheckReport
        switch checked.wait() {
        case .success(let r): report = r
        case .failure(let e): throw .read(e)
        }
        plan.findings = report.findings
        plan.statefulKeys = plan.keys.values.reduce(0) { $0 + ($1.needsState ? 1 : 0) }
        planChanges(report.findings, &plan)
        return plan
    }

    private func noteFirst(_ item: BinlogItem, _ plan: inout RewritePlan) {
        plan.firstItemLogicID = item.envelope == .pikaItem ? item.header.logicID : 0
        plan.firstItemTerm = item.envelope == .pikaItem ? item.header.termOrServerID : 0
        plan.firstItemTime = item.envelope == .pikaItem ? item.header.execTime : item.firstRecordTime
    }

    // MARK: - Keys

    /// The item before, when it was a list write the next item may continue: a push (whose
    /// `ltrim` may follow), or a `del k` / whole-list push (which a push in the same second
    /// continues: the whole-list form `del k`, `rpush k …` this rewrite writes).
    struct PreviousListOperation {
        enum Kind { case none, push(RewritePlan.AppendList.Side), del, wholePush(RewritePlan.AppendList.Side) }
        var kind = Kind.none
        var key: [UInt8] = []
        var time: UInt32 = 0

        func isOn(_ key: UnsafeRawBufferPointer) -> Bool { self.key.elementsEqual(key) }

        mutating func set(_ kind: Kind, _ key: UnsafeRawBufferPointer, time: UInt32) {
            self.kind = kind
            self.key.removeAll(keepingCapacity: true)
            self.key.append(contentsOf: key)
            self.time = time
        }
    }

    /// Records what the rewrite needs to know about the keys of one item.
    private func classify(
        _ item: BinlogItem, position: UInt64, snapshot: Bool, _ plan: inout RewritePlan,
        _ previous: inout PreviousListOperation
    ) {
        let command = item.command
        let cls = CommandClass.of(command)
        let before = previous
        previous.kind = .none
        let time = item.envelope == .pikaItem ? item.header.execTime : item.firstRecordTime
        switch cls.kind {
        case .readOnly, .padding:
            return
        case .global:
            plan.lastGlobal = position
            if command.count >= 1 && !command.nameIs("flushdb") && !command.nameIs("flushall") {
                plan.hasPatternDelete = true
            }
            return
        case .absolute:
            let deletes = command.nameIs("del") || command.nameIs("unlink")
            cls.forEachKey(command) { key in touchOther(key, position, &plan, emptied: deletes) }
            if command.count == 2 && deletes {
                previous.set(.del, command[1], time: time)
            }
        case .collectionAdd:
            cls.forEachKey(command) { key in
                if snapshot {
                    let k = plan.keys.findOrInsert(key) { RewritePlan.KeyPlan() }
                    plan.keys[k].needsState = true
                }
                touchOther(key, position, &plan)
            }
        case .rightPush, .leftPush:
            let key = command[1]
            let k = entry(key, position, &plan)
            plan.keys[k].needsState = true
            let count = Int64(command.count - 2)
            plan.keys[k].lastNotCounter = position
            plan.keys[k].lastNotHashCounter = position
            let side: RewritePlan.AppendList.Side = cls.kind == .rightPush ? .right : .left
            // A push right after `del k` (or after such a push) in the same second writes the
            // whole list: the list's length is known from here, nothing is pending.
            var whole: Int64? = nil
            if before.time == time && before.isOn(key) {
                switch before.kind {
                case .del: whole = 0
                case .wholePush(let s) where s == side:
                    whole = (side == .right ? plan.keys[k].right.lastCut : plan.keys[k].left.lastCut) ?? 0
                default: break
                }
            }
            if side == .right {
                plan.keys[k].lastNotLeft = position
                plan.keys[k].left = RewritePlan.SideSegment()
                if let whole {
                    plan.keys[k].right = RewritePlan.SideSegment(lastCut: whole + count)
                } else {
                    push(&plan.keys[k].right, count)
                }
            } else {
                plan.keys[k].lastNotRight = position
                plan.keys[k].right = RewritePlan.SideSegment()
                if let whole {
                    plan.keys[k].left = RewritePlan.SideSegment(lastCut: whole + count)
                } else {
                    push(&plan.keys[k].left, count)
                }
            }
            previous.set(whole != nil ? .wholePush(side) : .push(side), key, time: time)
        case .trim:
            let key = command[1]
            let k = entry(key, position, &plan)
            plan.keys[k].needsState = true
            plan.keys[k].lastNotCounter = position
            plan.keys[k].lastNotHashCounter = position
            var side: RewritePlan.AppendList.Side? = nil
            if case .push(let s) = before.kind, before.isOn(key) { side = s }
            if side == .right, let n = Self.rightCut(command) {
                plan.keys[k].lastNotLeft = position
                plan.keys[k].left = RewritePlan.SideSegment()
                if !cut(&plan.keys[k].right, n) {
                    plan.keys[k].lastNotRight = position
                    plan.keys[k].right = RewritePlan.SideSegment(lastCut: n)
                }
            } else if side == .left, let m = Self.leftCut(command) {
                plan.keys[k].lastNotRight = position
                plan.keys[k].right = RewritePlan.SideSegment()
                if !cut(&plan.keys[k].left, m) {
                    plan.keys[k].lastNotLeft = position
                    plan.keys[k].left = RewritePlan.SideSegment(lastCut: m)
                }
            } else {
                touchOther(key, position, &plan)
            }
        case .stateful:
            let step = CounterStep.of(command)
            cls.forEachKey(command) { key in
                let k = plan.keys.findOrInsert(key) { RewritePlan.KeyPlan() }
                plan.keys[k].needsState = true
                touchOther(key, position, &plan, counter: step)
            }
        }
    }

    /// An operation on `key` that is neither a right nor a left append. After `del k` the list
    /// is empty: its length is known (0) for the pushes that follow.
    private func touchOther(
        _ key: UnsafeRawBufferPointer, _ position: UInt64, _ plan: inout RewritePlan, emptied: Bool = false,
        counter: CounterStep? = nil
    ) {
        guard let k = plan.keys.index(of: key) else { return }
        if counter != .string { plan.keys[k].lastNotCounter = position }
        if counter != .hash { plan.keys[k].lastNotHashCounter = position }
        plan.keys[k].lastNotRight = position
        plan.keys[k].lastNotLeft = position
        plan.keys[k].right = RewritePlan.SideSegment(lastCut: emptied ? 0 : nil)
        plan.keys[k].left = RewritePlan.SideSegment(lastCut: emptied ? 0 : nil)
        plan.keys[k].lastTouch = position
    }

    /// The key's entry, its segments started afresh (empty list) when a FLUSHDB came since it
    /// was last touched.
    private func entry(_ key: UnsafeRawBufferPointer, _ position: UInt64, _ plan: inout RewritePlan) -> Int {
        let k = plan.keys.findOrInsert(key) { RewritePlan.KeyPlan() }
        if plan.keys[k].lastTouch < plan.lastGlobal {
            plan.keys[k].right = RewritePlan.SideSegment(lastCut: 0)
            plan.keys[k].left = RewritePlan.SideSegment(lastCut: 0)
        }
        plan.keys[k].lastTouch = position
        return k
    }

    private func push(_ segment: inout RewritePlan.SideSegment, _ count: Int64) {
        if segment.pendingPush { segment.paired = false }
        segment.pendingPush = true
        segment.pushedSinceCut &+= count
    }

    /// An `ltrim` right after a push on the same key, keeping `length` elements on the pushed
    /// side; false when it contradicts the lengths of the segment (a capped list, not an append).
    private func cut(_ segment: inout RewritePlan.SideSegment, _ length: Int64) -> Bool {
        if let last = segment.lastCut, length != last &+ segment.pushedSinceCut { return false }
        segment.lastCut = length
        segment.pushedSinceCut = 0
        segment.pendingPush = false
        return true
    }

    private func finishSegments(_ plan: inout RewritePlan) {
        for k in 0..<plan.keys.count {
            if plan.keys[k].right.pendingPush { plan.keys[k].right.paired = false }
            if plan.keys[k].left.pendingPush { plan.keys[k].left.paired = false }
        }
    }

    /// `ltrim k 0 N` (N ≥ 0): keeps N + 1 elements from the head.
    static func rightCut(_ command: RESPCommand) -> Int64? {
        guard command.count == 4, command[2].count == 1, command[2][0] == UInt8(ascii: "0"),
            let n = RedisNumbers.parseInt64(command[3]), n >= 0, n < .max
        else { return nil }
        return n + 1
    }

    /// `ltrim k -M -1` (M ≥ 1): keeps M elements from the tail.
    static func leftCut(_ command: RESPCommand) -> Int64? {
        guard command.count == 4, command[3].count == 2, command[3][0] == UInt8(ascii: "-"),
            command[3][1] == UInt8(ascii: "1"), let m = RedisNumbers.parseInt64(command[2]), m <= -1, m > .min
        else { return nil }
        return -m
    }

    // MARK: - Findings

    /// Turns the findings into drops and moves, for the ranges at or after the first item written.
    private func planChanges(_ findings: [Finding], _ plan: inout RewritePlan) {
        let from = plan.firstItem ?? UInt64.max
        for f in findings {
            guard let range = f.range else { continue }
            let first = packed(range.first.position)
            let last = packed(range.last.position)
            switch f.kind {
            case .duplicateRange:
                // Only a range written again with its stored headers is proven to be a copy. A repeat
                // of commands alone is kept: dropping a workload's repeat loses writes (a counter
                // ends short). Where a replica could have received it twice, diff decides.
                guard f.severity == .error else {
                    if f.severity == .warning {
                        plan.remarks.append(
                            "kept: \(f.count) items at \(range) repeat the commands of \(f.related.map { "\($0)" } ?? "earlier items") under new logic ids; commands alone do not prove a range applied twice (a workload repeats itself too): rewrite MASTER_LOG --replica THIS_LOG compares with the master")
                    }
                    continue
                }
                guard first >= from else {
                    plan.remarks.append("not dropped: the duplicated range \(range) begins before the start point")
                    continue
                }
                plan.drops.append(
                    RewritePlan.Drop(
                        first: first, last: last,
                        reason: "duplicate: written a second time, headers included",
                        related: f.related))
            case .logicIDRepeat:
                if first >= from { plan.repeats.append((first, last)) }
            case .outOfOrder:
                guard let related = f.related else { continue }
                guard first >= from, packed(related.first.position) >= from else {
                    plan.remarks.append("not reordered: the out-of-order range \(range) or the items it belongs before lie before the start point")
                    continue
                }
                plan.moves.append(
                    RewritePlan.Move(
                        first: first, last: last, firstLocation: range.first, lastLocation: range.last,
                        before: related.first, related: related))
            default:
                continue
            }
        }
        // Moves that overlap a drop or each other, or go before an item inside another move, are
        // not applied: the order there is not clear.
        var kept: [RewritePlan.Move] = []
        for move in plan.moves {
            let target = packed(move.before.position)
            let clash =
                plan.drops.contains { !($0.last < move.first || $0.first > move.last) }
                || kept.contains { other in
                    !(other.last < move.first || other.first > move.last)
                        || (target >= other.first && target <= other.last)
                        || (packed(other.before.position) >= move.first && packed(other.before.position) <= move.last)
                }
                || target >= move.first
            if clash {
                plan.remarks.append(
                    "not reordered: the out-of-order range \(move.firstLocation)..\(move.lastLocation) overlaps another change")
            } else {
                kept.append(move)
            }
        }
        plan.moves = kept.sorted { packed($0.before.position) < packed($1.before.position) }
        plan.drops.sort { $0.first < $1.first }
        if !plan.moves.isEmpty {
            // Append forms rely on the order of a key's operations seen here.
            plan.listAppendForms = false
        }
        if !plan.drops.isEmpty || !plan.repeats.isEmpty || !plan.applied.isEmpty {
            // A dropped item may be the `ltrim` of a push that stays: every push gets its own cut.
            plan.unpairAll = true
        }
    }
}

/// `BinlogChecker` over the whole binlog on a background thread.
final class CheckerRun: @unchecked Sendable {
    let directory: BinlogDirectory
    let files: [BinlogFileEntry]
    let configuration: CheckConfiguration
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<CheckReport, BinlogIOError>? = nil

    init(directory: BinlogDirectory, files: [BinlogFileEntry], configuration: CheckConfiguration) {
        self.directory = directory
        self.files = files
        self.configuration = configuration
    }

    func start() {
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            var checker = BinlogChecker(configuration: configuration, directory: directory)
            var stream = BinlogStream(
                files: files.map { entry in
                    BinlogStream.File(fileNumber: entry.fileNumber) { () throws(BinlogIOError) -> any ByteSource in
                        try entry.openSource()
                    }
                })
            do throws(BinlogIOError) {
                try checker.add(contentsOf: &stream)
                checker.manifestAtEnd = directory.manifest?.readAgain()
                result = .success(checker.finish())
            } catch {
                result = .failure(error)
            }
            done.signal()
        }
    }

    /// Waits for the checker and returns its report.
    func wait() -> Result<CheckReport, BinlogIOError> {
        done.wait()
        return result!
    }
}
