import CLZ4

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure while reading, decompressing or compressing LZ4 frame data.
///
/// Every case names the file and the byte offset in the *compressed* file, so that a damaged
/// `.lz4` copy can be inspected with `xxd -s <offset>`.
public struct LZ4FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// `open(2)` failed (the file is missing or not readable); `name` is the `strerror` text.
        case open
        /// `read(2)` failed part way; `name` is the `strerror` text.
        case read
        /// liblz4 rejected the bytes; `name` is `LZ4F_getErrorName` (e.g. `ERROR_frameType_unknown`).
        case corrupt
        /// The file ended inside a frame (or holds no frame at all).
        case truncated
        /// `LZ4F_compressFrame` failed (only from ``compressLZ4Frame(_:options:)``).
        case compress
    }

    public var kind: Kind
    /// The compressed file; empty for in-memory compression.
    public var path: String
    /// Byte offset in the compressed file. For ``Kind/corrupt`` it is the start of the input unit
    /// liblz4 was decoding when it failed: the reader hands liblz4 exactly the byte count it asks
    /// for next (its hint): the frame header, then each block's data (plus block checksum and the
    /// next block's 4-byte size field), then the 4-byte content checksum. A bad compressed block
    /// is reported at the first byte after its size field, a content-checksum mismatch at the
    /// checksum, a bad magic number at the frame's first byte. Inside a *stored* (uncompressed)
    /// block the offset can be a point within that block. For ``Kind/truncated`` it is the
    /// file's size.
    public var offset: UInt64
    /// liblz4's error name, or the `strerror` text for ``Kind/open`` and ``Kind/read``.
    public var name: String
    /// The C `errno` for ``Kind/open`` and ``Kind/read``.
    public var errno: Int32?

    public init(kind: Kind, path: String, offset: UInt64, name: String, errno: Int32? = nil) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.name = name
        self.errno = errno
    }

    public var description: String {
        switch kind {
        case .open: "\(path): cannot open: \(name)"
        case .read: "\(path): read failed at compressed byte \(offset): \(name)"
        case .corrupt: "\(path): LZ4 frame data is corrupt at compressed byte \(offset): \(name)"
        case .truncated: "\(path): LZ4 frame is truncated at compressed byte \(offset): \(name)"
        case .compress: "LZ4 frame compression failed: \(name)"
        }
    }
}

/// Streams the decompressed bytes of an LZ4 *frame format* file (`lz4` CLI output, magic
/// `04 22 4D 18`) with flat memory.
///
/// Compressed bytes are read with `read(2)` into one reused input buffer
/// (``defaultInputChunkSize`` bytes) and handed to `LZ4F_decompress`, which writes straight into
/// the caller's buffer. liblz4 keeps at most one block (≤ 4 MiB) of its own state. Concatenated
/// frames and skippable frames are read in sequence, like `lz4 -d` does.
///
/// The reader is sticky on failure: after a thrown error every later `read` throws it again.
public final class LZ4FrameReader {
    /// Bytes read from the compressed file per `read(2)` call.
    public static let defaultInputChunkSize = 64 * 1024
    /// LZ4 frame magic number (little-endian `0x184D2204`).
    public static let frameMagic: UInt32 = 0x184D_2204
    /// The minimum LZ4 frame header size (`LZ4F_HEADER_SIZE_MIN`).
    static let frameHeaderMinimum = 7

    /// The compressed file.
    public let path: String
    /// Compressed bytes liblz4 has consumed so far.
    public private(set) var compressedOffset: UInt64 = 0
    /// Decompressed bytes handed out so far.
    public private(set) var decompressedOffset: UInt64 = 0
    /// Frames completed so far.
    public private(set) var frameCount = 0

    private var descriptor: Int32
    private let context: OpaquePointer
    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var inputExhausted = false
    /// liblz4's hint for the next input size; 0 between frames.
    private var nextHint = 0
    private var atFrameBoundary = true
    /// Compressed offset where the unit liblz4 asked for (its last hint) starts; a unit can take
    /// several calls when it spans input chunks.
    private var unitStart: UInt64 = 0
    private var unitOpen = false
    private var finished = false
    private var failure: LZ4FrameError?

    /// Opens `path` read-only (`O_RDONLY | O_CLOEXEC`) and creates a decompression context.
    /// - Parameters:
    ///   - path: the `.lz4` file.
    ///   - inputChunkSize: bytes per `read(2)`; at least 1.
    /// - Throws: ``LZ4FrameError`` of kind ``LZ4FrameError/Kind/open`` if the file cannot be opened.
    public init(path: String, inputChunkSize: Int = LZ4FrameReader.defaultInputChunkSize) throws(LZ4FrameError) {
        precondition(inputChunkSize > 0, "inputChunkSize must be positive")
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            throw LZ4FrameError(kind: .open, path: path, offset: 0, name: Self.errorText(code), errno: code)
        }
        var dctx: OpaquePointer?
        let created = LZ4F_createDecompressionContext(&dctx, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(created) == 0, let dctx else {
            _ = systemClose(fd)
            throw LZ4FrameError(
                kind: .corrupt, path: path, offset: 0, name: String(cString: LZ4F_getErrorName(created)))
        }
        descriptor = fd
        context = dctx
        input = .allocate(byteCount: inputChunkSize, alignment: 16)
    }

    deinit {
        close()
        LZ4F_freeDecompressionContext(context)
        input.deallocate()
    }

    /// Closes the file descriptor; later reads return 0 (or the stored failure). Idempotent.
    public func close() {
        finished = true
        if descriptor >= 0 {
            _ = systemClose(descriptor)
            descriptor = -1
        }
    }

    /// Fills `buffer` from the front with the next decompressed bytes.
    /// - Returns: the number of bytes written; fewer than `buffer.count` only at the end of the
    ///   data, and 0 once everything has been returned.
    /// - Throws: ``LZ4FrameError``: `.read` for I/O failures, `.corrupt` when liblz4 rejects the
    ///   bytes, `.truncated` when the file ends inside a frame or contains no frame.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LZ4FrameError) -> Int {
        if let failure { throw failure }
        if finished || buffer.isEmpty { return 0 }
        guard let destination = buffer.baseAddress else { return 0 }
        var produced = 0
        while produced < buffer.count {
            if inputStart == inputEnd && !inputExhausted {
                try refill()
            }
            let available = inputEnd - inputStart
            var sourceSize = available
            let want = nextHint == 0 ? Self.frameHeaderMinimum : nextHint
            if available > 0 {
                // Feed exactly what liblz4 asks for, so a failure is pinned to one unit.
                sourceSize = min(available, want)
            } else if atFrameBoundary {
                // End of input between frames.
                if frameCount == 0 {
                    throw fail(.truncated, at: compressedOffset, "the file holds no LZ4 frame (it is empty)")
                }
                finished = true
                break
            }
            if !unitOpen {
                unitStart = compressedOffset
                unitOpen = true
            }
            let given = sourceSize
            var destinationSize = buffer.count - produced
            let source = UnsafeRawPointer(input.baseAddress! + inputStart)
            let result = LZ4F_decompress(
                context, destination + produced, &destinationSize, source, &sourceSize, nil)
            if LZ4F_isError(result) != 0 {
                throw fail(.corrupt, at: unitStart, String(cString: LZ4F_getErrorName(result)))
            }
            inputStart += sourceSize
            compressedOffset += UInt64(sourceSize)
            produced += destinationSize
            decompressedOffset += UInt64(destinationSize)
            nextHint = result
            // The unit goes on only while liblz4 is still collecting it (we had fewer bytes than it
            // asked for). When it stops early because the output is full, it stops at a boundary.
            if given >= want || result == 0 { unitOpen = false }
            if result == 0 {
                frameCount += 1
                atFrameBoundary = true
            } else {
                atFrameBoundary = false
            }
            if sourceSize == 0 && destinationSize == 0 {
                if available == 0 {
                    throw fail(
                        .truncated, at: compressedOffset,
                        "the file ends inside a frame; liblz4 expects \(result) more bytes")
                }
                throw fail(.corrupt, at: compressedOffset, "LZ4F_decompress made no progress")
            }
        }
        return produced
    }

    private func refill() throws(LZ4FrameError) {
        inputStart = 0
        inputEnd = 0
        guard descriptor >= 0 else {
            inputExhausted = true
            return
        }
        while true {
            let n = systemRead(descriptor, input.baseAddress!, input.count)
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw fail(.read, at: compressedOffset, Self.errorText(code), errno: code)
            }
            if n == 0 { inputExhausted = true }
            inputEnd = n
            return
        }
    }

    private func fail(_ kind: LZ4FrameError.Kind, at offset: UInt64, _ name: String, errno: Int32? = nil)
        -> LZ4FrameError
    {
        let error = LZ4FrameError(kind: kind, path: path, offset: offset, name: name, errno: errno)
        failure = error
        return error
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text) + " (errno \(code))"
    }
}

// File-scope wrappers: inside `LZ4FrameReader`, `close` and `read` name the methods.
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
