import CLZ4

/// The largest uncompressed block an LZ4 frame may hold (frame descriptor `BD` byte).
public enum LZ4FrameBlockSize: Hashable, Sendable, CaseIterable {
    /// 64 KiB; liblz4 `LZ4F_max64KB` (4).
    case max64KiB
    /// 256 KiB; liblz4 `LZ4F_max256KB` (5).
    case max256KiB
    /// 1 MiB; liblz4 `LZ4F_max1MB` (6).
    case max1MiB
    /// 4 MiB; liblz4 `LZ4F_max4MB` (7), the `lz4` CLI default.
    case max4MiB

    /// The block size in bytes.
    public var byteCount: Int {
        switch self {
        case .max64KiB: 64 << 10
        case .max256KiB: 256 << 10
        case .max1MiB: 1 << 20
        case .max4MiB: 4 << 20
        }
    }

    var id: LZ4F_blockSizeID_t {
        switch self {
        case .max64KiB: LZ4F_max64KB
        case .max256KiB: LZ4F_max256KB
        case .max1MiB: LZ4F_max1MB
        case .max4MiB: LZ4F_max4MB
        }
    }
}

/// Frame parameters for ``compressLZ4Frame(_:options:)`` (a subset of `LZ4F_preferences_t`).
public struct LZ4FrameOptions: Hashable, Sendable {
    public var blockSize: LZ4FrameBlockSize
    /// Blocks that do not reference earlier blocks (`LZ4F_blockIndependent`).
    public var independentBlocks: Bool
    /// A 4-byte xxHash32 after every block (`LZ4F_blockChecksumEnabled`).
    public var blockChecksum: Bool
    /// A 4-byte xxHash32 of the whole content after the end mark (`LZ4F_contentChecksumEnabled`;
    /// the `lz4` CLI sets it by default).
    public var contentChecksum: Bool
    /// Store the uncompressed size in the frame header.
    public var recordContentSize: Bool
    /// liblz4 compression level: 0 is the fast default, 3…12 are LZ4HC.
    public var compressionLevel: Int32

    public init(
        blockSize: LZ4FrameBlockSize = .max64KiB,
        independentBlocks: Bool = false,
        blockChecksum: Bool = false,
        contentChecksum: Bool = true,
        recordContentSize: Bool = true,
        compressionLevel: Int32 = 0
    ) {
        self.blockSize = blockSize
        self.independentBlocks = independentBlocks
        self.blockChecksum = blockChecksum
        self.contentChecksum = contentChecksum
        self.recordContentSize = recordContentSize
        self.compressionLevel = compressionLevel
    }
}

/// Compresses `input` into one complete LZ4 frame (`LZ4F_compressFrame`), readable by
/// ``LZ4FrameReader`` and by `lz4 -d`.
///
/// Meant for tests and small fixtures: input and output are both held in memory.
/// - Parameters:
///   - input: the uncompressed bytes (may be empty: the frame then holds only header and end mark).
///   - options: frame parameters.
/// - Returns: the frame bytes.
/// - Throws: ``LZ4FrameError`` of kind ``LZ4FrameError/Kind/compress`` if liblz4 fails.
public func compressLZ4Frame(_ input: UnsafeRawBufferPointer, options: LZ4FrameOptions = .init())
    throws(LZ4FrameError) -> [UInt8]
{
    var preferences = LZ4F_preferences_t()
    preferences.frameInfo.blockSizeID = options.blockSize.id
    preferences.frameInfo.blockMode = options.independentBlocks ? LZ4F_blockIndependent : LZ4F_blockLinked
    preferences.frameInfo.blockChecksumFlag = options.blockChecksum ? LZ4F_blockChecksumEnabled : LZ4F_noBlockChecksum
    preferences.frameInfo.contentChecksumFlag =
        options.contentChecksum ? LZ4F_contentChecksumEnabled : LZ4F_noContentChecksum
    preferences.frameInfo.contentSize = options.recordContentSize ? UInt64(input.count) : 0
    preferences.compressionLevel = options.compressionLevel

    let bound = LZ4F_compressFrameBound(input.count, &preferences)
    if LZ4F_isError(bound) != 0 {
        throw LZ4FrameError(kind: .compress, path: "", offset: 0, name: String(cString: LZ4F_getErrorName(bound)))
    }
    var output = [UInt8](repeating: 0, count: bound)
    let written = output.withUnsafeMutableBytes { out in
        LZ4F_compressFrame(out.baseAddress, out.count, input.baseAddress, input.count, &preferences)
    }
    if LZ4F_isError(written) != 0 {
        throw LZ4FrameError(kind: .compress, path: "", offset: 0, name: String(cString: LZ4F_getErrorName(written)))
    }
    output.removeSubrange(written...)
    return output
}

/// Compresses an array into one LZ4 frame; see ``compressLZ4Frame(_:options:)``.
public func compressLZ4Frame(_ input: [UInt8], options: LZ4FrameOptions = .init()) throws(LZ4FrameError) -> [UInt8] {
    // withUnsafeBytes' closure is untyped-throws; keep the typed error outside it.
    let result: Result<[UInt8], LZ4FrameError> = input.withUnsafeBytes { bytes in
        do throws(LZ4FrameError) {
            return .success(try compressLZ4Frame(bytes, options: options))
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}
