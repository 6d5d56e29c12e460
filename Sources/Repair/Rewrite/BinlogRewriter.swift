import BinlogFormat

/// Rewrites a Pika binlog into one that is safe to replay from its start point even where part
/// of it is already applied: duplicated ranges dropped, out-of-order ranges put back in order,
/// and every relative or counter command replaced by the absolute form of its result (Docs/Format.md
/// §C2), computed by a ``KeyspaceModel`` that replays the log.
///
/// Two passes over the input, memory bounded by the keys whose state is needed:
/// 1. ``RewriteAnalyzer``: the checker's findings (duplicates, reorderings), the start point, and
///    which keys need state at all (keys only ever written by absolute commands do not);
/// 2. the rewrite proper, streaming from the first item written to the end, into a
///    ``RewriteOutput`` (a binlog directory or a RESP stream); every change goes to `report`.
///
/// The inputs are only read. Usage:
/// ```swift
/// let rewriter = BinlogRewriter(directory: try BinlogDirectory(path: "log/log_db0"))
/// let summary = try rewriter.rewrite(into: output) { change in … }
/// print(summary.resumePoint)
/// ```
public struct BinlogRewriter {
    public let directory: BinlogDirectory
    public let options: RewriteOptions

    public init(directory: BinlogDirectory, options: RewriteOptions = RewriteOptions()) {
        self.directory = directory
        self.options = options
    }

    /// Runs both passes.
    /// - Parameters:
    ///   - output: where the commands go; ``RewriteOutput/finish()`` is called at the end, and
    ///     ``RewriteOutput/abandon()`` when this throws.
    ///   - progress: called now and then with the pass (1 or 2) and the input bytes read in it.
    ///   - report: called with every change, in output order; nil builds no change at all.
    /// - Returns: the totals and the resume point the output pairs with.
    /// - Throws: ``RewriteError`` for read, write and snapshot failures, an empty binlog, or a
    ///   `--from` that is not a resume point.
    public func rewrite(
        into output: any RewriteOutput, progress: ((Int, UInt64) -> Void)? = nil,
        report: ((RewriteChange) -> Void)? = nil
    ) throws(RewriteError) -> RewriteSummary {
        do {
            let plan = try RewriteAnalyzer(
                files: directory.files, directory: directory, options: options,
                path: directory.path ?? "binlog", progress: progress.map { p in { p(1, $0) } }
            ).analyze()
            var run = RewriteRun(plan: plan, options: options, files: directory.files, output: output, report: report)
            return try run.execute(progress: progress.map { p in { p(2, $0) } })
        } catch {
            output.abandon()
            throw error
        }
    }
}

/// Pass 2: one run of the rewrite.
struct RewriteRun {
    var plan: RewritePlan
    let options: RewriteOptions
    let files: [BinlogFileEntry]
    let output: any RewriteOutput
    let report: ((RewriteChange) -> Void)?
    var model: KeyspaceModel
    var summary: RewriteSummary
    let fastPath: Bool
    let snapshotMode: Bool
    /// The model saw the last item (so an item it does not see must break its adjacency).
    var modelFedLast = false
    var begun = false
    /// RESP of the commands being written.
    var encoded: [UInt8] = []
    /// The logic id and content hash of the previous item (for `logic-id-repeat` ranges).
    var previousItem: (logicID: UInt64, hash: UInt64)? = nil
    /// Written for the current item (collected only while `collecting`).
    var written: [OutputCommand] = []
    var collecting = false
    /// A replacement `[the item as logged, an expiry]` whose expiry is not written yet: when the
    /// next item is that very expiry (this rewrite's own output read back), both are written as
    /// logged and nothing is reported.
    var pendingExpiry: PendingExpiry? = nil
    /// Changes per kind (``RewriteChange/Kind/index``), copied into the summary at the end.
    var counts = [Int](repeating: 0, count: RewriteChange.Kind.allCases.count)
    /// Where the last item written as logged went.
    var lastLocation: OutputLocation? = nil

    struct PendingExpiry {
        var command: [[UInt8]]
        var item: InputLocation
        var arguments: [[UInt8]]
        var time: UInt32
        var logged: OutputLocation
    }

    init(
        plan: RewritePlan, options: RewriteOptions, files: [BinlogFileEntry], output: any RewriteOutput,
        report: ((RewriteChange) -> Void)?
    ) {
        self.plan = plan
        self.options = options
        self.files = files
        self.output = output
        self.report = report
        var seed = "none: the binlog does not start at the beginning of history; keys start unknown"
        switch options.start {
        case .snapshot(let s):
            model = KeyspaceModel(startsAtBeginningOfHistory: false, source: s.source, dialect: options.dialect)
            snapshotMode = true
            seed = "snapshot"
        default:
            model = KeyspaceModel(startsAtBeginningOfHistory: plan.historyStart, dialect: options.dialect)
            snapshotMode = false
            if plan.historyStart {
                seed = plan.replayBeforeStart ? "history: replayed from logic id 1" : "history: empty dataset at 0:0"
            }
        }
        fastPath = plan.skipStatelessKeys && !(options.dialect == .redis && plan.hasPatternDelete)
        summary = RewriteSummary(resumePoint: plan.start, startSource: plan.startSource, seed: seed)
        summary.remarks = plan.remarks
        summary.inputFindings = plan.findings
        summary.statefulKeys = plan.statefulKeys
        encoded.reserveCapacity(1 << 16)
    }

    // MARK: - Driver

    mutating func execute(progress: ((UInt64) -> Void)?) throws(RewriteError) -> RewriteSummary {
        if case .snapshot(let seed) = options.start { reportAppliedBeforeStart(seed.verification) }
        if let first = plan.firstItem {
            let startPosition = PhysicalPosition(fileNumber: FileNumber(first >> 40), offset: first & ((1 << 40) - 1))
            var stream = BinlogStream(
                files: streamFiles(), start: plan.replayBeforeStart ? nil : startPosition,
                decodeWorkers: options.rewriteDecodeWorkers ?? (options.jobs > 1 ? options.jobs : 0))
            var n = 0
            let stop = options.stop.map { PhysicalPosition(fileNumber: $0.fileNumber, offset: $0.offset) }
            do {
                while let record = try stream.next() {
                    n &+= 1
                    if n & 4095 == 0, let progress { progress(stream.bytesConsumed) }
                    if let stop, record.start >= stop { break }
                    let p = packed(record.start)
                    if p < first {
                        if plan.replayBeforeStart, case .item(let item) = record { try replayBeforeStart(item) }
                        continue
                    }
                    if case .item(let item) = record {
                        if let cut = options.cut, isPast(cut, item) {
                            summary.cutBefore = location(item)
                            summary.cutBeforeExecTime = execTime(item)
                            break
                        }
                        if !plan.moves.isEmpty {
                            if let m = plan.moves.firstIndex(where: { !$0.done && packed($0.before.position) == p }) {
                                try emitMove(m)
                            }
                            if plan.moves.contains(where: { p >= $0.first && p <= $0.last }) { continue }
                        }
                        try process(item, moved: nil)
                    } else {
                        try process(other: record)
                    }
                }
            } catch let e as RewriteError {
                throw e
            } catch let e as BinlogIOError {
                throw .read(e)
            } catch {
                throw .snapshot(String(describing: error))
            }
        }
        try flushPendingExpiry()
        try beginIfNeeded(logicID: plan.firstItemLogicID, term: 0, time: 0)
        for kind in RewriteChange.Kind.allCases where counts[Int(kind.index)] > 0 {
            summary.counts[kind] = counts[Int(kind.index)]
        }
        summary.outputStatus = try output.finish()
        summary.outputBytes = output.byteCount
        summary.trackedKeys = model.trackedKeyCount
        summary.appendLists = plan.keys.values.reduce(0) { $0 + ($1.append != nil ? 1 : 0) }
        summary.counterKeys = plan.keys.values.reduce(0) { $0 + ($1.counter != nil || $1.hashCounter != nil ? 1 : 0) }
        return summary
    }

    func streamFiles() -> [BinlogStream.File] {
        files.map { entry in
            BinlogStream.File(fileNumber: entry.fileNumber) { () throws(BinlogIOError) -> any ByteSource in
                try entry.openSource()
            }
        }
    }

    /// Writes the items of an out-of-order range before the item they belong before.
    mutating func emitMove(_ index: Int) throws(RewriteError) {
        try flushPendingExpiry()
        plan.moves[index].done = true
        let move = plan.moves[index]
        var side = BinlogStream(files: streamFiles(), start: move.firstLocation.position)
        do {
            while let record = try side.next() {
                let p = packed(record.start)
                if p < move.first { continue }
                if p > move.last { break }
                if case .item(let item) = record { try process(item, moved: index) }
            }
        } catch let e as RewriteError {
            throw e
        } catch let e as BinlogIOError {
            throw .read(e)
        } catch {
            throw .snapshot(String(describing: error))
        }
    }

    /// The snapshot's lagging items before the corrected point: already applied, not written.
    mutating func reportAppliedBeforeStart(_ verification: SnapshotVerification) {
        for item in verification.lagging where item.resumeBefore < verification.corrected {
            bump(.applied)
            emit(
                RewriteChange(
                    kind: .applied,
                    item: InputLocation(
                        start: item.reference.start, end: item.reference.end, logicID: item.logicID,
                        stored: item.reference.stored),
                    arguments: item.arguments,
                    reason:
                        "after the snapshot's info offset \(verification.recorded) but already in its data: not written; the output starts after it, at \(verification.corrected)"
                ))
        }
    }

    // MARK: - Records

    mutating func process(other record: BinlogRecord) throws(RewriteError) {
        try flushPendingExpiry()
        switch record {
        case .padding(let p):
            summary.paddingBytes += p.byteCount
            bump(.padding)
            emit(
                RewriteChange(
                    kind: .padding, item: nil, arguments: nil,
                    reason: "\(p.kind.rawValue) padding (\(p.byteCount) bytes): not a command, not carried over",
                    region: (p.start, p.end)))
        case .damage(let d):
            summary.damageBytes += d.length
            bump(.damage)
            emit(
                RewriteChange(
                    kind: .damage, item: nil, arguments: nil, reason: "skipped: \(d.reason)", region: (d.start, d.end)))
        case .item:
            break
        }
    }

    /// - Parameter moved: the index in `plan.moves` of the out-of-order range `item` is written from
    ///   (not the `Move` itself: a large value, copied per item).
    mutating func process(_ item: BinlogItem, moved: Int?) throws(RewriteError) {
        if let pending = pendingExpiry, moved != nil || !Self.same(item.command, pending.command) {
            try flushPendingExpiry()
        }
        summary.itemsRead += 1
        let p = packed(item.start)
        let logicID = item.envelope == .pikaItem ? item.header.logicID : 0
        if summary.firstItem == nil { summary.firstItem = location(item) }
        try beginIfNeeded(
            logicID: logicID, term: item.envelope == .pikaItem ? item.header.termOrServerID : 0, time: execTime(item))

        // Drops decided by the analysis.
        if let covering = dropCovering(p) {
            drop(item, reason: covering.reason, related: covering.related)
            return
        }
        if !plan.applied.isEmpty, let why = plan.applied[p] {
            drop(item, reason: why, related: nil)
            return
        }
        if !plan.repeats.isEmpty {
            let hash = ContentHash.hash(item.content)
            defer { previousItem = (logicID, hash) }
            if let prev = previousItem, prev.logicID == logicID, prev.hash == hash,
                plan.repeats.contains(where: { p >= $0.first && p <= $0.last })
            {
                drop(item, reason: "repeated: the same logic id and command as the item before (written twice in a row)", related: nil)
                return
            }
        }

        collecting = moved != nil
        written.removeAll(keepingCapacity: true)
        try decide(item, position: p &+ 1)
        if let m = moved {
            let moved = plan.moves[m]
            bump(.reordered)
            emit(
                RewriteChange(
                    kind: .reordered, item: location(item), arguments: item.command.ownedArguments(), written: written,
                    reason: "out of order: moved back before \(moved.before), where its logic id and position belong",
                    related: moved.related))
        }
        collecting = false
    }

    func dropCovering(_ p: UInt64) -> RewritePlan.Drop? {
        guard !plan.drops.isEmpty else { return nil }
        var lo = 0
        var hi = plan.drops.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if plan.drops[mid].first <= p { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        let d = plan.drops[lo - 1]
        return p <= d.last ? d : nil
    }

    mutating func drop(_ item: BinlogItem, reason: String, related: FindingRange?) {
        try? flushPendingExpiry()
        bump(.dropped)
        emit(
            RewriteChange(
                kind: .dropped, item: location(item), arguments: item.command.ownedArguments(), reason: reason,
                related: related))
    }
}
