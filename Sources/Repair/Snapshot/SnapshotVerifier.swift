import BinlogFormat
import RocksSnapshot

/// Checks a bgsave snapshot's recorded binlog offset against the snapshot's own data.
///
/// 1. Locates the recorded offset in the binlog (``OffsetLocation``).
/// 2. Reads the items around it: back to the item after the last one certainly applied, and a
///    fixed count past the offset (extended while applied items keep turning up).
/// 3. Decides for each item whether its effect is in the data (``EffectAnalysis``), from the
///    key's states before and after it. When the binlog starts a fresh history, the window's
///    keys are first rebuilt by replaying every earlier item on them.
/// 4. Gives the verdict and the corrected resume point.
///
/// The snapshot is only read (``PikaSnapshot`` opens RocksDB read-only; nothing is written).
///
/// ```swift
/// let snapshot = try PikaSnapshot(directory: "dump/20261120/db0")
/// let info = try BgsaveInfo.read(path: "dump/20261120/db0/info")
/// let report = try SnapshotVerifier(binlog: try BinlogDirectory(path: "log/log_db0"),
///                                   snapshot: snapshot, info: info).verify()
/// ```
public struct SnapshotVerifier {
    public struct Options: Sendable {
        /// Items reported past the recorded offset, and the least number examined on each side
        /// of it (Docs/Format.md §S2: lags of up to `thread-pool-size` items were seen).
        public var window: Int
        /// Rebuild the window's keys from the start of the binlog when it starts a fresh
        /// history (write2file0, logic id 1 at 0:0).
        public var replayHistory: Bool
        /// The time the snapshot's expiries are judged at; `nil`: the exec time of the last item
        /// before the recorded offset.
        public var snapshotTime: UnixTime?
        /// The most items examined on either side of the offset.
        public var maximumExamined: Int

        public init(
            window: Int = 64, replayHistory: Bool = true, snapshotTime: UnixTime? = nil,
            maximumExamined: Int = 1_000_000
        ) {
            self.window = max(1, window)
            self.replayHistory = replayHistory
            self.snapshotTime = snapshotTime
            self.maximumExamined = max(1, maximumExamined)
        }
    }

    public let files: [BinlogFileEntry]
    public let snapshot: PikaSnapshot
    public let recorded: ResumePoint
    public let info: BgsaveInfo?
    public let options: Options
    /// Shown in errors.
    public let binlogPath: String
    let model: any ItemEffectModel = CommandEffects()

    /// - Parameters:
    ///   - binlog: the binlog of the snapshot's db (the master's `log_db<N>`).
    ///   - snapshot: the opened dump.
    ///   - info: the dump's `info`; its position is the one checked.
    public init(binlog: BinlogDirectory, snapshot: PikaSnapshot, info: BgsaveInfo, options: Options = Options()) {
        self.init(
            files: binlog.files, snapshot: snapshot, recorded: info.resumePoint, info: info, options: options,
            binlogPath: binlog.path ?? "binlog")
    }

    /// - Parameters:
    ///   - files: the binlog files, sorted by number.
    ///   - recorded: the resume point to check.
    public init(
        files: [BinlogFileEntry], snapshot: PikaSnapshot, recorded: ResumePoint, info: BgsaveInfo? = nil,
        options: Options = Options(), binlogPath: String = "binlog"
    ) {
        self.files = files
        self.snapshot = snapshot
        self.recorded = recorded
        self.info = info
        self.options = options
        self.binlogPath = binlogPath
    }

    /// Runs the check.
    /// - Throws: ``SnapshotVerificationError``: binlog read errors, snapshot read errors, an
    ///   empty binlog.
    public func verify() throws(SnapshotVerificationError) -> SnapshotVerification {
        guard !files.isEmpty else { throw .emptyBinlog(binlogPath) }
        let window = options.window
        var lookback = max(2 * window, 64)
        var forward = max(2 * window, 64)
        var startIndex = BinlogWindowReader.defaultStartIndex(files, recorded: recorded)
        let fresh: Bool
        do {
            fresh = options.replayHistory ? try BinlogWindowReader.startsFreshHistory(files) : false
        } catch { throw .binlog(error) }
        var remarks: [String] = []
        if let info, !info.remarks.isEmpty {
            remarks += info.remarks.map { "info: \($0)" }
        }

        while true {
            let collected: CollectedWindow
            do {
                collected = try BinlogWindowReader.collect(
                    files, recorded: recorded, lookback: lookback, forward: forward, startIndex: startIndex)
            } catch { throw .binlog(error) }
            if collected.split < lookback && startIndex > 0 && collected.hasMoreBefore {
                // Not enough items in the files read: start further back.
                startIndex = max(0, startIndex - max(1, files.count / 8))
                continue
            }
            guard !collected.items.isEmpty else { throw .emptyBinlog(binlogPath) }

            let analysis = try analyse(collected, fresh: fresh)
            let decisions = analysis.judgements.decisions
            let split = collected.split
            let lastAppliedAfter = (split..<decisions.count).last { decisions[$0] == .applied }
            let firstMissingBefore = (0..<split).first { decisions[$0] == .notApplied }
            let anyAppliedBefore = (0..<split).contains { decisions[$0] == .applied }
            let needForward =
                collected.hasMoreAfter && lastAppliedAfter.map { decisions.count - 1 - $0 < window } ?? false
            let needBackward =
                collected.hasMoreBefore
                && (firstMissingBefore.map { $0 < window } ?? false || (split > 0 && !anyAppliedBefore))
            if needForward && forward < options.maximumExamined {
                forward = min(options.maximumExamined, forward * 4)
                continue
            }
            if needBackward && lookback < options.maximumExamined {
                lookback = min(options.maximumExamined, lookback * 4)
                continue
            }
            if needForward || needBackward {
                remarks.append(
                    "the examined items stop at the limit of \(options.maximumExamined) on a side; raise it to see further")
            }
            return report(collected, analysis, remarks: remarks)
        }
    }

    private struct Analysis {
        var judgements: Judgements
        var snapshotTime: UnixTime
        var snapshotTimeSource: String
        var history: SnapshotVerification.History
        var reads: Int
    }

    /// - Parameter allEvidence: keep the evidence of every item; otherwise that of the items
    ///   applied before the offset is kept only if an item before the offset is missing (only
    ///   then does the report list them), and the analysis is run again if one is.
    private func analyse(
        _ collected: CollectedWindow, fresh: Bool, allEvidence: Bool = false
    ) throws(SnapshotVerificationError) -> Analysis {
        let items = collected.items
        let split = collected.split
        let snapshotTime: UnixTime
        let source: String
        if let given = options.snapshotTime {
            snapshotTime = given
            source = "given"
        } else if split > 0 {
            snapshotTime = UnixTime(seconds: Int64(items[split - 1].execTime))
            source = "exec time of logic id \(items[split - 1].logicID), the last item before the recorded offset"
        } else {
            snapshotTime = UnixTime(seconds: Int64(items[0].execTime))
            source = "exec time of logic id \(items[0].logicID), the first item after the recorded offset"
        }

        var exact = KeyspaceModel(startsAtBeginningOfHistory: fresh)
        let history: SnapshotVerification.History
        if fresh {
            var keys = Set<[UInt8]>()
            for index in items.indices {
                for (key, _) in model.footprint(of: LoggedCommand(arguments: collected.arguments.arguments(of: index))).keys {
                    keys.insert(key)
                }
            }
            do {
                let (read, applied) = try BinlogWindowReader.replayHistory(
                    files, until: items[0].reference.start, keys: keys, footprints: CommandEffects(), into: &exact)
                history = .replayed(itemsRead: read, itemsApplied: applied)
            } catch { throw .binlog(error) }
        } else if !options.replayHistory {
            history = .unavailable(reason: "turned off")
        } else {
            history = .unavailable(reason: "the binlog does not start at write2file0 with logic id 1 (purged, or a replica's)")
        }

        let observer = SnapshotObserver(snapshot: snapshot, snapshotTime: snapshotTime)
        let analysis = EffectAnalysis(model: model, observer: observer, hasHistory: fresh)
        let judgements: Judgements
        do {
            judgements = try analysis.judge(items, collected.arguments, exact: &exact) { index, decision in
                allEvidence || index >= split || decision != .applied
            }
        } catch {
            throw .storage(error)
        }
        if judgements.droppedEvidence && (0..<split).contains(where: { judgements.decisions[$0] == .notApplied }) {
            return try analyse(collected, fresh: fresh, allEvidence: true)
        }
        return Analysis(
            judgements: judgements, snapshotTime: snapshotTime, snapshotTimeSource: source, history: history,
            reads: observer.readCount)
    }

    private func report(
        _ collected: CollectedWindow, _ analysis: Analysis, remarks: [String]
    ) -> SnapshotVerification {
        var remarks = remarks
        let items = collected.items
        let split = collected.split
        let judgements = analysis.judgements
        let decisions = judgements.decisions
        let count = items.count
        // Items are built only for what the report lists; their commands and evidence stay in
        // the window's buffers.
        let examined = ExaminedItems(items: items, arguments: collected.arguments, judgements: judgements)
        func item(_ index: Int) -> SnapshotVerification.Item {
            SnapshotVerification.Item(
                decision: decisions[index],
                isUnsafeToReplay: model.isUnsafeToReplay(LoggedCommand(arguments: collected.arguments.arguments(of: index))),
                isAfterRecorded: index >= split, examined: examined, index: index)
        }

        let lagging = (split..<count).filter { decisions[$0] == .applied }
        let leading = (0..<split).filter { decisions[$0] == .notApplied }
        let verdict: SnapshotVerification.Verdict
        if lagging.isEmpty && leading.isEmpty {
            verdict = .consistent
        } else if !lagging.isEmpty && !leading.isEmpty {
            verdict = .interleaved
        } else if !lagging.isEmpty {
            let firstMissing = (split..<count).first { decisions[$0] == .notApplied }
            let lastApplied = lagging.last!
            verdict = firstMissing.map { $0 < lastApplied } ?? false ? .interleaved : .lagging
        } else {
            verdict = .leading
        }

        // The earliest item not in the data; undecidable items count as in it before the
        // offset and as not in it after.
        let correctedIndex = (0..<count).first { index in
            decisions[index] == .notApplied || (decisions[index] == .undecidable && index >= split)
        }
        let corrected: ResumePoint
        if let correctedIndex {
            let item = items[correctedIndex]
            corrected = item.resumeBefore
            if item.reference.stored != item.resumeBefore {
                remarks.append(
                    "logic id \(item.logicID) stores \(item.reference.stored) but follows a record ending at \(item.resumeBefore) (a replica's binlog keeps the master's positions); the corrected point uses the latter")
            }
        } else if let last = items.last {
            corrected = last.reference.endResumePoint
            if collected.hasMoreAfter {
                remarks.append("every examined item is in the data; the corrected point is after the last one examined")
            }
        } else {
            corrected = recorded
        }
        let skip = correctedIndex.map { index in ((index + 1)..<count).filter { decisions[$0] == .applied } } ?? []

        // The reported window.
        let window = options.window
        let firstMissing = (0..<split).first { decisions[$0] == .notApplied } ?? split
        let start: Int
        if let lastApplied = (0..<firstMissing).last(where: { decisions[$0] == .applied }) {
            start = lastApplied + 1
        } else {
            start = max(0, firstMissing - window)
        }
        let lastAppliedAfter = lagging.last ?? (split - 1)
        let end = min(count, max(split + window, lastAppliedAfter + 1, correctedIndex.map { $0 + 1 } ?? 0))
        let shown = (start..<max(start, end)).map(item)
        func listed(_ indices: [Int]) -> [SnapshotVerification.Item] {
            indices.map { start <= $0 && $0 < end ? shown[$0 - start] : item($0) }
        }

        if let logicID = info?.logicID, let previous = collected.location.previousItem, logicID != previous.logicID {
            remarks.append("info line 7 names logic id \(logicID), but the item ending at the offset is logic id \(previous.logicID)")
        }
        for damage in collected.damage.prefix(5) {
            remarks.append("damage among the examined items at \(damage): an item may be missing from the window")
        }
        if !collected.location.isResumePoint {
            remarks.append("the recorded offset is not a resume point: \(collected.location)")
        }

        return SnapshotVerification(
            info: info, recorded: recorded, location: collected.location, storageVersion: snapshot.version,
            layout: snapshot.layout, snapshotTime: analysis.snapshotTime,
            snapshotTimeSource: analysis.snapshotTimeSource, history: analysis.history, verdict: verdict,
            corrected: corrected, correctedItem: correctedIndex.map { items[$0].reference },
            lastCommitted: correctedIndex.map { $0 > 0 ? items[$0 - 1].reference : nil } ?? items.last?.reference,
            items: shown, lagging: listed(lagging), leading: listed(leading), skip: listed(skip),
            examinedCount: count, snapshotReads: analysis.reads, remarks: remarks)
    }
}

extension SnapshotVerifier {
    /// Whether this build reads snapshots at all (the "RocksDB" package trait).
    public static var isAvailable: Bool { RocksDBSupport.isAvailable }
}
