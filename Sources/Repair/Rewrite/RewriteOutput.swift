import BinlogFormat
import SystemPackage

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Where ``BinlogRewriter`` writes its commands: a Pika binlog (``BinlogRewriteOutput``) or a
/// RESP command stream (``RESPRewriteOutput``).
public protocol RewriteOutput: AnyObject {
    /// Starts the output at `start`, before the first command.
    /// - Parameters:
    ///   - start: the resume point the output pairs with.
    ///   - logicIDBase: the logic id of the item before the first one written.
    ///   - term: the term written into item headers.
    ///   - time: unix seconds, for padding record headers.
    func begin(start: ResumePoint, logicIDBase: UInt64, term: UInt32, time: UInt32) throws(RewriteError)
    /// Writes one command, given as its RESP encoding.
    /// - Parameters:
    ///   - content: the RESP multi-bulk.
    ///   - execTime: the item's exec time, unix seconds.
    ///   - recordTimes: header times of the physical records (empty: `execTime`).
    /// - Returns: where it went.
    func write(
        content: UnsafeRawBufferPointer, execTime: UInt32, recordTimes: UnsafeBufferPointer<UInt32>
    ) throws(RewriteError) -> OutputLocation
    /// Completes the output (binlog: last file and manifest).
    /// - Returns: the producer status of the manifest written (binlog), nil for RESP.
    func finish() throws(RewriteError) -> ProducerStatus?
    /// Drops everything written (nothing of it may stay visible). Must not throw.
    func abandon()
    /// Bytes written so far.
    var byteCount: UInt64 { get }
}

/// A Pika binlog: items written as a v3.5.2+/v4 master does (`BinlogWriter.append(content:execTime:)`:
/// stored positions and logic ids computed from the producer status), starting with
/// `SetProducerStatus` padding up to the start point when it is not `N:0`.
public final class BinlogRewriteOutput: RewriteOutput {
    private let output: any BinlogOutput
    private let binlogFileSize: UInt64
    private var writer: BinlogWriter? = nil
    private var index = 0
    private var finishedBytes: UInt64 = 0
    public private(set) var byteCount: UInt64 = 0

    /// - Parameters:
    ///   - output: where the files go (a ``BinlogDirectoryOutput`` in a staging directory, or a
    ///     ``DiscardingBinlogOutput`` for a dry run).
    ///   - binlogFileSize: Pika's `binlog-file-size` for the output's rolls, in bytes.
    public init(output: any BinlogOutput, binlogFileSize: UInt64) {
        self.output = output
        self.binlogFileSize = binlogFileSize
    }

    public func begin(start: ResumePoint, logicIDBase: UInt64, term: UInt32, time: UInt32) throws(RewriteError) {
        do {
            writer = try BinlogWriter(
                output: output, binlogFileSize: binlogFileSize,
                producer: ProducerStatus(fileNumber: start.fileNumber, offset: start.offset, logicID: logicIDBase, term: term),
                paddingTime: time)
        } catch {
            throw .write(error)
        }
        byteCount = position.size
    }

    /// The writer's current file and its size (nil before ``begin``).
    private var position: (file: FileNumber?, size: UInt64) {
        switch writer {
        case .some(let w): return (w.producer.fileNumber, w.fileSize)
        case .none: return (nil, 0)
        }
    }

    public func write(
        content: UnsafeRawBufferPointer, execTime: UInt32, recordTimes: UnsafeBufferPointer<UInt32>
    ) throws(RewriteError) -> OutputLocation {
        let (fileBefore, sizeBefore) = position
        precondition(fileBefore != nil, "write before begin")
        let written: WrittenItem
        do {
            written = try writer!.append(content: content, execTime: execTime, recordTimes: recordTimes)
        } catch {
            throw .write(error)
        }
        let (fileAfter, sizeAfter) = position
        if fileAfter != fileBefore { finishedBytes += sizeBefore }
        byteCount = finishedBytes + sizeAfter
        defer { index += 1 }
        return OutputLocation(
            start: written.start, end: written.end, stored: written.precedingStatus, logicID: written.header?.logicID,
            index: index)
    }

    public func finish() throws(RewriteError) -> ProducerStatus? {
        guard let w = writer.take() else { return nil }
        do {
            return try w.finish()
        } catch {
            throw .write(error)
        }
    }

    public func abandon() {
        writer = nil  // an unfinished writer abandons its output
        output.abandon()
    }
}

/// A ``BinlogOutput`` that keeps nothing: positions are computed, bytes are dropped (dry runs).
public final class DiscardingBinlogOutput: BinlogOutput {
    public private(set) var byteCount: UInt64 = 0
    public private(set) var files: [FileNumber] = []

    public init() {}
    public func beginFile(_ fileNumber: FileNumber) throws(BinlogWriteError) { files.append(fileNumber) }
    public func write(_ bytes: UnsafeRawBufferPointer) throws(BinlogWriteError) { byteCount += UInt64(bytes.count) }
    public func endFile() throws(BinlogWriteError) {}
    public func commit(manifest: UnsafeRawBufferPointer) throws(BinlogWriteError) {}
    public func abandon() {}
    public func displayPath(of fileNumber: FileNumber) -> String { "<dry run>/write2file\(fileNumber)" }
}

/// A replayable RESP command stream (`redis-cli --pipe`), written to a file descriptor through a
/// 1 MiB buffer; ``finish()`` flushes and `fsync`s it (unless it is a pipe or terminal).
public final class RESPRewriteOutput: RewriteOutput {
    private static let bufferSize = 1 << 20
    private let descriptor: Int32
    private let path: String
    private let closeWhenDone: Bool
    /// ``bufferSize`` bytes, the first `used` of them waiting to be written (plain memory: one
    /// `memcpy` per command, no array growth or exclusivity checks).
    private let buffer: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var used = 0
    @exclusivity(unchecked) private var index = 0
    @exclusivity(unchecked) public private(set) var byteCount: UInt64 = 0
    @exclusivity(unchecked) private var discard: Bool

    /// - Parameters:
    ///   - descriptor: an open, writable file descriptor; -1 writes nothing (a dry run).
    ///   - path: how errors name it.
    ///   - closeWhenDone: close the descriptor in ``finish()`` / ``abandon()``.
    public init(descriptor: Int32, path: String, closeWhenDone: Bool) {
        self.descriptor = descriptor
        self.path = path
        self.closeWhenDone = closeWhenDone
        self.discard = descriptor < 0
        buffer = .allocate(byteCount: Self.bufferSize, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    public func begin(start: ResumePoint, logicIDBase: UInt64, term: UInt32, time: UInt32) throws(RewriteError) {}

    public func write(
        content: UnsafeRawBufferPointer, execTime: UInt32, recordTimes: UnsafeBufferPointer<UInt32>
    ) throws(RewriteError) -> OutputLocation {
        let start = byteCount
        byteCount += UInt64(content.count)
        if !discard, let bytes = content.baseAddress {
            if used + content.count > Self.bufferSize { try flush() }
            if content.count >= Self.bufferSize {
                try writeOut(content)
            } else {
                (buffer + used).copyMemory(from: bytes, byteCount: content.count)
                used += content.count
            }
        }
        defer { index += 1 }
        return OutputLocation(
            start: PhysicalPosition(fileNumber: 0, offset: start), end: PhysicalPosition(fileNumber: 0, offset: byteCount),
            stored: nil, logicID: nil, index: index)
    }

    private func flush() throws(RewriteError) {
        try writeOut(UnsafeRawBufferPointer(start: buffer, count: used))
        used = 0
    }

    private func writeOut(_ bytes: UnsafeRawBufferPointer) throws(RewriteError) {
        guard !bytes.isEmpty else { return }
        if let failure = writeFully(bytes, to: descriptor).errno {
            throw .output(path: path, reason: "write failed: \(String(cString: strerror(failure)))")
        }
    }

    public func finish() throws(RewriteError) -> ProducerStatus? {
        if !discard {
            try flush()
            var st = stat()
            if fstat(descriptor, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, fsync(descriptor) != 0 {
                throw .output(path: path, reason: "fsync failed: \(String(cString: strerror(errno)))")
            }
            if closeWhenDone, close(descriptor) != 0 {
                throw .output(path: path, reason: "close failed: \(String(cString: strerror(errno)))")
            }
            discard = true
        }
        return nil
    }

    public func abandon() {
        used = 0
        if !discard && closeWhenDone { _ = close(descriptor) }
        discard = true
    }
}
