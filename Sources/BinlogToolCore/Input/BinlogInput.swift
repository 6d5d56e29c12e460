#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BinlogFormat

/// The binlog an operator named: a directory (or explicit files) resolved by ``BinlogDirectory``.
public struct BinlogInput {
    public var directory: BinlogDirectory

    public init(directory: BinlogDirectory) {
        self.directory = directory
    }

    public var files: [BinlogFileEntry] { directory.files }

    /// The files as decoder inputs; each is opened (plain or `.lz4`) only when reached.
    public var streamFiles: [BinlogStream.File] {
        files.map { entry in
            BinlogStream.File(fileNumber: entry.fileNumber) { () throws(BinlogIOError) -> any ByteSource in
                try entry.openSource()
            }
        }
    }

    public func path(of fileNumber: FileNumber) -> String? {
        directory.entry(fileNumber: fileNumber)?.path
    }

    /// The manifest's producer position, when a v3+ manifest was found.
    public var manifestPosition: (producer: ResumePoint, logicID: UInt64, term: UInt32)? {
        guard let m = directory.manifest?.manifest else { return nil }
        return (m.producer, m.logicID ?? 0, m.term ?? 0)
    }
}

/// Arguments shared by every verb that reads a binlog.
public struct InputOptions: ParsableArguments {
    @Argument(help: "A binlog directory (write2file<N>, write2file<N>.lz4), a Pika log root holding log_<db> dirs, or binlog files.")
    public var paths: [String] = []

    @Option(help: "Which DB's binlog to read under a log root (db0, or table/partition in sharding mode).")
    public var db: String?

    public init() {}

    public func validate() throws {
        if paths.isEmpty { throw ValidationError("name a binlog directory or binlog files") }
    }

    /// Finds the binlog files the arguments name.
    /// - Parameter manifestLayout: read the manifest in this layout instead of detecting it.
    public func resolve(manifestLayout: ManifestLayout? = nil) throws(ToolError) -> BinlogInput {
        for p in paths where access(p, F_OK) != 0 {
            throw ToolError(.noInput, "\(p): no such file or directory")
        }
        do {
            if paths.count == 1, isDirectory(paths[0]) {
                return BinlogInput(directory: try BinlogDirectory(path: paths[0], db: db, manifestLayout: manifestLayout))
            }
            for p in paths where isDirectory(p) {
                throw ToolError(.usage, "\(p): give either one directory or binlog files, not both")
            }
            return BinlogInput(directory: try BinlogDirectory(files: paths, manifestLayout: manifestLayout))
        } catch let error as BinlogDirectoryError {
            throw ToolError(error)
        } catch let error as ToolError {
            throw error
        } catch {
            throw ToolError(.software, "\(error)")
        }
    }
}

extension ToolError {
    public init(_ error: BinlogDirectoryError) {
        switch error {
        case .noSuchDirectory, .unreadableDirectory, .noSuchFile: self.init(.noInput, error.description)
        case .ambiguousDatabase, .unknownDatabase: self.init(.usage, error.description + " (use --db)")
        case .notADirectory, .noBinlogFiles, .notABinlogFileName, .manifest: self.init(.dataError, error.description)
        }
    }
}

public func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}
