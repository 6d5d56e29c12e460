import BinlogFormat

/// What ``BinlogChecker`` tolerates and how much it remembers.
public struct CheckConfiguration: Sendable {
    /// Exec time may go back this many seconds before it is reported (clock skew, v3.0's
    /// exec time taken outside the binlog lock; Docs/Format.md §B15).
    public var timeSkewSeconds: UInt32 = 2
    /// The shortest run of repeated commands reported as a duplicated range. Shorter repeats are
    /// common in real workloads (`INCR a; INCR b` in a loop).
    public var minimumDuplicateRun = 3
    /// How many recent items duplicate detection remembers (about 48 bytes each).
    public var duplicateWindow = 1 << 18
    /// Items that replicas cannot apply.
    public var rules: [ReplicaApplyRule] = ReplicaApplyRule.all
    /// The Pika release of the replicas of this log, if the operator says: items a replica of that
    /// release rejects are then warnings. Without it (a master alone, or replicas unknown) they
    /// are info, naming the releases that reject them.
    public var replicaVersion: PikaRelease? = nil
    /// Whether header field 6 is a term (v3.3+) that must not go down. False for v3.0–v3.2, where
    /// it is a server id.
    public var checkTerms = true

    public init() {}
}

/// Totals of a check, for the summary line.
public struct CheckSummary: Sendable {
    public var items = 0
    /// Physical bytes of items, padding and damage.
    public var itemBytes: UInt64 = 0
    public var paddingBytes: UInt64 = 0
    public var damageBytes: UInt64 = 0
    /// Files that held at least one record.
    public var files = 0
    public var firstItem: FindingLocation?
    public var lastItem: FindingLocation?
    /// The resume point after the last item's bytes.
    public var lastItemEnd: ResumePoint?
    public var flushes = 0
    public var manifest: Manifest?
    /// The manifest values that would agree with the items, when the manifest does not.
    public var correctedManifest: ProducerStatus?
}

/// The result of a check: findings in position order, and totals.
public struct CheckReport: Sendable {
    public var findings: [Finding]
    public var summary: CheckSummary

    /// Whether anything worse than informational was found (exit code 1).
    public var hasProblems: Bool { findings.contains { $0.severity > .info } }
}

/// The fsck of a Pika binlog: fed record by record in file order, it reports structural damage,
/// padding, position-chain breaks, logic-id gaps, repeats and reorderings, time and term going back,
/// duplicated ranges, flushes, items replicas cannot apply, and (at the end) file-sequence and
/// manifest problems.
///
/// Memory is bounded: a fixed window of recent content hashes (``CheckConfiguration/duplicateWindow``),
/// a few open runs, one summary per file, and the findings themselves. Nothing is kept per item.
///
/// Usage: `var c = BinlogChecker(directory: d)`, `c.add(record)` for each record of a
/// ``BinlogStream`` over the directory's files, then `c.finish()` once. The recent-items window is
/// shared by copies of a checker: use one checker per binlog.
public struct BinlogChecker {
    struct FileSummary {
        var fileNumber: FileNumber
        var items = 0
        var firstItem: FindingLocation?
        var lastItem: FindingLocation?
        var lastItemEnd: ResumePoint?
    }

    /// What the checker keeps of the previous item.
    struct PreviousItem {
        var location: FindingLocation
        var end: PhysicalPosition
        var stored: ResumePoint
        /// What the next item of the same history stores when this one was written after its stored
        /// point; ``nextAfterRoll`` when a roll put it at the start of the next file.
        var nextSameFile: ResumePoint
        var payloadLength: Int
        var execTime: UInt32
        var term: UInt32
        /// Items since the last full sync, this one included.
        var itemsSinceFullSync: Int

        /// What the next item stores when a roll put this one at the start of the next file (its
        /// header keeps the old file's end, Docs/Format.md §B8).
        var nextAfterRoll: ResumePoint {
            ResumePoint(
                fileNumber: stored.fileNumber &+ 1,
                offset: ItemGeometry.produceEnd(from: 0, payloadLength: payloadLength))
        }
    }

    /// A numbering gap right before the current file, and what the first item after it showed.
    struct FileGapNote {
        var before: FileNumber
        var after: FileNumber
        var missingIDs: ClosedRange<UInt64>? = nil
        var chainJump: (stored: ResumePoint, expected: ResumePoint)? = nil
        var resolved = false
    }

    let configuration: CheckConfiguration
    let manifest: Manifest?
    /// The manifest's position, kept apart for the per-item comparisons (meaningless without one).
    let hasManifest: Bool
    let manifestProducer: ResumePoint
    let manifestFileMissing: Bool
    let directoryFindings: [BinlogDirectoryFinding]

    var findings: [Finding] = []
    var summary = CheckSummary()
    /// Summaries of the files finished so far; the current one is ``currentSummary``.
    var files: [FileSummary] = []
    var currentSummary: FileSummary? = nil
    var fileGaps: [FileGapNote] = []
    var currentFile: FileNumber? = nil
    var itemsInFile = 0
    /// The file began with blank padding (v2.0–v3.0.9, Docs/Format.md §B10A): logical and physical offsets may
    /// differ by this much in the rest of it.
    var acceptedSkew: Int64? = nil
    var fileStartsWithBlank = false

    var previous: PreviousItem? = nil
    /// Where the next item should say it starts, after a full-sync padding with no item yet.
    var resumeAfterPadding: ResumePoint? = nil
    var damageSinceItem: PhysicalPosition? = nil
    /// Zero-length items since the last item: each took a logic id (v3.3.0–v3.3.5).
    var emptyItemsSinceItem: UInt64 = 0
    var sequence = LogicIDSequence()
    var maxExecTime: UInt32? = nil
    var maxTerm: UInt32? = nil

    /// Which runs are open, one bit each (see ``RunBit``): tested per item instead of the runs
    /// themselves, so that an item with nothing open costs a few instructions.
    var openRuns: UInt16 = 0
    enum RunBit {
        static let padding: UInt16 = 1 << 0
        static let empty: UInt16 = 1 << 1
        static let chain: UInt16 = 1 << 2
        static let skew: UInt16 = 1 << 3
        static let outOfOrder: UInt16 = 1 << 4
        static let regression: UInt16 = 1 << 5
        static let `repeat`: UInt16 = 1 << 6
        static let time: UInt16 = 1 << 7
        static let term: UInt16 = 1 << 8
        static let rule: UInt16 = 1 << 9
        static let sequence: UInt16 = outOfOrder | regression | `repeat`
    }

    mutating func mark(_ bit: UInt16, open: Bool) {
        openRuns = open ? openRuns | bit : openRuns & ~bit
    }

    var paddingRun: FindingRun? = nil { didSet { mark(RunBit.padding, open: paddingRun != nil) } }
    var paddingKinds: Set<String> = []
    var emptyRun: FindingRun? = nil { didSet { mark(RunBit.empty, open: emptyRun != nil) } }
    var zeroTail: (region: PaddingRegion, fileNumber: FileNumber)? = nil
    var lastDamage: (index: Int, damage: Damage)? = nil
    var recordsAfterDamage = 0

    var chainRun: FindingRun? = nil { didSet { mark(RunBit.chain, open: chainRun != nil) } }
    var skewRun: FindingRun? = nil { didSet { mark(RunBit.skew, open: skewRun != nil) } }
    var outOfOrderRun: FindingRun? = nil { didSet { mark(RunBit.outOfOrder, open: outOfOrderRun != nil) } }
    var regressionRun: FindingRun? = nil { didSet { mark(RunBit.regression, open: regressionRun != nil) } }
    var repeatRun: FindingRun? = nil { didSet { mark(RunBit.repeat, open: repeatRun != nil) } }
    var timeRun: FindingRun? = nil { didSet { mark(RunBit.time, open: timeRun != nil) } }
    var termRun: FindingRun? = nil { didSet { mark(RunBit.term, open: termRun != nil) } }
    var ruleRun: FindingRun? = nil { didSet { mark(RunBit.rule, open: ruleRun != nil) } }
    /// Bit `n` is set when some rule applies to commands whose name has `n` bytes (n < 64).
    let ruleNameLengths: UInt64
    /// Locations that explain lower-level findings starting there (see ``fold()``).
    var outOfOrderAnchors: [(finding: Int, anchors: [FindingLocation])] = []
    /// The open out-of-order run, or the items it was moved across, holds a flush.
    var flushInOutOfOrder = false
    /// The most recent flush items (at most 64), to tell whether a reordering crossed one.
    var recentFlushes: [FindingLocation] = []
    /// Files whose items claim another file number: (physical, claimed).
    var renamedFiles: [(FileNumber, FileNumber)] = []

    var duplicates: DuplicateRunDetector
    /// Explanations of runs, written when a run starts (as many as findings, not items).
    var details: [String] = [""]

    // Full syncs and the manifest.
    var fullSyncSeen = false
    /// Where the history after the last full-sync padding starts (this node became a replica there).
    var fullSyncPoint: ResumePoint? = nil
    var itemsSinceFullSync = 0
    var firstIDAfterFullSync: UInt64? = nil
    var itemsAfterManifest = 0
    var firstAfterManifest: FindingLocation? = nil
    var manifestBoundary: FindingLocation? = nil
    typealias LastItem = (location: FindingLocation, end: ResumePoint, term: UInt32, itemsSinceFullSync: Int)
    /// The last item in files up to the manifest's, and the last item of all, with the resume point
    /// after their bytes (what Pika's producer status, and so the manifest, holds).
    var lastInManifestRange: LastItem? = nil
    var lastOverall: LastItem? = nil
    /// Whether the first file above the manifest's continues its history (nil: no such file).
    var aboveManifestContinues: Bool? = nil
    /// The manifest read again after the last record, before ``finish()``: on a binlog a server is
    /// writing, the manifest and the newest items move while they are read, so a manifest read
    /// first trails the items read after it. When it moved, the binlog is live, and the position
    /// is judged against where it stands now. Nil: not read again (files at rest).
    public var manifestAtEnd: Manifest? = nil

    /// - Parameters:
    ///   - configuration: tolerances and window sizes.
    ///   - manifest: the directory's manifest, if any.
    ///   - manifestFileMissing: the manifest's current file is not among the inputs.
    ///   - directoryFindings: what ``BinlogDirectory`` found about the file set.
    public init(
        configuration: CheckConfiguration = CheckConfiguration(), manifest: Manifest? = nil,
        manifestFileMissing: Bool = false, directoryFindings: [BinlogDirectoryFinding] = []
    ) {
        var configuration = configuration
        if let layout = manifest?.layout, layout == .v3_0 || layout == .v3_1 || layout.family == .v2 {
            configuration.checkTerms = false
        }
        self.configuration = configuration
        ruleNameLengths = configuration.rules.reduce(0) { $0 | (UInt64(1) << UInt64(min($1.command.utf8.count, 63))) }
        self.manifest = manifest
        hasManifest = manifest != nil
        manifestProducer = manifest?.producer ?? ResumePoint(fileNumber: 0, offset: 0)
        self.manifestFileMissing = manifestFileMissing
        self.directoryFindings = directoryFindings
        duplicates = DuplicateRunDetector(
            window: RecentItemWindow(capacity: configuration.duplicateWindow),
            minimumRun: configuration.minimumDuplicateRun)
        summary.manifest = manifest
    }

    /// A checker for a directory found by ``BinlogDirectory``.
    public init(configuration: CheckConfiguration = CheckConfiguration(), directory: BinlogDirectory) {
        let manifest = directory.manifest?.manifest
        self.init(
            configuration: configuration, manifest: manifest,
            manifestFileMissing: directory.findings.contains {
                if case .manifestFileMissing = $0 { true } else { false }
            },
            directoryFindings: directory.findings)
    }

    /// Checks every file of `directory`: decodes, adds each record, finishes.
    /// - Throws: ``BinlogIOError`` when a file cannot be read.
    public static func check(
        _ directory: BinlogDirectory, configuration: CheckConfiguration = CheckConfiguration()
    ) throws(BinlogIOError) -> CheckReport {
        var checker = BinlogChecker(configuration: configuration, directory: directory)
        var stream = BinlogStream(
            files: directory.files.map { entry in
                BinlogStream.File(fileNumber: entry.fileNumber) { () throws(BinlogIOError) -> any ByteSource in
                    try entry.openSource()
                }
            })
        try checker.add(contentsOf: &stream)
        checker.manifestAtEnd = directory.manifest?.readAgain()
        return checker.finish()
    }

    /// Adds every remaining record of `stream`.
    /// - Parameter progress: called every 4096 records with the bytes consumed so far.
    /// - Throws: ``BinlogIOError`` when a file cannot be read.
    public mutating func add(
        contentsOf stream: inout BinlogStream, progress: ((UInt64) -> Void)? = nil
    ) throws(BinlogIOError) {
        var n = 0
        while let record = try stream.next() {
            switch record {
            case .item(let item):
                let file = item.start.fileNumber
                if file != currentFile { beginFile(file) }
                addItem(item)
            default:
                add(record)
            }
            n &+= 1
            if n & 4095 == 0, let progress { progress(stream.bytesConsumed) }
        }
    }

    // MARK: - Records

    /// Adds the next record of the binlog (in file order).
    public mutating func add(_ record: BinlogRecord) {
        let file = record.start.fileNumber
        if file != currentFile { beginFile(file) }
        switch record {
        case .item(let item): addItem(item)
        case .padding(let padding): addPadding(padding)
        case .damage(let damage): addDamage(damage)
        }
    }

    mutating func beginFile(_ file: FileNumber) {
        recordLastItem()
        closePadding(followedBy: nil)
        closeEmptyRun()
        if let tail = zeroTail {
            // A zero tail in a file that is not the last: that file was never closed cleanly.
            emitZeroTail(tail.region, isLastFile: false)
            zeroTail = nil
        }
        if let previousFile = currentFile, file > previousFile &+ 1 {
            fileGaps.append(FileGapNote(before: previousFile, after: file))
        }
        currentFile = file
        itemsInFile = 0
        acceptedSkew = nil
        fileStartsWithBlank = false
        if let c = currentSummary { files.append(c) }
        currentSummary = FileSummary(fileNumber: file)
        summary.files += 1
    }

    mutating func addPadding(_ padding: PaddingRegion) {
        summary.paddingBytes += padding.byteCount
        if lastDamage != nil && padding.kind != .zeroTail { recordsAfterDamage += 1 }
        switch padding.kind {
        case .zeroTail:
            closePadding(followedBy: nil)
            zeroTail = (padding, padding.start.fileNumber)
        case .emptyItem:
            closePadding(followedBy: nil)
            // Pika's producer counts the 8 bytes and the logic id: the next item stores the point
            // after them and skips one id per empty item.
            if previous != nil { resumeAfterPadding = ResumePoint(after: padding.end) }
            emptyItemsSinceItem += 1
            if var run = emptyRun, run.end == padding.start {
                run.count += 1
                run.last = FindingLocation(padding.start)
                run.byteCount += padding.byteCount
                run.end = padding.end
                emptyRun = run
            } else {
                closeEmptyRun()
                emptyRun = FindingRun(
                    first: FindingLocation(padding.start), last: FindingLocation(padding.start), detail: 0,
                    byteCount: padding.byteCount, end: padding.end)
            }
        case .badRecord, .paddingItem, .blank:
            closeEmptyRun()
            if padding.kind == .blank && padding.start.offset == 0 { fileStartsWithBlank = true }
            if var run = paddingRun, run.end == padding.start {
                run.count += 1
                run.last = FindingLocation(padding.start)
                run.byteCount += padding.byteCount
                run.end = padding.end
                paddingRun = run
            } else {
                closePadding(followedBy: nil)
                paddingRun = FindingRun(
                    first: FindingLocation(padding.start), last: FindingLocation(padding.start), detail: 0,
                    byteCount: padding.byteCount, end: padding.end)
                paddingKinds = []
            }
            paddingKinds.insert(padding.kind.rawValue)
        }
    }

    mutating func addDamage(_ damage: Damage) {
        closePadding(followedBy: nil)
        summary.damageBytes += damage.length
        findings.append(
            Finding(
                kind: .damage, severity: .error, range: FindingRange(FindingLocation(damage.start)), count: 1,
                message: "\(damage.length) bytes at \(damage.start) do not decode: \(damage.reason)",
                byteCount: damage.length))
        lastDamage = (findings.count - 1, damage)
        recordsAfterDamage = 0
        damageSinceItem = damageSinceItem ?? damage.start
    }

    /// Keeps a run explanation; returns its index for ``FindingRun/detail``.
    mutating func note(_ text: String) -> Int {
        details.append(text)
        return details.count - 1
    }
}
