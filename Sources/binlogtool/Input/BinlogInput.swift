import ArgumentParser
import BinlogFormat
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The binlog files an operator named, in file-number order.
struct BinlogInput {
    struct File {
        var fileNumber: FileNumber
        var path: String
        var compressed: Bool
    }
    var files: [File]
    /// The directory holding them (for the manifest), when they came from one.
    var directory: String?

    var streamFiles: [BinlogStream.File] {
        files.map { f in
            BinlogStream.File(fileNumber: f.fileNumber) { () throws(BinlogIOError) -> any ByteSource in
                try openBinlogSource(path: f.path, compressed: f.compressed)
            }
        }
    }

    func path(of fileNumber: FileNumber) -> String? {
        files.first { $0.fileNumber == fileNumber }?.path
    }
}

/// Opens a plain or `.lz4` binlog file.
func openBinlogSource(path: String, compressed: Bool) throws(BinlogIOError) -> any ByteSource {
    try FileSource(path: path)
}

/// Arguments shared by every verb that reads a binlog.
struct InputOptions: ParsableArguments {
    @Argument(help: "A binlog directory (write2file<N> files), a Pika log root holding log_db<N> dirs, or binlog files.")
    var paths: [String] = []

    @Option(help: "Which DB's binlog to read under a log root (e.g. db0).")
    var db: String?

    func validate() throws {
        if paths.isEmpty { throw ValidationError("name a binlog directory or files") }
    }
}

extension InputOptions {
    /// Finds the binlog files the arguments name.
    func resolve() throws(ToolError) -> BinlogInput {
        if paths.count == 1, isDirectory(paths[0]) {
            return try resolveDirectory(paths[0])
        }
        var files: [BinlogInput.File] = []
        for path in paths {
            if isDirectory(path) { throw ToolError(.usage, "\(path): give either one directory or binlog files, not both") }
            guard let (n, compressed) = binlogFileNumber(lastComponent(path)) else {
                throw ToolError(.dataError, "\(path): not a binlog file name (expected write2file<N> or write2file<N>.lz4)")
            }
            guard access(path, R_OK) == 0 else { throw ToolError(.noInput, "\(path): cannot open: \(String(cString: strerror(errno)))") }
            files.append(.init(fileNumber: n, path: path, compressed: compressed))
        }
        files.sort { $0.fileNumber < $1.fileNumber }
        return BinlogInput(files: files, directory: nil)
    }

    private func resolveDirectory(_ dir: String) throws(ToolError) -> BinlogInput {
        let names = try listDirectory(dir)
        var files: [BinlogInput.File] = []
        for name in names {
            if let (n, compressed) = binlogFileNumber(name) {
                files.append(.init(fileNumber: n, path: dir + "/" + name, compressed: compressed))
            }
        }
        if !files.isEmpty {
            files.sort { $0.fileNumber < $1.fileNumber }
            return BinlogInput(files: files, directory: dir)
        }
        let dbDirs = names.filter { $0.hasPrefix("log_") && isDirectory(dir + "/" + $0) }.sorted()
        if let db {
            let sub = dbDirs.contains("log_" + db) ? "log_" + db : db
            guard isDirectory(dir + "/" + sub) else {
                throw ToolError(.noInput, "\(dir): no binlog dir for --db \(db); found: \(dbDirs.joined(separator: ", "))")
            }
            return try resolveDirectory(dir + "/" + sub)
        }
        if dbDirs.count == 1 { return try resolveDirectory(dir + "/" + dbDirs[0]) }
        if dbDirs.count > 1 {
            throw ToolError(.usage, "\(dir) holds several binlogs (\(dbDirs.joined(separator: ", "))): choose one with --db")
        }
        throw ToolError(.dataError, "\(dir): no write2file<N> files and no log_<db> directories: not a Pika binlog directory")
    }
}

func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

func lastComponent(_ path: String) -> String {
    String(path.split(separator: "/").last ?? Substring(path))
}

/// `write2file12` → (12, false); `write2file12.lz4` → (12, true).
func binlogFileNumber(_ name: String) -> (FileNumber, Bool)? {
    guard name.hasPrefix("write2file") else { return nil }
    var rest = name.dropFirst("write2file".count)
    var compressed = false
    if rest.hasSuffix(".lz4") {
        rest = rest.dropLast(4)
        compressed = true
    }
    guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }), let n = FileNumber(rest) else { return nil }
    return (n, compressed)
}

func listDirectory(_ dir: String) throws(ToolError) -> [String] {
    guard let d = opendir(dir) else {
        throw ToolError(.noInput, "\(dir): cannot open directory: \(String(cString: strerror(errno)))")
    }
    defer { closedir(d) }
    var names: [String] = []
    while let entry = readdir(d) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}
