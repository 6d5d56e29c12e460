/// Where the binlog files of a ``BinlogDirectory`` were found (Docs/Format.md §B2).
public enum BinlogDirectoryLayout: Hashable, Sendable, CustomStringConvertible {
    /// The given path holds the binlog files itself (e.g. a `log_db0/` or a copy of one).
    case binlogDirectory
    /// Binlogs directly in `log-path`, next to glog's files: Pika v2.x and v3.0.x.
    case logPath
    /// `<log-path>/log_<db>/` chosen from a log root: v3.1–v3.4 classic mode, v3.5+, v4.
    case database(String)
    /// `<log-path>/log_<table>/<partition>/`: v3.1–v3.4 sharding mode (`classic-mode no`).
    case partition(table: String, partition: String)
    /// Built from explicit file paths.
    case explicitFiles

    public var description: String {
        switch self {
        case .binlogDirectory: "binlog directory"
        case .logPath: "log-path with glog files (Pika v2.x/v3.0 layout)"
        case .database(let db): "log_\(db)/ (Pika v3.1+ database binlog)"
        case .partition(let table, let partition): "log_\(table)/\(partition)/ (Pika v3.1–v3.4 sharding)"
        case .explicitFiles: "explicit files"
        }
    }
}

/// A fact about the set of binlog files worth reporting (Docs/Format.md §B14). Findings are
/// values, not errors: discovery collects all of them.
public enum BinlogDirectoryFinding: Hashable, Sendable, CustomStringConvertible {
    /// Numbers missing between two present files (a hole, not the purged low end).
    case gap(missing: ClosedRange<FileNumber>)
    /// Files numbered above the manifest's current file: stale slave files or leftovers of a
    /// truncate (pitfalls 7, 8).
    case filesAboveManifest(manifestFileNumber: FileNumber, fileNumbers: [FileNumber])
    /// The manifest's current file is not in the directory.
    case manifestFileMissing(FileNumber)
    /// The directory has no `manifest`.
    case manifestMissing(directory: String)
    /// The `manifest` exists but could not be read.
    case manifestUnreadable(MetadataFileError)
    /// The manifest's layout was a guess (both or neither family matched); see its reason.
    case manifestLayoutUncertain(reason: String)
    /// The manifest is not 65536 bytes as Pika always writes it.
    case manifestSize(byteCount: UInt64)
    /// The `context` exists but could not be read.
    case contextUnreadable(MetadataFileError)
    /// Both `write2file<N>` and `write2file<N>.lz4`; the first path is the one used.
    case duplicateFileNumber(FileNumber, paths: [String])
    /// A name that starts like a binlog file but is not one (`write2file7.bak`, `write2file007`).
    case unrecognizedBinlogName(String)

    public enum Severity: String, Hashable, Sendable, Comparable {
        case note, warning
        public static func < (a: Self, b: Self) -> Bool { a == .note && b == .warning }
    }

    public var severity: Severity {
        switch self {
        case .unrecognizedBinlogName, .manifestSize, .manifestLayoutUncertain: .note
        default: .warning
        }
    }

    public var description: String {
        switch self {
        case .gap(let missing):
            missing.count == 1
                ? "write2file\(missing.lowerBound) is missing between its neighbours"
                : "write2file\(missing.lowerBound)…write2file\(missing.upperBound) (\(missing.count) files) are missing"
        case .filesAboveManifest(let current, let numbers):
            "files above the manifest's current file \(current): "
                + numbers.map { "write2file\($0)" }.joined(separator: ", ")
                + " (stale slave files or a truncate's leftovers)"
        case .manifestFileMissing(let n): "the manifest names write2file\(n) as current, but it is not here"
        case .manifestMissing(let dir): "\(dir) has no manifest; positions cannot be checked against it"
        case .manifestUnreadable(let e): "manifest unreadable: \(e)"
        case .manifestLayoutUncertain(let reason): "manifest layout is a guess: \(reason)"
        case .manifestSize(let n): "the manifest is \(n) bytes; Pika always writes \(Manifest.byteCount)"
        case .contextUnreadable(let e): "context unreadable: \(e)"
        case .duplicateFileNumber(let n, let paths):
            "file number \(n) appears \(paths.count) times (\(paths.joined(separator: ", "))); using \(paths[0])"
        case .unrecognizedBinlogName(let name): "\(name) looks like a binlog file name but is not one; ignored"
        }
    }
}

/// Why binlog files could not be found.
public enum BinlogDirectoryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The path does not exist (or cannot be examined).
    case noSuchDirectory(path: String, reason: String)
    /// The path is a file; pass it as an explicit file instead.
    case notADirectory(path: String)
    /// The directory cannot be listed.
    case unreadableDirectory(path: String, reason: String)
    /// Neither the directory nor a `log_<db>` below it holds `write2file<N>` files.
    /// `found` is the sorted list of the first names present; `entryCount` counts them all.
    case noBinlogFiles(path: String, found: [String], entryCount: Int)
    /// Several databases (or partitions) hold binlogs and none was chosen.
    case ambiguousDatabase(path: String, choices: [String])
    /// The requested database is not there.
    case unknownDatabase(path: String, requested: String, choices: [String])
    /// An explicit file does not exist or is not a regular file.
    case noSuchFile(path: String, reason: String)
    /// An explicit file's name is not `write2file<N>` or `write2file<N>.lz4`.
    case notABinlogFileName(path: String)
    /// An explicitly given manifest could not be read.
    case manifest(MetadataFileError)

    public var description: String {
        switch self {
        case .noSuchDirectory(let path, let reason): "\(path): no such directory (\(reason))"
        case .notADirectory(let path):
            "\(path): is a file, not a directory; pass binlog files as explicit files instead"
        case .unreadableDirectory(let path, let reason): "\(path): cannot list directory (\(reason))"
        case .noBinlogFiles(let path, let found, let count):
            if count == 0 {
                "\(path): no binlog files (write2file<N>): the directory is empty"
            } else {
                "\(path): no binlog files (write2file<N>) here or in log_<db>/ below; found \(count) entries: "
                    + found.joined(separator: ", ") + (count > found.count ? ", …" : "") + Self.hint(found)
            }
        case .ambiguousDatabase(let path, let choices):
            "\(path): holds binlogs of several databases; choose one with db: "
                + choices.joined(separator: ", ")
        case .unknownDatabase(let path, let requested, let choices):
            choices.isEmpty
                ? "\(path): no database \(metadataQuoted(requested)) here, and no log_<db>/ directories with binlogs"
                : "\(path): no database \(metadataQuoted(requested)); choices: " + choices.joined(separator: ", ")
        case .noSuchFile(let path, let reason): "\(path): cannot use as a binlog file (\(reason))"
        case .notABinlogFileName(let path):
            "\(path): not a binlog file name (expected write2file<N> or write2file<N>.lz4)"
        case .manifest(let e): e.description
        }
    }

    private static func hint(_ names: [String]) -> String {
        let set = Set(names)
        if set.contains(BgsaveInfo.fileName) {
            return " (this looks like a bgsave dump; its binlogs are in the server's log-path)"
        }
        if set.contains("manifest") {
            return " (a manifest without binlog files: were they purged or moved?)"
        }
        if set.contains("CURRENT") || set.contains("strings") || set.contains("db") {
            return " (this looks like a RocksDB data directory; binlogs are under log-path)"
        }
        return ""
    }
}
