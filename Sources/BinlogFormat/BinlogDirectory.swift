/// The binlog files of one Pika binlog (one server in v2/v3.0, one DB or partition later),
/// sorted by file number, with the `manifest` and `context` beside them and findings about the
/// file sequence.
///
/// Accepted paths (Docs/Format.md §B2):
/// * a binlog directory (`write2file<N>` and/or `write2file<N>.lz4`, e.g. `log/log_db0/`);
/// * a v2.x/v3.0 `log-path` where binlogs sit next to glog files (other files are ignored);
/// * a log root with `log_db0/ … log_dbN/` (v3.1+ classic, v3.5, v4): choose with `db:`;
/// * a v3.1–v3.4 sharding root `log_<table>/<partition>/` (choose `db: "<table>/<partition>"`),
///   or a `log_<table>/` directory (choose `db: "<partition>"`).
public struct BinlogDirectory: Hashable, Sendable {
    /// The directory holding the binlog files; `nil` for ``init(files:manifestPath:manifestLayout:)``.
    public var path: String?
    public var layout: BinlogDirectoryLayout
    /// Sorted by ``BinlogFileEntry/fileNumber``; one entry per number.
    public var files: [BinlogFileEntry]
    /// The parsed manifest, if present and readable.
    public var manifest: ManifestFile?
    /// The consensus `context`, if present and readable.
    public var context: ConsensusContext?
    /// Everything worth reporting about the file set, in a stable order.
    public var findings: [BinlogDirectoryFinding]

    /// Numbers missing between the lowest and highest file (one range per hole).
    public var missingFileNumbers: [ClosedRange<FileNumber>] {
        findings.compactMap { if case .gap(let missing) = $0 { missing } else { nil } }
    }

    /// The entry for `write2file<N>`, if present.
    public func entry(fileNumber: FileNumber) -> BinlogFileEntry? {
        files.first { $0.fileNumber == fileNumber }
    }

    /// Opens an entry's bytes: ``FileSource`` for a plain file, ``LZ4FileSource`` for `.lz4`.
    public func openSource(_ entry: BinlogFileEntry) throws(BinlogIOError) -> any ByteSource {
        try entry.openSource()
    }

    /// Finds the binlog files under `path`.
    /// - Parameters:
    ///   - path: a binlog directory, a v2/v3.0 log-path, or a log root (see the type's documentation).
    ///   - db: which `log_<db>` (or `<table>/<partition>`) to use under a log root; `log_` may be
    ///     included. Needed only when there are several.
    ///   - manifestLayout: force the manifest layout instead of detecting it.
    /// - Throws: ``BinlogDirectoryError`` naming the path.
    public init(path: String, db: String? = nil, manifestLayout: ManifestLayout? = nil)
        throws(BinlogDirectoryError)
    {
        let (status, failure) = FileSystemAccess.status(of: path)
        guard let status else { throw .noSuchDirectory(path: path, reason: failure ?? "unknown") }
        guard status.kind == .directory else { throw .notADirectory(path: path) }
        let names = try Self.list(path)
        let own = Self.scan(path, names)

        var chosenPath = path
        var chosenNames = names
        var chosenScan = own
        var layout: BinlogDirectoryLayout = Self.hasGlogFiles(names) ? .logPath : .binlogDirectory

        let base = FileSystemAccess.lastComponent(of: path)
        let ownMatchesDB = db.map { Self.normalize($0) == Self.normalize(base) } ?? true
        if own.entries.isEmpty || !ownMatchesDB {
            let candidates = try Self.candidates(under: path, names: names)
            let chosen: Candidate
            if let db {
                let wanted = Self.normalize(db)
                guard let match = candidates.first(where: { Self.normalize($0.name) == wanted }) else {
                    throw .unknownDatabase(path: path, requested: db, choices: candidates.map(\.name))
                }
                chosen = match
            } else if candidates.count == 1 {
                chosen = candidates[0]
            } else if candidates.count > 1 {
                throw .ambiguousDatabase(path: path, choices: candidates.map(\.name))
            } else {
                let sorted = names.sorted(by: naturalLess)
                throw .noBinlogFiles(path: path, found: Array(sorted.prefix(20)), entryCount: names.count)
            }
            chosenPath = chosen.path
            chosenNames = try Self.list(chosen.path)
            chosenScan = Self.scan(chosen.path, chosenNames)
            layout = chosen.layout
            if chosenScan.entries.isEmpty {
                throw .noBinlogFiles(
                    path: chosen.path, found: Array(chosenNames.sorted(by: naturalLess).prefix(20)),
                    entryCount: chosenNames.count)
            }
        } else if db != nil, case .binlogDirectory = layout {
            layout = .database(Self.normalize(base))
        }

        self.path = chosenPath
        self.layout = layout
        self.files = chosenScan.entries
        self.findings = []
        self.manifest = nil
        self.context = nil

        let nameSet = Set(chosenNames)
        if nameSet.contains("manifest") {
            do {
                manifest = try ManifestFile.read(
                    path: FileSystemAccess.join(chosenPath, "manifest"), highestFileNumber: files.last?.fileNumber,
                    layout: manifestLayout)
            } catch {
                findings.append(.manifestUnreadable(error))
            }
            let (scan, latest) = Self.catchUp(
                listing: chosenScan, manifest: manifest, newest: { $0.entries.last?.fileNumber },
                named: { $0.manifest.fileNumber },
                relist: { (try? Self.list(chosenPath)).map { Self.scan(chosenPath, $0) } },
                reread: { newest in
                    try? ManifestFile.read(
                        path: FileSystemAccess.join(chosenPath, "manifest"), highestFileNumber: newest, layout: manifestLayout)
                })
            chosenScan = scan
            self.files = scan.entries
            manifest = latest
        }
        if nameSet.contains(ConsensusContext.fileName) {
            do {
                context = try ConsensusContext.read(path: FileSystemAccess.join(chosenPath, ConsensusContext.fileName))
            } catch {
                findings.append(.contextUnreadable(error))
            }
        }
        findings += chosenScan.findings
        addSequenceFindings(manifestExpected: !nameSet.contains("manifest") ? chosenPath : nil)
    }

    /// Builds a file set from explicit paths; each file's number comes from its name.
    /// - Parameters:
    ///   - files: `write2file<N>` / `write2file<N>.lz4` paths, in any order.
    ///   - manifestPath: a manifest to read with them, if any.
    ///   - manifestLayout: force the manifest layout instead of detecting it.
    /// - Throws: ``BinlogDirectoryError`` `.notABinlogFileName`, `.noSuchFile`, or `.manifest`.
    public init(files: [String], manifestPath: String? = nil, manifestLayout: ManifestLayout? = nil)
        throws(BinlogDirectoryError)
    {
        var entries: [BinlogFileEntry] = []
        for file in files {
            guard let (number, compressed) = BinlogFileEntry.parseName(FileSystemAccess.lastComponent(of: file)) else {
                throw .notABinlogFileName(path: file)
            }
            let (status, failure) = FileSystemAccess.status(of: file)
            guard let status else { throw .noSuchFile(path: file, reason: failure ?? "unknown") }
            guard status.kind == .regular else { throw .noSuchFile(path: file, reason: "not a regular file") }
            entries.append(
                BinlogFileEntry(fileNumber: number, path: file, compressed: compressed, byteCount: status.byteCount))
        }
        let (unique, duplicates) = Self.deduplicate(entries)
        self.path = nil
        self.layout = .explicitFiles
        self.files = unique
        self.findings = duplicates
        self.context = nil
        self.manifest = nil
        if let manifestPath {
            do {
                manifest = try ManifestFile.read(
                    path: manifestPath, highestFileNumber: unique.last?.fileNumber, layout: manifestLayout)
            } catch {
                throw .manifest(error)
            }
        }
        addSequenceFindings(manifestExpected: nil)
    }

    // MARK: - Findings

    private mutating func addSequenceFindings(manifestExpected directory: String?) {
        var previous: FileNumber?
        for entry in files {
            if let previous, entry.fileNumber > previous + 1 {
                findings.append(.gap(missing: (previous + 1)...(entry.fileNumber - 1)))
            }
            previous = entry.fileNumber
        }
        if let directory, manifest == nil, !findings.contains(where: { if case .manifestUnreadable = $0 { true } else { false } }) {
            findings.append(.manifestMissing(directory: directory))
        }
        if let manifest {
            if manifest.byteCount != UInt64(Manifest.byteCount) {
                findings.append(.manifestSize(byteCount: manifest.byteCount))
            }
            if !manifest.detection.isConfident && !manifest.detection.isForced {
                findings.append(.manifestLayoutUncertain(reason: manifest.detection.reason))
            }
            let current = manifest.manifest.fileNumber
            let above = files.map(\.fileNumber).filter { $0 > current }
            if !above.isEmpty {
                findings.append(.filesAboveManifest(manifestFileNumber: current, fileNumbers: above))
            }
            // `(N+1):0` beside write2file<N> as the newest file is the instant of a roll (the
            // manifest saved before the new file exists): the same point as the end of N, no loss.
            let rolling =
                manifest.manifest.offset == 0 && files.last.map { $0.fileNumber &+ 1 == current } == true
            if entry(fileNumber: current) == nil && !rolling {
                findings.append(.manifestFileMissing(current))
            }
        }
    }

    // MARK: - Discovery

    /// A server writing this binlog may roll to a new file between the listing and the manifest
    /// read: a manifest naming a file past the listed ones asks for another look, and the manifest
    /// read again may have moved on by another roll (64 KiB files under load roll every few
    /// milliseconds), so the two are read in turn until they agree or the listing stops growing
    /// (at most 8 looks: a manifest that stays ahead is reported). Returns the listing and the
    /// manifest to use.
    static func catchUp<Listing, Manifest>(
        listing: Listing, manifest: Manifest?, newest: (Listing) -> FileNumber?, named: (Manifest) -> FileNumber,
        relist: () -> Listing?, reread: (_ newest: FileNumber) -> Manifest?
    ) -> (Listing, Manifest?) {
        var listing = listing
        var manifest = manifest
        var looks = 0
        while looks < 8, let m = manifest, let highest = newest(listing), named(m) > highest, let again = relist() {
            looks += 1
            guard let newestAgain = newest(again), newestAgain > highest else { break }
            listing = again
            guard let reread = reread(newestAgain) else { break }
            manifest = reread
        }
        return (listing, manifest)
    }

    private struct Scan {
        var entries: [BinlogFileEntry] = []
        var findings: [BinlogDirectoryFinding] = []
    }

    private struct Candidate {
        var name: String
        var path: String
        var layout: BinlogDirectoryLayout
    }

    private static func list(_ path: String) throws(BinlogDirectoryError) -> [String] {
        switch FileSystemAccess.names(in: path) {
        case .success(let names): return names
        case .failure(let failure): throw .unreadableDirectory(path: path, reason: failure.reason)
        }
    }

    /// The binlog files among `names` in `directory`, sorted, with name findings.
    private static func scan(_ directory: String, _ names: [String]) -> Scan {
        var scan = Scan()
        var entries: [BinlogFileEntry] = []
        for name in names.sorted(by: naturalLess) where name.hasPrefix(BinlogFileEntry.namePrefix) {
            let full = FileSystemAccess.join(directory, name)
            guard let (number, compressed) = BinlogFileEntry.parseName(name),
                let status = FileSystemAccess.status(of: full).status, status.kind == .regular
            else {
                scan.findings.append(.unrecognizedBinlogName(name))
                continue
            }
            entries.append(
                BinlogFileEntry(fileNumber: number, path: full, compressed: compressed, byteCount: status.byteCount))
        }
        let (unique, duplicates) = deduplicate(entries)
        scan.entries = unique
        scan.findings = duplicates + scan.findings
        return scan
    }

    /// Sorts by number; for a number present twice keeps the plain file (then the first given).
    private static func deduplicate(_ entries: [BinlogFileEntry]) -> ([BinlogFileEntry], [BinlogDirectoryFinding]) {
        let sorted = entries.enumerated().sorted { a, b in
            (a.element.fileNumber, a.element.compressed ? 1 : 0, a.offset)
                < (b.element.fileNumber, b.element.compressed ? 1 : 0, b.offset)
        }.map(\.element)
        var unique: [BinlogFileEntry] = []
        var findings: [BinlogDirectoryFinding] = []
        var index = 0
        while index < sorted.count {
            var end = index + 1
            while end < sorted.count && sorted[end].fileNumber == sorted[index].fileNumber { end += 1 }
            unique.append(sorted[index])
            if end - index > 1 {
                findings.append(.duplicateFileNumber(sorted[index].fileNumber, paths: sorted[index..<end].map(\.path)))
            }
            index = end
        }
        return (unique, findings)
    }

    private static func holdsBinlog(_ names: [String]) -> Bool {
        names.contains { $0 == "manifest" || BinlogFileEntry.parseName($0) != nil }
    }

    private static func isDirectory(_ path: String) -> Bool {
        FileSystemAccess.status(of: path).status?.kind == .directory
    }

    private static func isPartitionName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// `log_<db>/` and `log_<table>/<partition>/` below a log root, or `<partition>/` below a
    /// `log_<table>/`, that hold binlog files or a manifest.
    private static func candidates(under path: String, names: [String]) throws(BinlogDirectoryError) -> [Candidate] {
        var result: [Candidate] = []
        for name in names.sorted(by: naturalLess) {
            let full = FileSystemAccess.join(path, name)
            if name.hasPrefix("log_") && name.count > 4 && isDirectory(full) {
                let db = String(name.dropFirst(4))
                guard let inner = try? list(full) else { continue }
                if holdsBinlog(inner) {
                    result.append(Candidate(name: db, path: full, layout: .database(db)))
                    continue
                }
                for partition in inner.sorted(by: naturalLess) where isPartitionName(partition) {
                    let partitionPath = FileSystemAccess.join(full, partition)
                    if isDirectory(partitionPath), let deeper = try? list(partitionPath), holdsBinlog(deeper) {
                        result.append(
                            Candidate(
                                name: "\(db)/\(partition)", path: partitionPath,
                                layout: .partition(table: db, partition: partition)))
                    }
                }
            } else if isPartitionName(name) && isDirectory(full) {
                if let inner = try? list(full), holdsBinlog(inner) {
                    let base = FileSystemAccess.lastComponent(of: path)
                    let table = base.hasPrefix("log_") ? String(base.dropFirst(4)) : base
                    result.append(Candidate(name: name, path: full, layout: .partition(table: table, partition: name)))
                }
            }
        }
        return result
    }

    /// `log_db0` → `db0`; `log_t/1/` → `t/1`.
    private static func normalize(_ name: String) -> String {
        var text = Substring(name)
        while text.hasSuffix("/") { text = text.dropLast() }
        if text.hasPrefix("log_") { text = text.dropFirst(4) }
        return String(text)
    }

    /// glog's files: `<prog>.<host>.<user>.log.<SEVERITY>.<date>-<time>.<pid>` and the
    /// `<prog>.<SEVERITY>` symlinks.
    private static func hasGlogFiles(_ names: [String]) -> Bool {
        let severities = ["INFO", "WARNING", "ERROR", "FATAL"]
        return names.contains { name in
            severities.contains { name.contains(".log.\($0).") || name.hasSuffix(".\($0)") }
        }
    }
}

/// Orders names with embedded numbers numerically: `db2` < `db10`, `write2file9` < `write2file10`.
private func naturalLess(_ a: String, _ b: String) -> Bool {
    var i = a.utf8.makeIterator()
    var j = b.utf8.makeIterator()
    var x = i.next()
    var y = j.next()
    func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= 48 && $0 <= 57 } ?? false }
    while let cx = x, let cy = y {
        if isDigit(cx) && isDigit(cy) {
            var nx: [UInt8] = []
            var ny: [UInt8] = []
            while isDigit(x) { nx.append(x!); x = i.next() }
            while isDigit(y) { ny.append(y!); y = j.next() }
            let tx = Array(nx.drop(while: { $0 == 48 }))
            let ty = Array(ny.drop(while: { $0 == 48 }))
            if tx.count != ty.count { return tx.count < ty.count }
            if tx != ty { return tx.lexicographicallyPrecedes(ty) }
            if nx.count != ny.count { return nx.count < ny.count }
            continue
        }
        if cx != cy { return cx < cy }
        x = i.next()
        y = j.next()
    }
    return x == nil && y != nil
}
