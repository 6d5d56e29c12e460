/// The 34-byte envelope in front of every item's RESP content, v3.0.0–v4.0.1
/// (`PikaBinlogTransverter::BinlogEncode`, OpenAtomFoundation/pika:src/pika_binlog_transverter.cc).
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | u16 | type, always 1 (`TypeFirst`) |
/// | 2 | u32 | exec_time, unix seconds |
/// | 6 | u32 | server id (v3.0–v3.2) or term (v3.3+) |
/// | 10 | u64 | logic id |
/// | 18 | u32 | filenum of the resume point before the item |
/// | 22 | u64 | offset of the resume point before the item |
/// | 30 | u32 | content length |
///
/// All little-endian. Pika's decoder accepts an item only if type is 1 and the content length
/// equals the bytes that follow exactly.
public struct ItemHeader: Hashable, Sendable {
    public var type: UInt16
    public var execTime: UInt32
    /// The server id in E3.0–E3.1 (v3.0–v3.2), the term from v3.3 on.
    public var termOrServerID: UInt32
    public var logicID: UInt64
    /// Where the item says it belongs: the end of the item before it (Docs/Format.md §B8).
    public var stored: ResumePoint
    public var contentLength: UInt32

    @inlinable
    public init(
        type: UInt16 = 1, execTime: UInt32, termOrServerID: UInt32, logicID: UInt64,
        stored: ResumePoint, contentLength: UInt32
    ) {
        self.type = type
        self.execTime = execTime
        self.termOrServerID = termOrServerID
        self.logicID = logicID
        self.stored = stored
        self.contentLength = contentLength
    }

    /// The byte offset of each field (the table above): the one place the layout is written.
    enum Field {
        static let type = 0
        static let execTime = 2
        static let termOrServerID = 6
        static let logicID = 10
        static let storedFileNumber = 18
        static let storedOffset = 22
        static let contentLength = 30
    }

    /// Reads the 34 bytes at the start of `bytes`; the caller guarantees they exist.
    @inline(__always)
    public static func load(from bytes: UnsafeRawBufferPointer) -> ItemHeader {
        let b = bytes.baseAddress!
        return ItemHeader(
            type: UInt16(littleEndian: b.loadUnaligned(fromByteOffset: Field.type, as: UInt16.self)),
            execTime: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: Field.execTime, as: UInt32.self)),
            termOrServerID: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: Field.termOrServerID, as: UInt32.self)),
            logicID: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: Field.logicID, as: UInt64.self)),
            stored: ResumePoint(
                fileNumber: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: Field.storedFileNumber, as: UInt32.self)),
                offset: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: Field.storedOffset, as: UInt64.self))),
            contentLength: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: Field.contentLength, as: UInt32.self)))
    }

    /// Writes the 34 little-endian bytes at the start of `bytes` (at least 34 bytes long)
    /// (`PikaBinlogTransverter::BinlogEncode`).
    func store(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= BinlogConstants.itemHeaderSize)
        bytes.storeBytes(of: type.littleEndian, toByteOffset: Field.type, as: UInt16.self)
        bytes.storeBytes(of: execTime.littleEndian, toByteOffset: Field.execTime, as: UInt32.self)
        bytes.storeBytes(of: termOrServerID.littleEndian, toByteOffset: Field.termOrServerID, as: UInt32.self)
        bytes.storeBytes(of: logicID.littleEndian, toByteOffset: Field.logicID, as: UInt64.self)
        bytes.storeBytes(of: stored.fileNumber.littleEndian, toByteOffset: Field.storedFileNumber, as: UInt32.self)
        bytes.storeBytes(of: stored.offset.littleEndian, toByteOffset: Field.storedOffset, as: UInt64.self)
        bytes.storeBytes(of: contentLength.littleEndian, toByteOffset: Field.contentLength, as: UInt32.self)
    }

    /// Appends the 34 encoded bytes to `out`.
    public func append(to out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: BinlogConstants.itemHeaderSize))
        out.withUnsafeMutableBytes { store(into: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
    }
}

/// How an item's payload is framed. The physical layer is the same in every version.
public enum ItemEnvelope: String, Hashable, Sendable {
    /// v3.0.0–v4.0.1: the 34-byte ``ItemHeader`` then RESP.
    case pikaItem = "pika-item"
    /// v2.3.x (era E2b): RESP with four affiliated arguments appended: the magic
    /// `__PIKA_X#$SKGI`, the server id, 16 bytes of binlog info (or empty on slaves), a hub flag.
    case affiliatedRESP = "affiliated-resp"
    /// v2.0–v2.2 (era E2a): bare RESP, no metadata.
    case bareRESP = "bare-resp"
}

/// Pika's binlog eras (Docs/Format.md §B1). The 34-byte layout is the same
/// from E3.0 to E4; what differs is who fills the fields, the directory layout and replication.
public enum BinlogEra: String, Hashable, Sendable, CaseIterable {
    case e2a = "E2a"
    case e2b = "E2b"
    case e30 = "E3.0"
    case e31 = "E3.1"
    case e33 = "E3.3"
    case e35 = "E3.5"
    case e4 = "E4"

    /// The release tags the era covers.
    public var versions: String {
        switch self {
        case .e2a: "v2.0.0–v2.2.6"
        case .e2b: "v2.3.0–v2.3.8"
        case .e30: "v3.0.0–v3.0.16"
        case .e31: "v3.1.0–v3.2.9"
        case .e33: "v3.3.0–v3.4.x"
        case .e35: "v3.5.0–v3.5.5"
        case .e4: "v4.0.0–v4.0.1"
        }
    }

    /// What the header field at offset 6 means in this era.
    public var headerField6: String {
        switch self {
        case .e2a, .e2b: "none"
        case .e30, .e31: "server id"
        case .e33, .e35, .e4: "term"
        }
    }
}

/// The magic that marks E2b affiliated arguments (`kPikaBinlogMagic`).
let affiliatedMagic: [UInt8] = Array("__PIKA_X#$SKGI".utf8)
/// The RESP prefix of a padding item's content (Docs/Format.md §B9).
let paddingContentPrefix: [UInt8] = Array("*2\r\n$7\r\npadding\r\n".utf8)
