import LZ4Frame

/// A `write2file<N>.lz4` file (LZ4 frame format, as written by `lz4`), read as the plain binlog
/// bytes it decompresses to.
///
/// Positions handed to the decoder are *decompressed* offsets, i.e. the offsets of the original
/// `write2file<N>`; an error names the *compressed* byte offset, where `xxd` can find it.
/// Memory stays flat: one 64 KiB input buffer plus liblz4's block state.
public final class LZ4FileSource: ByteSource {
    public let path: String
    private let reader: LZ4FrameReader

    /// Opens `path` for streaming decompression.
    /// - Throws: ``BinlogIOError`` of kind `.missing` if it cannot be opened.
    public init(path: String) throws(BinlogIOError) {
        self.path = path
        do {
            reader = try LZ4FrameReader(path: path)
        } catch {
            throw Self.map(error)
        }
    }

    /// Compressed bytes consumed so far.
    public var compressedOffset: UInt64 { reader.compressedOffset }
    /// Decompressed bytes returned so far.
    public var decompressedOffset: UInt64 { reader.decompressedOffset }

    /// Closes the file; later reads return 0.
    public func close() { reader.close() }

    /// Fills `buffer` with the next decompressed bytes; returns 0 at the end.
    /// - Throws: ``BinlogIOError``: `.read` for I/O failures, `.corruptCompression` (with the
    ///   compressed byte offset and liblz4's error name) for bad or truncated frames.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(BinlogIOError) -> Int {
        do {
            return try reader.read(into: buffer)
        } catch {
            throw Self.map(error)
        }
    }

    static func map(_ error: LZ4FrameError) -> BinlogIOError {
        let kind: BinlogIOError.Kind =
            switch error.kind {
            case .open: .missing
            case .read: .read
            case .corrupt, .truncated, .compress: .corruptCompression
            }
        let reason =
            switch error.kind {
            case .truncated: "truncated LZ4 frame: \(error.name)"
            case .corrupt: "LZ4 error \(error.name)"
            default: error.name
            }
        return BinlogIOError(kind: kind, path: error.path, offset: error.offset, reason: reason)
    }

    /// Compresses `bytes` into one LZ4 frame, for tests that build `.lz4` fixtures.
    /// - Parameters:
    ///   - blockSize64KiB: use 64 KiB blocks (else 4 MiB, the `lz4` CLI default).
    ///   - blockChecksum: add a checksum after each block, so corruption is caught at its block.
    package static func compressFrame(
        _ bytes: [UInt8], blockSize64KiB: Bool = true, blockChecksum: Bool = false, contentChecksum: Bool = true
    ) -> [UInt8] {
        let options = LZ4FrameOptions(
            blockSize: blockSize64KiB ? .max64KiB : .max4MiB, blockChecksum: blockChecksum,
            contentChecksum: contentChecksum)
        do {
            return try compressLZ4Frame(bytes, options: options)
        } catch {
            preconditionFailure("LZ4 compression of an in-memory buffer failed: \(error)")
        }
    }
}
