/// Constants of Pika's physical binlog format (`include/pika_define.h`, every version v2.0–v4.0.1).
public enum BinlogConstants {
    /// Pika `kBlockSize`: binlog files are cut into blocks of 65 536 bytes.
    public static let blockSize = 65_536
    /// Pika `kHeaderSize`: every physical record starts with an 8-byte header.
    public static let headerSize = 8
    /// The largest payload a record can carry: a whole block minus one header.
    public static let maxRecordPayload = blockSize - headerSize
    /// Size of the v3.0–v4.0 item envelope (`PikaBinlogTransverter`).
    public static let itemHeaderSize = 34
}

/// The type byte of a physical record header.
public enum RecordType: UInt8, Sendable, CaseIterable {
    /// Pika `kZeroType` (0): never written on purpose; the byte of a zero-filled region.
    case zero = 0
    /// Pika `kFullType` (1): a whole item in one record.
    case full = 1
    /// Pika `kFirstType` (2): the first fragment of an item spanning blocks.
    case first = 2
    /// Pika `kMiddleType` (3): a middle fragment; always fills its block to the end.
    case middle = 3
    /// Pika `kLastType` (4): the last fragment.
    case last = 4
    /// Pika `kEof` (5): reader-internal, never valid on disk.
    case eof = 5
    /// Pika `kBadRecord` (6): padding written by `SetProducerStatus` on a slave after a full sync
    /// (v3.3.2+), payload of `*` bytes.
    case badRecord = 6
    /// Pika `kOldRecord` (7): reader-internal, never valid on disk.
    case oldRecord = 7
}

/// The 8-byte physical record header.
///
/// | byte | field |
/// |---|---|
/// | 0–2 | payload length, little-endian 24 bits |
/// | 3–6 | time, little-endian `uint32` unix seconds, taken per fragment |
/// | 7 | type (``RecordType``; other values are damage) |
///
/// Mirrors `Binlog::EmitPhysicalRecord` (OpenAtomFoundation/pika:src/pika_binlog.cc). No checksum.
public struct RecordHeader: Hashable, Sendable {
    public var length: Int
    public var time: UInt32
    public var rawType: UInt8

    public init(length: Int, time: UInt32, rawType: UInt8) {
        self.length = length
        self.time = time
        self.rawType = rawType
    }

    public var type: RecordType? { RecordType(rawValue: rawType) }

    /// Reads a header from 8 bytes at `offset` of `bytes`; the caller guarantees they exist.
    @inlinable
    public static func load(from bytes: UnsafeRawBufferPointer, at offset: Int) -> RecordHeader {
        let b = bytes.baseAddress!.advanced(by: offset)
        let word = UInt64(littleEndian: b.loadUnaligned(as: UInt64.self))
        return RecordHeader(
            length: Int(word & 0xFF_FFFF),
            time: UInt32(truncatingIfNeeded: word >> 24),
            rawType: UInt8(truncatingIfNeeded: word >> 56))
    }

    /// Writes the header into 8 bytes at `offset`.
    public func store(into bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        precondition(length >= 0 && length <= 0xFF_FFFF)
        let word = UInt64(length) | UInt64(time) << 24 | UInt64(rawType) << 56
        bytes.baseAddress!.advanced(by: offset).storeBytes(of: word.littleEndian, as: UInt64.self)
    }
}
