/// The consensus `context` file next to the manifest (Docs/Format.md §M2): the
/// *applied* position, which a consensus-mode bgsave uses instead of the producer offset.
///
/// Written by `Context::StableSave` (`src/pika_consensus.cc@v3.5.2`) into a 64 KiB mmapped file,
/// host byte order (little-endian), zero past the fields. Pika v3.3.x creates it only when
/// `consensus-level != 0`, so its presence is a version and configuration clue.
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | u32 | applied filenum |
/// | 4 | u64 | applied offset |
/// | 12 | u32 | applied term |
/// | 16 | u64 | applied index (logic id) |
public struct ConsensusContext: Hashable, Sendable {
    /// The file name Pika uses, in the binlog directory.
    public static let fileName = "context"
    /// Pika's on-disk size: 65536 bytes.
    public static let byteCount = 65536
    /// Bytes the fields occupy.
    public static let fieldByteCount = 24

    /// Applied `(filenum, offset)`: the end of the last applied item.
    public var applied: ResumePoint
    /// Applied term.
    public var appliedTerm: UInt32
    /// Applied index (the logic id of the last applied item).
    public var appliedIndex: UInt64

    public init(applied: ResumePoint, appliedTerm: UInt32, appliedIndex: UInt64) {
        self.applied = applied
        self.appliedTerm = appliedTerm
        self.appliedIndex = appliedIndex
    }

    /// Decodes the fields from the start of a `context` file.
    /// - Returns: `nil` when `bytes` is shorter than ``fieldByteCount`` (24).
    public static func decode(_ bytes: [UInt8]) -> ConsensusContext? {
        guard bytes.count >= fieldByteCount else { return nil }
        return ConsensusContext(
            applied: ResumePoint(fileNumber: bytes.metadataUInt32(at: 0), offset: bytes.metadataUInt64(at: 4)),
            appliedTerm: bytes.metadataUInt32(at: 12),
            appliedIndex: bytes.metadataUInt64(at: 16))
    }

    /// The 65536-byte file Pika writes: the fields, then zeros.
    public func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.byteCount)
        bytes.setMetadataField(applied.fileNumber, at: 0)
        bytes.setMetadataField(applied.offset, at: 4)
        bytes.setMetadataField(appliedTerm, at: 12)
        bytes.setMetadataField(appliedIndex, at: 16)
        return bytes
    }

    /// Reads and decodes a `context` file.
    /// - Throws: ``MetadataFileError``: `.io` when unreadable, `.tooShort` (path, size) when
    ///   smaller than 24 bytes.
    public static func read(path: String) throws(MetadataFileError) -> ConsensusContext {
        let (bytes, byteCount): ([UInt8], UInt64)
        do {
            (bytes, byteCount) = try FileSystemAccess.readPrefix(of: path, maxByteCount: fieldByteCount)
        } catch {
            throw .io(error)
        }
        guard let context = decode(bytes) else {
            throw .tooShort(path: path, byteCount: byteCount, required: fieldByteCount, what: "context")
        }
        return context
    }
}
