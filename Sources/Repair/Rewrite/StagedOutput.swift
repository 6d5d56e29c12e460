#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// An output path that is either absent (or left as it was) or complete: the content is built
/// under a hidden staging name in the same directory, `fsync`ed, then renamed into place in one
/// step, and the parent directory is `fsync`ed (STYLE §5).
///
/// - A directory target is staged as `.<name>.binlogtool-tmp-<pid>-<n>/`; a ``BinlogDirectoryOutput``
///   writes and `fsync`s every file there. A file target is staged as a file of that name.
/// - The rename is `renameat2(RENAME_NOREPLACE)` (an output that appeared meanwhile is never
///   replaced), or with `replaceExisting`, `RENAME_EXCHANGE` followed by removing the old
///   content: there is no moment at which the target path is missing. Without `renameat2`
///   (non-Linux), plain `rename(2)`.
/// - A process killed at any point leaves the target untouched (absent, or the previous
///   output) plus at most a staging entry, which the next run for the same target removes once
///   its process is gone.
/// - `replaceExisting` replaces only what looks like an earlier output: a regular file, or a
///   directory holding nothing but `write2file<N>`, `manifest` and staging files.
public final class StagedOutput {
    public enum Kind: Sendable { case directory, file }

    public let target: String
    public let staging: String
    public let kind: Kind
    public let replaceExisting: Bool
    /// The staged file, open for writing (``Kind/file``); -1 for a directory.
    public private(set) var descriptor: Int32 = -1
    private var finished = false

    static let marker = ".binlogtool-tmp-"

    /// Creates the staging entry.
    /// - Parameters:
    ///   - target: the path to produce.
    ///   - kind: a directory (binlog) or a file (RESP stream).
    ///   - replaceExisting: `--force`.
    /// - Throws: ``RewriteError/output(path:reason:)`` when the target exists (without
    ///   `replaceExisting`), is not something this tool writes, or the staging entry cannot be made.
    public init(target: String, kind: Kind, replaceExisting: Bool) throws(RewriteError) {
        var t = target
        while t.count > 1 && t.hasSuffix("/") { t.removeLast() }
        self.target = t
        self.kind = kind
        self.replaceExisting = replaceExisting
        let (parent, name) = Self.split(t)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw .outputRefused(path: target, .unusableName)
        }
        var st = stat()
        guard stat(parent, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw .outputRefused(path: target, .noParent(parent))
        }
        Self.removeStale(parent: parent, name: name)
        if lstat(t, &st) == 0 {
            guard replaceExisting else {
                throw .outputRefused(path: target, .exists)
            }
            try Self.checkReplaceable(t, st, kind: kind)
        }
        var n = 0
        var candidate: String
        while true {
            candidate = parent + "/." + name + Self.marker + "\(getpid())-\(n)"
            var ignored = stat()
            if lstat(candidate, &ignored) != 0 { break }
            n += 1
        }
        staging = candidate
        switch kind {
        case .directory:
            guard mkdir(staging, 0o755) == 0 else {
                finished = true  // nothing was created: deinit must not remove anything
                throw .output(path: staging, reason: "cannot create the staging directory: \(Self.errorText())")
            }
        case .file:
            descriptor = open(staging, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                finished = true
                throw .output(path: staging, reason: "cannot create the staging file: \(Self.errorText())")
            }
        }
    }

    deinit {
        if !finished { abandon() }
    }

    /// Moves the staged content into place. For a file, the caller has written, `fsync`ed and
    /// closed ``descriptor`` (``RESPRewriteOutput/finish()`` does).
    /// - Throws: ``RewriteError/output(path:reason:)``; the staging entry is then removed.
    public func commit() throws(RewriteError) {
        precondition(!finished, "commit after commit or abandon")
        let (parent, _) = Self.split(target)
        if kind == .directory { try Self.sync(staging) }
        var exists = stat()
        let targetExists = lstat(target, &exists) == 0
        if targetExists {
            guard replaceExisting else {
                abandon()
                throw .outputRefused(path: target, .appeared)
            }
            if Self.renameat2(staging, target, flags: Self.renameExchange) {
                // The old content is now under the staging name.
                finished = true
                Self.remove(staging)
            } else {
                let aside = staging + ".old"
                guard rename(target, aside) == 0 else {
                    let why = Self.errorText()
                    abandon()
                    throw .output(path: target, reason: "cannot move the old output aside: \(why)")
                }
                guard rename(staging, target) == 0 else {
                    let why = Self.errorText()
                    _ = rename(aside, target)
                    abandon()
                    throw .output(path: target, reason: "cannot rename the output into place: \(why)")
                }
                finished = true
                Self.remove(aside)
            }
        } else {
            var done = Self.renameat2(staging, target, flags: Self.renameNoReplace)
            if !done && (Self.renameat2Function == nil || errno == EINVAL || errno == ENOSYS) {
                done = rename(staging, target) == 0
            }
            guard done else {
                let why = Self.errorText()
                abandon()
                throw .output(path: target, reason: "cannot rename the output into place: \(why)")
            }
            finished = true
        }
        try Self.sync(parent)
    }

    /// Removes the staging entry. Never throws.
    /// Hands the staging file's descriptor to the caller, who closes it (after `fsync`); this
    /// object no longer closes it, not even in ``abandon()``: a descriptor closed twice can close
    /// another file that was given the same number in between.
    public func releaseDescriptor() -> Int32 {
        let d = descriptor
        descriptor = -1
        return d
    }

    public func abandon() {
        guard !finished else { return }
        finished = true
        if descriptor >= 0 {
            _ = close(descriptor)
            descriptor = -1
        }
        Self.remove(staging)
    }

    // MARK: - Helpers

    static func split(_ path: String) -> (parent: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let parent = String(path[..<slash])
        return (parent.isEmpty ? "/" : parent, String(path[path.index(after: slash)...]))
    }

    static func errorText() -> String { String(cString: strerror(errno)) }

    /// Refuses to replace anything but an earlier output of this tool.
    static func checkReplaceable(_ path: String, _ st: stat, kind: Kind) throws(RewriteError) {
        let type = st.st_mode & S_IFMT
        switch kind {
        case .file:
            guard type == S_IFREG else { throw .outputRefused(path: path, .notAnEarlierOutput("exists and is not a regular file")) }
        case .directory:
            guard type == S_IFDIR else { throw .outputRefused(path: path, .notAnEarlierOutput("exists and is not a directory")) }
            for entry in list(path) {
                let ok =
                    entry == "manifest" || entry.hasPrefix(".binlogtool-tmp.")
                    || (entry.hasPrefix("write2file") && entry.dropFirst(10).allSatisfy(\.isNumber) && entry.count > 10)
                guard ok else {
                    throw .outputRefused(
                        path: path, .notAnEarlierOutput("holds \(entry), which a rewrite never writes (remove it yourself)"))
                }
            }
        }
    }

    static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a file, or a directory and the files in it (one level: what a rewrite stages).
    static func remove(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in list(path) { _ = unlink(path + "/" + name) }
            _ = rmdir(path)
        } else {
            _ = unlink(path)
        }
    }

    /// Removes staging entries for the same target left by processes that no longer run.
    static func removeStale(parent: String, name: String) {
        let prefix = "." + name + marker
        for entry in list(parent) where entry.hasPrefix(prefix) {
            let rest = entry.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]) else { continue }
            if pid == getpid() { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }
            remove(parent + "/" + entry)
        }
    }

    static func sync(_ path: String) throws(RewriteError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .output(path: path, reason: "cannot open for fsync: \(errorText())") }
        defer { _ = close(fd) }
        guard fsync(fd) == 0 else { throw .output(path: path, reason: "fsync failed: \(errorText())") }
    }

    // renameat2(2) is not in Glibc's Swift overlay (it needs _GNU_SOURCE): looked up at run time.
    typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    static let renameNoReplace: UInt32 = 1
    static let renameExchange: UInt32 = 2
    static let renameat2Function: RenameAt2? = {
        #if os(Linux)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
            return unsafeBitCast(symbol, to: RenameAt2.self)
        #else
            return nil
        #endif
    }()

    static func renameat2(_ from: String, _ to: String, flags: UInt32) -> Bool {
        guard let f = renameat2Function else { return false }
        return f(AT_FDCWD, from, AT_FDCWD, to, flags) == 0
    }
}
