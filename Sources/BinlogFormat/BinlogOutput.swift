import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a ``BinlogWriter`` puts its bytes: the `write2file<N>` files in order, then the manifest.
///
/// The writer calls, in this order: ``beginFile(_:)``, any number of ``write(_:)``, ``endFile()``,
/// and again for the next file; then ``commit(manifest:)`` once. If the writer is discarded
/// before it finishes, it calls ``abandon()`` instead, and nothing may stay visible.
public protocol BinlogOutput: AnyObject {
    /// Starts the empty file `write2file<fileNumber>`.
    /// - Throws: ``BinlogWriteError`` naming the file.
    func beginFile(_ fileNumber: FileNumber) throws(BinlogWriteError)
    /// Appends `bytes` to the current file.
    func write(_ bytes: UnsafeRawBufferPointer) throws(BinlogWriteError)
    /// Completes the current file (on disk: `fsync` and close).
    func endFile() throws(BinlogWriteError)
    /// Makes every completed file and the 65 536-byte `manifest` visible under their final names.
    func commit(manifest: UnsafeRawBufferPointer) throws(BinlogWriteError)
    /// Drops whatever was written and not yet committed. Must not throw or trap.
    func abandon()
    /// How errors and reports name `write2file<fileNumber>` in this output.
    func displayPath(of fileNumber: FileNumber) -> String
}

/// The name Pika gives a binlog file (`NewFileName`: `write2file` and the decimal number).
func binlogFileName(_ fileNumber: FileNumber) -> String { "write2file\(fileNumber)" }

// MARK: - Memory

/// Keeps the written files in memory: for tests and small binlogs.
public final class BinlogMemoryOutput: BinlogOutput {
    /// One written `write2file<N>`.
    public struct File: Hashable, Sendable {
        public var fileNumber: FileNumber
        public var bytes: [UInt8]
    }

    /// The files in the order they were written (committed or not; emptied by ``abandon()``).
    public private(set) var files: [File] = []
    /// The 65 536-byte manifest, set by ``commit(manifest:)``.
    public private(set) var manifest: [UInt8]? = nil
    /// Whether the writer finished.
    public private(set) var isCommitted = false

    public init() {}

    /// The bytes of `write2file<fileNumber>`, if it was written.
    public subscript(fileNumber: FileNumber) -> [UInt8]? {
        files.first { $0.fileNumber == fileNumber }?.bytes
    }

    public func beginFile(_ fileNumber: FileNumber) throws(BinlogWriteError) {
        files.append(File(fileNumber: fileNumber, bytes: []))
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(BinlogWriteError) {
        precondition(!files.isEmpty, "write before beginFile")
        files[files.count - 1].bytes.append(contentsOf: bytes)
    }

    public func endFile() throws(BinlogWriteError) {}

    public func commit(manifest: UnsafeRawBufferPointer) throws(BinlogWriteError) {
        self.manifest = Array(manifest)
        isCommitted = true
    }

    public func abandon() {
        files = []
        manifest = nil
    }

    public func displayPath(of fileNumber: FileNumber) -> String { "<memory>/\(binlogFileName(fileNumber))" }
}

// MARK: - Directory

/// Writes `write2file<N>` files and `manifest` into a directory, atomically per file.
///
/// Each file is written under a temporary name in the target directory
/// (`.binlogtool-tmp.write2file<N>`, so that no partial file ever matches `write2file*`), then
/// `fsync`ed and closed when complete. ``commit(manifest:)`` renames the binlog files into place in
/// the order they were written, then the manifest, then `fsync`s the directory. ``abandon()``, and
/// `deinit` of an uncommitted output, remove the temporary files. Memory use is flat: bytes go
/// straight to the file descriptor.
///
/// A crash between two renames can leave some renamed `write2file<N>` files with the old (or no)
/// manifest; the manifest, renamed last, is the commit point.
public final class BinlogDirectoryOutput: BinlogOutput {
    /// The target directory.
    public let directory: String
    /// Whether existing `write2file<N>` / `manifest` files may be replaced.
    public let replaceExisting: Bool

    private struct Pending {
        var temporary: String
        var final: String
    }

    private var current: (descriptor: FileDescriptor, path: Pending, offset: UInt64)? = nil
    private var completed: [Pending] = []
    private var committed = false

    /// - Parameters:
    ///   - directory: an existing directory; it is not created.
    ///   - replaceExisting: when false, a `write2file<N>` or `manifest` that already exists there
    ///     makes the write fail with ``BinlogWriteError/outputExists(path:)`` before it is touched.
    /// - Throws: ``BinlogWriteError/outputExists(path:)`` for an existing `manifest`.
    public init(directory: String, replaceExisting: Bool = false) throws(BinlogWriteError) {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        self.replaceExisting = replaceExisting
        if !replaceExisting, Self.exists(path(named: "manifest")) {
            throw .outputExists(path: path(named: "manifest"))
        }
    }

    deinit {
        if !committed { abandon() }
    }

    private func path(named name: String) -> String { directory + "/" + name }

    private static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public func displayPath(of fileNumber: FileNumber) -> String { path(named: binlogFileName(fileNumber)) }

    public func beginFile(_ fileNumber: FileNumber) throws(BinlogWriteError) {
        precondition(current == nil, "beginFile before endFile")
        let name = binlogFileName(fileNumber)
        let names = Pending(temporary: path(named: ".binlogtool-tmp." + name), final: path(named: name))
        if !replaceExisting, Self.exists(names.final) { throw .outputExists(path: names.final) }
        current = (try create(names.temporary), names, 0)
    }

    private func create(_ path: String) throws(BinlogWriteError) -> FileDescriptor {
        do {
            return try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .truncate],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch let e as Errno {
            throw .createFailed(path: path, errno: e)
        } catch {
            throw .createFailed(path: path, errno: .ioError)
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(BinlogWriteError) {
        guard var file = current else { preconditionFailure("write before beginFile") }
        try writeAll(bytes, to: file.descriptor, path: file.path.temporary, offset: file.offset)
        file.offset += UInt64(bytes.count)
        current = file
    }

    private func writeAll(
        _ bytes: UnsafeRawBufferPointer, to fd: FileDescriptor, path: String, offset: UInt64
    ) throws(BinlogWriteError) {
        let (done, failure) = writeFully(bytes, to: fd.rawValue)
        if let failure { throw .writeFailed(path: path, offset: offset + UInt64(done), errno: Errno(rawValue: failure)) }
    }

    private func syncAndClose(_ fd: FileDescriptor, path: String) throws(BinlogWriteError) {
        if fsync(fd.rawValue) != 0 {
            let e = Errno(rawValue: errno)
            try? fd.close()
            throw .syncFailed(path: path, errno: e)
        }
        do {
            try fd.close()
        } catch let e as Errno {
            throw .closeFailed(path: path, errno: e)
        } catch {
            throw .closeFailed(path: path, errno: .ioError)
        }
    }

    public func endFile() throws(BinlogWriteError) {
        guard let file = current else { preconditionFailure("endFile before beginFile") }
        current = nil
        completed.append(file.path)
        try syncAndClose(file.descriptor, path: file.path.temporary)
    }

    public func commit(manifest: UnsafeRawBufferPointer) throws(BinlogWriteError) {
        precondition(current == nil, "commit with a file still open")
        let names = Pending(temporary: path(named: ".binlogtool-tmp.manifest"), final: path(named: "manifest"))
        if !replaceExisting, Self.exists(names.final) { throw .outputExists(path: names.final) }
        let fd = try create(names.temporary)
        completed.append(names)
        do {
            try writeAll(manifest, to: fd, path: names.temporary, offset: 0)
        } catch {
            try? fd.close()
            throw error
        }
        try syncAndClose(fd, path: names.temporary)

        while let next = completed.first {
            if rename(next.temporary, next.final) != 0 {
                throw .renameFailed(from: next.temporary, to: next.final, errno: Errno(rawValue: errno))
            }
            completed.removeFirst()
        }
        committed = true
        let dir: FileDescriptor
        do {
            dir = try FileDescriptor.open(FilePath(directory), .readOnly)
        } catch let e as Errno {
            throw .syncFailed(path: directory, errno: e)
        } catch {
            throw .syncFailed(path: directory, errno: .ioError)
        }
        defer { try? dir.close() }
        if fsync(dir.rawValue) != 0 { throw .syncFailed(path: directory, errno: Errno(rawValue: errno)) }
    }

    public func abandon() {
        if let file = current {
            try? file.descriptor.close()
            completed.append(file.path)
            current = nil
        }
        for names in completed { _ = unlink(names.temporary) }
        completed = []
    }
}

/// Writes every byte of `bytes` to `fd`, going on after short writes and `EINTR`: the one write
/// loop of the package (binlog files, RESP streams, the CLI's output).
/// - Returns: the bytes written, and the `errno` of the write that failed (nil when all went).
public func writeFully(_ bytes: UnsafeRawBufferPointer, to fd: Int32) -> (written: Int, errno: Int32?) {
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            return (done, errno)
        }
        done += n
    }
    return (done, nil)
}
