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
                files: streamFiles(), start: plan.replayBeforeStart ? nil : startPosition, jobs: options.jobs)
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
                if case .item(let item) = record { try process(item, moved: move) }
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

    mutating func process(_ item: BinlogItem, moved: RewritePlan.Move?) throws(RewriteError) {
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
        if let why = plan.applied[p] {
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
        if let moved {
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

    // MARK: - Decisions

    /// Decides and writes one item. `position` is 1 + its packed start (the analysis' order).
    mutating func decide(_ item: BinlogItem, position: UInt64) throws(RewriteError) {
        let command = item.command
        let cls = CommandClass.of(command)
        switch cls.kind {
        case .padding:
            drop(item, reason: "a padding item: not a command", related: nil)
            return
        case .readOnly:
            try writeLogged(item)
            summary.kept += 1
            bypassModel()
            return
        case .absolute, .collectionAdd:
            if fastPath && (cls.kind == .absolute || !snapshotMode) && !needsState(cls, command) {
                if options.dialect == .redis, let translated = RewriteDialect.redisForm(command) {
                    try writeReplacement(item, [translated], reason: "pksetexat has no Redis form: SET with an absolute expiry")
                } else {
                    try writeLogged(item)
                    summary.kept += 1
                }
                bypassModel()
                return
            }
        case .rightPush, .leftPush:
            if plan.listAppendForms, let k = plan.keys.index(of: command[1]) {
                let side: RewritePlan.AppendList.Side = cls.kind == .rightPush ? .right : .left
                let last = side == .right ? plan.keys[k].lastNotRight : plan.keys[k].lastNotLeft
                if position > last && position > plan.lastGlobal && !plan.keys[k].appendRefused {
                    try appendPush(item, key: k, side: side)
                    return
                }
            }
        case .trim:
            if plan.listAppendForms, let k = plan.keys.index(of: command[1]), plan.keys[k].append != nil {
                try appendTrim(item, key: k)
                return
            }
        case .stateful:
            if let step = CounterStep.of(command), try counterStep(item, step: step, position: position) { return }
        case .global:
            break
        }
        let decision = try modelDecision(item)
        try write(item, decision)
    }

    func needsState(_ cls: CommandClass, _ command: RESPCommand) -> Bool {
        var needed = false
        cls.forEachKey(command) { key in
            if !needed, let k = plan.keys.index(of: key), plan.keys[k].needsState { needed = true }
        }
        return needed
    }

    mutating func modelDecision(_ item: BinlogItem) throws(RewriteError) -> RewriteDecision {
        modelFedLast = true
        do {
            return try model.rewrite(item)
        } catch {
            throw .snapshot("\(error)")
        }
    }

    /// An item the model does not see: break its adjacency (a `del k` then `rpush k` in the same
    /// second is one whole-list write only when nothing comes between them).
    mutating func bypassModel() {
        guard modelFedLast else { return }
        modelFedLast = false
        model.noteItemNotReplayed()
    }

    /// Items before the start point of a binlog that starts at the beginning of history: replayed
    /// into the model (nothing written) wherever the rewrite will need the keys' states.
    mutating func replayBeforeStart(_ item: BinlogItem) throws(RewriteError) {
        let command = item.command
        let cls = CommandClass.of(command)
        switch cls.kind {
        case .readOnly, .padding:
            return
        case .absolute, .collectionAdd:
            if fastPath && !needsState(cls, command) {
                bypassModel()
                return
            }
        default:
            break
        }
        _ = try modelDecision(item)
    }

    /// Writes what `decision` says for `item`, and reports it unless it is a plain keep.
    mutating func write(_ item: BinlogItem, _ decision: RewriteDecision) throws(RewriteError) {
        if pendingExpiry != nil {
            if case .replace(let commands) = decision, commands.isEmpty {
                // The expiry the item before asserted again, as this rewrite wrote it: as logged.
                pendingExpiry = nil
                try writeLogged(item)
                summary.kept += 2
                return
            }
            try flushPendingExpiry()
        }
        if !collecting, case .replace(let commands) = decision, commands.count == 2, Self.isExpiry(commands[1]),
            commands[1].count > 1, commands[0] == item.command.ownedArguments()
        {
            try writeLogged(item)
            pendingExpiry = PendingExpiry(
                command: commands[1], item: location(item), arguments: commands[0], time: execTime(item),
                logged: lastLocation!)
            return
        }
        switch decision {
        case .keep:
            try writeLogged(item)
            summary.kept += 1
        case .replace(let commands):
            if commands.isEmpty {
                drop(item, reason: "no effect on the modelled state (a condition that failed, nothing to pop or remove)", related: nil)
            } else {
                try writeReplacement(item, commands, reason: "made absolute: the resulting value, not the operation")
            }
        case .keepUnmodelled(let key, let reason):
            try writeLogged(item)
            bump(.unmodelled)
            emit(
                RewriteChange(
                    kind: .unmodelled, item: location(item), arguments: item.command.ownedArguments(),
                    written: written, reason: reason, key: key))
        case .unknownPriorState(let key, let reason):
            try writeLogged(item)
            bump(.flagged)
            emit(
                RewriteChange(
                    kind: .flagged, item: location(item), arguments: item.command.ownedArguments(), written: written,
                    reason: reason, key: key))
        case .drop:
            drop(item, reason: "not a command", related: nil)
        }
    }

    // MARK: - Lists written as appends

    /// A push on a list whose later operations are all pushes on the same side (and the `ltrim`
    /// pairs of this rewrite's own output): `push` + `ltrim` to the resulting length.
    mutating func appendPush(_ item: BinlogItem, key k: Int, side: RewritePlan.AppendList.Side) throws(RewriteError) {
        let command = item.command
        let pushed = Int64(command.count - 2)
        let isX = command[0].count == 6  // rpushx / lpushx
        let paired = !plan.unpairAll && (side == .right ? plan.keys[k].right.paired : plan.keys[k].left.paired)
        if plan.keys[k].append == nil {
            // The first push of the run: the model gives the list's state (asking the snapshot
            // if needed), then lets go of the key.
            let decision = try modelDecision(item)
            var length: Int64? = nil
            switch decision {
            case .unknownPriorState:
                length = nil
            case .keep, .replace:
                let key = plan.keys.key(k)
                switch model.state(of: key, atMs: Int64(execTime(item)) * 1000) {
                case .present(.list(let elements), nil): length = Int64(elements.count)
                case .absent: length = 0
                default:
                    plan.keys[k].appendRefused = true
                    try write(item, decision)
                    return
                }
            default:
                plan.keys[k].appendRefused = true
                try write(item, decision)
                return
            }
            let list = RewritePlan.AppendList(side: side, length: length, paired: paired)
            plan.keys[k].append = list
            if length != nil {
                _ = try? model.rewrite([Array("del".utf8), plan.keys.key(k)], execTimeSeconds: execTime(item))
            }
            switch decision {
            case .replace(let commands) where commands.isEmpty:
                drop(item, reason: "no effect on the modelled state (a push to a list that does not exist)", related: nil)
            case .keep:
                try writeLogged(item)
                summary.kept += 1
            case .unknownPriorState(let key, let reason):
                try writeLogged(item)
                if !paired {
                    bump(.flagged)
                    emit(
                        RewriteChange(
                            kind: .flagged, item: location(item), arguments: command.ownedArguments(), written: written,
                            reason: reason, key: key))
                } else {
                    summary.kept += 1
                }
            default:
                try writeAppend(item, list: list)
            }
            return
        }
        var list = plan.keys[k].append!
        bypassModel()
        if var length = list.length {
            if isX && length == 0 {
                drop(item, reason: "no effect on the modelled state (a push to a list that does not exist)", related: nil)
                return
            }
            length += pushed
            list.length = length
            plan.keys[k].append = list
            try writeAppend(item, list: list)
        } else if list.paired {
            try writeLogged(item)
            summary.kept += 1
        } else {
            try writeLogged(item)
            bump(.flagged)
            emit(
                RewriteChange(
                    kind: .flagged, item: location(item), arguments: command.ownedArguments(), written: written,
                    reason: "\(Self.text(command[0]).uppercased()) is not replay-safe and needs the prior state; \(KeyspaceModel.noPriorState)",
                    key: plan.keys.key(k)))
        }
    }

    /// The push as logged followed by the cut to its resulting length, or as logged when its own
    /// `ltrim` follows it in the input.
    mutating func writeAppend(_ item: BinlogItem, list: RewritePlan.AppendList) throws(RewriteError) {
        if list.paired {
            try writeLogged(item)
            summary.kept += 1
            return
        }
        let command = item.command
        let length = list.length ?? 0
        let keep = report != nil || collecting
        let before = written.count
        try writeLogged(item)
        let pushedAt = lastLocation!
        encodeCut(key: command[1], side: list.side, length: length)
        let cutAt = try writeEncoded(time: execTime(item), recordTimes: UnsafeBufferPointer(start: nil, count: 0))
        summary.commandsWritten += 1
        bump(.replaced)
        guard keep else { return }
        let cutArgv: [[UInt8]] = [Array("ltrim".utf8), Array(command[1])]
            + (list.side == .right ? [Array("0".utf8), Array(String(length - 1).utf8)] : [Array(String(-length).utf8), Array("-1".utf8)])
        if collecting {
            written.removeSubrange(before...)
            written.append(OutputCommand(arguments: command.ownedArguments(), location: pushedAt))
            written.append(OutputCommand(arguments: cutArgv, location: cutAt))
        }
        emit(
            RewriteChange(
                kind: .replaced, item: location(item), arguments: command.ownedArguments(),
                written: [OutputCommand(arguments: command.ownedArguments(), location: pushedAt), OutputCommand(arguments: cutArgv, location: cutAt)],
                reason: "made replay-safe: the push, then a cut to the list's resulting length \(length) (only pushes on this side follow)"))
    }

    /// The `ltrim` that follows a push in a list written as appends.
    mutating func appendTrim(_ item: BinlogItem, key k: Int) throws(RewriteError) {
        bypassModel()
        var list = plan.keys[k].append!
        let command = item.command
        let cut = list.side == .right ? RewriteAnalyzer.rightCut(command) : RewriteAnalyzer.leftCut(command)
        guard let cut, let length = list.length else {
            try writeLogged(item)
            summary.kept += 1
            return
        }
        if cut <= length {
            list.length = cut
            plan.keys[k].append = list
            try writeLogged(item)
            summary.kept += 1
            return
        }
        // A cut past the end would not cut a replay that finds more elements: cut to the length.
        let key = Array(command[1])
        let exact: [[UInt8]]
        if length == 0 {
            exact = [Array("del".utf8), key]
        } else if list.side == .right {
            exact = [Array("ltrim".utf8), key, Array("0".utf8), Array(String(length - 1).utf8)]
        } else {
            exact = [Array("ltrim".utf8), key, Array(String(-length).utf8), Array("-1".utf8)]
        }
        try writeReplacement(item, [exact], reason: "the cut to the list's real length \(length) (the logged one is past its end)")
    }

    // MARK: - Writing

    mutating func beginIfNeeded(logicID: UInt64, term: UInt32, time: UInt32) throws(RewriteError) {
        guard !begun else { return }
        begun = true
        let base = plan.historyStart && plan.start == ResumePoint(fileNumber: 0, offset: 0) ? 0 : (logicID > 0 ? logicID - 1 : 0)
        try output.begin(start: plan.start, logicIDBase: base, term: term, time: time)
    }

    /// Whether `item` lies past the cut (a logic id only v3+ items have).
    func isPast(_ cut: RewriteOptions.Cut, _ item: BinlogItem) -> Bool {
        switch cut {
        case .afterLogicID(let id): item.envelope == .pikaItem && item.header.logicID > id
        case .beforeExecTime(let t): execTime(item) >= t
        }
    }

    func execTime(_ item: BinlogItem) -> UInt32 {
        item.envelope == .pikaItem ? item.header.execTime : item.firstRecordTime
    }

    func location(_ item: BinlogItem) -> InputLocation {
        InputLocation(
            start: item.start, end: item.end, logicID: item.envelope == .pikaItem ? item.header.logicID : 0,
            stored: item.envelope == .pikaItem ? item.header.stored : nil)
    }

    /// Writes the item's command as logged (the content bytes themselves for a v3+ item).
    mutating func writeLogged(_ item: BinlogItem) throws(RewriteError) {
        let time = execTime(item)
        let at: OutputLocation
        if item.envelope == .pikaItem {
            at = try output.write(content: item.content, execTime: time, recordTimes: item.recordTimes)
        } else {
            let command = item.command
            encoded.removeAll(keepingCapacity: true)
            RESP.encode((0..<command.count).map { command[$0] }, into: &encoded)
            at = try writeEncoded(time: time, recordTimes: item.recordTimes)
        }
        summary.commandsWritten += 1
        lastLocation = at
        if collecting { written.append(OutputCommand(arguments: item.command.ownedArguments(), location: at)) }
    }

    /// Writes the expiry of a pending `[logged, expiry]` replacement and reports it.
    mutating func flushPendingExpiry() throws(RewriteError) {
        guard let pending = pendingExpiry else { return }
        pendingExpiry = nil
        encoded.removeAll(keepingCapacity: true)
        RESP.encode(pending.command, into: &encoded)
        let at = try writeEncoded(time: pending.time, recordTimes: UnsafeBufferPointer(start: nil, count: 0))
        summary.commandsWritten += 1
        let out = [OutputCommand(arguments: pending.arguments, location: pending.logged), OutputCommand(arguments: pending.command, location: at)]
        bump(.replaced)
        emit(
            RewriteChange(
                kind: .replaced, item: pending.item, arguments: pending.arguments, written: out,
                reason: "made replay-safe: the key's expiry asserted again after the write (a late replay finds the key expired and recreates it without one)"))
    }

    static func isExpiry(_ command: [[UInt8]]) -> Bool {
        guard let name = command.first else { return false }
        return name == Array("expireat".utf8) || name == Array("pexpireat".utf8)
    }

    /// Whether the borrowed command is `command`, byte for byte.
    static func same(_ borrowed: RESPCommand, _ command: [[UInt8]]) -> Bool {
        guard borrowed.count == command.count else { return false }
        for i in 0..<command.count where !borrowed[i].elementsEqual(command[i]) { return false }
        return true
    }

    /// Writes ``encoded`` as one command.
    func writeEncoded(time: UInt32, recordTimes: UnsafeBufferPointer<UInt32>) throws(RewriteError) -> OutputLocation {
        let output = self.output
        let result: Result<OutputLocation, RewriteError> = encoded.withUnsafeBytes { b in
            do throws(RewriteError) {
                return .success(try output.write(content: b, execTime: time, recordTimes: recordTimes))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Writes `commands` in place of the item and reports the replacement.
    mutating func writeReplacement(_ item: BinlogItem, _ commands: [[[UInt8]]], reason: String) throws(RewriteError) {
        let time = execTime(item)
        let keep = report != nil || collecting
        var out: [OutputCommand] = []
        if keep { out.reserveCapacity(commands.count) }
        for command in commands {
            encoded.removeAll(keepingCapacity: true)
            Self.appendRESP(command, to: &encoded)
            let at = try writeEncoded(time: time, recordTimes: UnsafeBufferPointer(start: nil, count: 0))
            if keep { out.append(OutputCommand(arguments: command, location: at)) }
        }
        summary.commandsWritten += commands.count
        if collecting { written += out }
        bump(.replaced)
        emit(
            RewriteChange(
                kind: .replaced, item: location(item), arguments: item.command.ownedArguments(), written: out,
                reason: reason))
    }

    /// Appends the RESP multi-bulk of `argv` (what ``RESP/encode(_:into:)`` writes, without its
    /// generic per-byte path).
    static func appendRESP(_ argv: [[UInt8]], to out: inout [UInt8]) {
        appendCount(UInt8(ascii: "*"), argv.count, to: &out)
        for arg in argv {
            appendCount(UInt8(ascii: "$"), arg.count, to: &out)
            out.append(contentsOf: arg)
            out.append(13)
            out.append(10)
        }
    }

    /// `*<n>\r\n` / `$<n>\r\n`.
    @inline(__always)
    static func appendCount(_ marker: UInt8, _ n: Int, to out: inout [UInt8]) {
        out.append(marker)
        appendDecimal(Int64(n), to: &out)
        out.append(13)
        out.append(10)
    }

    static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        withDecimal(value) { out.append(contentsOf: $0) }
    }

    /// Calls `body` with the decimal text of `value` (a `-` first when negative), built on the stack.
    @inline(__always)
    static func withDecimal<R>(_ value: Int64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var v = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &digits) { d -> R in
            var i = 24
            repeat {
                i -= 1
                d[i] = UInt8(truncatingIfNeeded: v % 10) + 0x30
                v /= 10
            } while v > 0
            if value < 0 {
                i -= 1
                d[i] = UInt8(ascii: "-")
            }
            return body(UnsafeRawBufferPointer(rebasing: d[i...]))
        }
    }

    /// The cut that follows a push written as an append: `ltrim k 0 <length-1>` (right) or
    /// `ltrim k -<length> -1` (left), into ``encoded``.
    mutating func encodeCut(key: UnsafeRawBufferPointer, side: RewritePlan.AppendList.Side, length: Int64) {
        encoded.removeAll(keepingCapacity: true)
        encoded.append(contentsOf: "*4\r\n$5\r\nltrim\r\n".utf8)
        Self.appendCount(UInt8(ascii: "$"), key.count, to: &encoded)
        encoded.append(contentsOf: key)
        encoded.append(13)
        encoded.append(10)
        if side == .right {
            encoded.append(contentsOf: "$1\r\n0\r\n".utf8)
            Self.appendBulkDecimal(length - 1, to: &encoded)
        } else {
            Self.appendBulkDecimal(-length, to: &encoded)
            encoded.append(contentsOf: "$2\r\n-1\r\n".utf8)
        }
    }

    /// `$<digits>\r\n<value>\r\n`.
    static func appendBulkDecimal(_ value: Int64, to out: inout [UInt8]) {
        withDecimal(value) { text in
            appendCount(UInt8(ascii: "$"), text.count, to: &out)
            out.append(contentsOf: text)
        }
        out.append(13)
        out.append(10)
    }

    /// Hands a change to the report, building it only when there is one.
    func emit(_ change: @autoclosure () -> RewriteChange) {
        if let report { report(change()) }
    }

    mutating func bump(_ kind: RewriteChange.Kind) {
        counts[Int(kind.index)] += 1
    }

    static func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
}
