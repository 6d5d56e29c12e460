import BinlogFormat
import Dispatch

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

    func noteFirst(_ item: BinlogItem, _ plan: inout RewritePlan) {
        plan.firstItemLogicID = item.envelope == .pikaItem ? item.header.logicID : 0
        plan.firstItemTerm = item.envelope == .pikaItem ? item.header.termOrServerID : 0
        plan.firstItemTime = item.envelope == .pikaItem ? item.header.execTime : item.firstRecordTime
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
