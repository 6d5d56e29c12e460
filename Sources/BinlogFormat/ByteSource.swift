import SystemPackage

/// A failure to read or open input bytes (as opposed to bytes that are wrong, which are damage).
public struct BinlogIOError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The file does not exist or cannot be opened.
        case missing
        /// Reading failed part way.
        case read
        /// Compressed input that does not decompress.
        case corruptCompression
    }
    public var kind: Kind
    public var path: String
    /// Byte offset in the file (the compressed file for `.lz4` input) where it happened.
    public var offset: UInt64
    public var reason: String

    public init(kind: Kind, path: String, offset: UInt64, reason: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        switch kind {
        case .missing: "\(path): cannot open: \(reason)"
        case .read: "\(path): read failed at byte \(offset): \(reason)"
        case .corruptCompression: "\(path): compressed data is corrupt at byte \(offset): \(reason)"
        }
    }
}

/// A stream of bytes the decoder pulls from: a plain file, a decompressing reader, or memory.
public protocol ByteSource: AnyObject {
    /// Fills `buffer` from the front with the next bytes; returns how many were written, 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(BinlogIOError) -> Int
}

/// A source that can jump forward to a byte offset without reading what lies before it.
public protocol SeekableByteSource: ByteSource {
    /// Positions the source so that the next read starts at `offset` bytes from the start.
    func seek(to offset: UInt64) throws(BinlogIOError)
    /// The source's length in bytes.
    func size() throws(BinlogIOError) -> UInt64
}

/// A plain file opened read-only (`O_RDONLY`); it is never written.
public final class FileSource: SeekableByteSource {
    public let path: String
    private let descriptor: FileDescriptor
    private var position: UInt64 = 0
    private var closed = false

    public init(path: String) throws(BinlogIOError) {
        self.path = path
        do {
            descriptor = try FileDescriptor.open(FilePath(path), .readOnly)
        } catch {
            throw BinlogIOError(kind: .missing, path: path, offset: 0, reason: "\(error)")
        }
    }

    deinit { close() }

    public func close() {
        if !closed {
            closed = true
            try? descriptor.close()
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(BinlogIOError) -> Int {
        do {
            let n = try descriptor.read(into: buffer, retryOnInterrupt: true)
            position += UInt64(n)
            return n
        } catch {
            throw BinlogIOError(kind: .read, path: path, offset: position, reason: "\(error)")
        }
    }

    public func seek(to offset: UInt64) throws(BinlogIOError) {
        do {
            _ = try descriptor.seek(offset: Int64(offset), from: .start)
            position = offset
        } catch {
            throw BinlogIOError(kind: .read, path: path, offset: position, reason: "\(error)")
        }
    }

    /// The file's size in bytes (`fstat`-free: seeks to the end and back).
    public func size() throws(BinlogIOError) -> UInt64 {
        do {
            let current = try descriptor.seek(offset: 0, from: .current)
            let end = try descriptor.seek(offset: 0, from: .end)
            _ = try descriptor.seek(offset: current, from: .start)
            return UInt64(end)
        } catch {
            throw BinlogIOError(kind: .read, path: path, offset: position, reason: "\(error)")
        }
    }
}

/// Bytes held in memory, for tests and for data already read.
public final class MemorySource: ByteSource {
    public let bytes: [UInt8]
    private var position = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(BinlogIOError) -> Int {
        let n = min(buffer.count, bytes.count - position)
        if n > 0 {
            bytes.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n)
            }
        }
        position += n
        return n
    }
}
