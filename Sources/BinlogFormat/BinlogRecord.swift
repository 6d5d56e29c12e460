/// What the decoder yields: an item, a padding region, or damaged bytes. Damage is data, not an
/// error: decoding goes on after it.
public enum BinlogRecord {
    case item(BinlogItem)
    case padding(PaddingRegion)
    case damage(Damage)

    /// The first byte the record covers.
    public var start: PhysicalPosition {
        switch self {
        case .item(let i): i.start
        case .padding(let p): p.start
        case .damage(let d): d.start
        }
    }

    /// The byte after the record.
    public var end: PhysicalPosition {
        switch self {
        case .item(let i): i.end
        case .padding(let p): p.end
        case .damage(let d): d.end
        }
    }
}

/// One logical binlog item, borrowed from the decoder: `payload` and `command` stay valid only
/// until the decoder's next call. Everything else is a value.
///
/// Stored packed (counts as `UInt32`, positions and header fields side by side) so that a record
/// fits in 128 bytes: records are handed through several calls per item, and at that size each
/// hand-over is a few register moves instead of a `memcpy` call. The properties read and write
/// the packed fields; counts above `UInt32.max` (never produced: Pika items are < 2 GiB) trap.
public struct BinlogItem {
    @usableFromInline var _startOffset: UInt64
    @usableFromInline var _endOffset: UInt64
    @usableFromInline var _logicID: UInt64
    @usableFromInline var _storedOffset: UInt64
    @usableFromInline var _recordTimes: UnsafePointer<UInt32>?
    @usableFromInline var _payload: UnsafeRawPointer?
    @usableFromInline var _commandBytes: UnsafeRawPointer?
    @usableFromInline var _ranges: UnsafePointer<ArgumentRange>?
    @usableFromInline var _startFile: FileNumber
    @usableFromInline var _endFile: FileNumber
    @usableFromInline var _firstRecordTime: UInt32
    @usableFromInline var _lastRecordTime: UInt32
    @usableFromInline var _fragmentCount: UInt32
    @usableFromInline var _recordTimesCount: UInt32
    @usableFromInline var _payloadCount: UInt32
    @usableFromInline var _commandBytesCount: UInt32
    @usableFromInline var _rangesCount: UInt32
    @usableFromInline var _execTime: UInt32
    @usableFromInline var _termOrServerID: UInt32
    @usableFromInline var _storedFile: FileNumber
    @usableFromInline var _contentLength: UInt32
    @usableFromInline var _headerType: UInt16
    @usableFromInline var _envelope: ItemEnvelope

    @inline(__always)
    init(
        start: PhysicalPosition, end: PhysicalPosition, fragmentCount: Int, firstRecordTime: UInt32,
        lastRecordTime: UInt32, recordTimes: UnsafeBufferPointer<UInt32>, envelope: ItemEnvelope, header: ItemHeader,
        payload: UnsafeRawBufferPointer, command: RESPCommand
    ) {
        _startOffset = start.offset
        _endOffset = end.offset
        _logicID = header.logicID
        _storedOffset = header.stored.offset
        _recordTimes = recordTimes.baseAddress
        _payload = payload.baseAddress
        _commandBytes = command.bytes.baseAddress
        _ranges = command.ranges.baseAddress
        _startFile = start.fileNumber
        _endFile = end.fileNumber
        _firstRecordTime = firstRecordTime
        _lastRecordTime = lastRecordTime
        _fragmentCount = UInt32(fragmentCount)
        _recordTimesCount = UInt32(recordTimes.count)
        _payloadCount = UInt32(payload.count)
        _commandBytesCount = UInt32(command.bytes.count)
        _rangesCount = UInt32(command.ranges.count)
        _execTime = header.execTime
        _termOrServerID = header.termOrServerID
        _storedFile = header.stored.fileNumber
        _contentLength = header.contentLength
        _headerType = header.type
        _envelope = envelope
    }

    /// Where its first record header is.
    public var start: PhysicalPosition {
        @inlinable get { PhysicalPosition(fileNumber: _startFile, offset: _startOffset) }
        @inlinable set {
            _startFile = newValue.fileNumber
            _startOffset = newValue.offset
        }
    }
    /// The byte after its last fragment; as a resume point, ``endResumePoint``.
    public var end: PhysicalPosition {
        @inlinable get { PhysicalPosition(fileNumber: _endFile, offset: _endOffset) }
        @inlinable set {
            _endFile = newValue.fileNumber
            _endOffset = newValue.offset
        }
    }
    /// Number of physical records (1 for a Full record).
    public var fragmentCount: Int {
        @inlinable get { Int(_fragmentCount) }
        @inlinable set { _fragmentCount = UInt32(newValue) }
    }
    /// Header time of the first and the last fragment (they can differ by a second tick).
    public var firstRecordTime: UInt32 {
        @inlinable get { _firstRecordTime }
        @inlinable set { _firstRecordTime = newValue }
    }
    public var lastRecordTime: UInt32 {
        @inlinable get { _lastRecordTime }
        @inlinable set { _lastRecordTime = newValue }
    }
    /// The header time of every fragment, in order (borrowed, like `payload`).
    public var recordTimes: UnsafeBufferPointer<UInt32> {
        @inlinable get { UnsafeBufferPointer(start: _recordTimes, count: Int(_recordTimesCount)) }
        @inlinable set {
            _recordTimes = newValue.baseAddress
            _recordTimesCount = UInt32(newValue.count)
        }
    }
    public var envelope: ItemEnvelope {
        @inlinable get { _envelope }
        @inlinable set { _envelope = newValue }
    }
    /// The 34-byte header for ``ItemEnvelope/pikaItem``; for E2b the binlog-info values (server id
    /// in `termOrServerID`, logic id 0); all zero for E2a.
    public var header: ItemHeader {
        @inlinable get {
            ItemHeader(
                type: _headerType, execTime: _execTime, termOrServerID: _termOrServerID, logicID: _logicID,
                stored: ResumePoint(fileNumber: _storedFile, offset: _storedOffset), contentLength: _contentLength)
        }
        @inlinable set {
            _headerType = newValue.type
            _execTime = newValue.execTime
            _termOrServerID = newValue.termOrServerID
            _logicID = newValue.logicID
            _storedFile = newValue.stored.fileNumber
            _storedOffset = newValue.stored.offset
            _contentLength = newValue.contentLength
        }
    }
    /// The whole reassembled payload: envelope and content.
    public var payload: UnsafeRawBufferPointer {
        @inlinable get { UnsafeRawBufferPointer(start: _payload, count: Int(_payloadCount)) }
        @inlinable set {
            _payload = newValue.baseAddress
            _payloadCount = UInt32(newValue.count)
        }
    }
    /// The command, parsed from the RESP content.
    public var command: RESPCommand {
        @inlinable get {
            RESPCommand(
                bytes: UnsafeRawBufferPointer(start: _commandBytes, count: Int(_commandBytesCount)),
                ranges: UnsafeBufferPointer(start: _ranges, count: Int(_rangesCount)))
        }
        @inlinable set {
            _commandBytes = newValue.bytes.baseAddress
            _commandBytesCount = UInt32(newValue.bytes.count)
            _ranges = newValue.ranges.baseAddress
            _rangesCount = UInt32(newValue.ranges.count)
        }
    }

    /// The resume point after this item: what a manifest, an `info` file or an ack holds once this
    /// item is included.
    public var endResumePoint: ResumePoint { ResumePoint(after: end) }

    /// The RESP content (the payload after the envelope).
    public var content: UnsafeRawBufferPointer { command.bytes }
}

/// Bytes that are not a command, written on purpose (or by preallocation), never to be replayed.
public struct PaddingRegion: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// Type-6 `kBadRecord` records of `*` bytes: slave after a full sync, v3.3.2–v4.0.1 (Docs/Format.md §B10C).
        case badRecord = "bad-record"
        /// A padding item (`*2 padding ***`) in a Full record: slave after a full sync,
        /// v3.0.10–v3.3.1 (Docs/Format.md §B10B).
        case paddingItem = "padding-item"
        /// Header-less blocks of spaces, and the Full record of spaces after them: slave after a
        /// full sync, v2.0–v3.0.9 and v3.1.0 (Docs/Format.md §B10A).
        case blank = "blank"
        /// An 8-byte Full record with no payload: a failed SETNX in v3.3.0–v3.3.5 (Docs/Format.md §B13). Pika's
        /// own reader stops here; this one goes on.
        case emptyItem = "empty-item"
        /// Zeros from here to the end of the file: mmap preallocation of the live file, left by a
        /// crash or a running server (Docs/Format.md §B12).
        case zeroTail = "zero-tail"
    }
    public var kind: Kind
    public var start: PhysicalPosition
    public var end: PhysicalPosition

    public init(kind: Kind, start: PhysicalPosition, end: PhysicalPosition) {
        self.kind = kind
        self.start = start
        self.end = end
    }

    public var byteCount: UInt64 { end.offset - start.offset }
}

/// A range of bytes that could not be decoded, with the reason.
public struct Damage: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// A record whose length runs past its block (or above 65 528).
        case lengthBeyondBlock(length: Int)
        /// A record type that is never written (0 with a length, 5, 7, 8–255).
        case impossibleType(UInt8)
        /// A First or Middle fragment that does not run to the end of its block.
        case fragmentShort(RecordType)
        /// A Middle or Last fragment with no First before it.
        case orphanFragment(RecordType)
        /// A First/Middle run cut off by another record, or by the end of the file.
        case interruptedItem(fragments: Int)
        /// Zero bytes where a record header should be, not reaching the end of the file.
        case zeroRegion
        /// Fewer than 8 bytes left in the file where a header should be.
        case truncatedHeader
        /// A record whose payload runs past the end of the file.
        case truncatedRecord(length: Int)
        /// Non-zero bytes in a block trailer (the last 1–8 bytes of a block).
        case dirtyTrailer
        /// A type-6 (`kBadRecord`) padding record holding bytes other than `*` (Docs/Format.md §B10C): a
        /// damaged type or length.
        case badPadding
        /// A reassembled item that is neither a 34-byte envelope nor RESP.
        case badEnvelope(String)
        /// An item whose envelope is fine but whose RESP content does not parse.
        case badRESP(RESPError, logicID: UInt64)
    }

    public var kind: Kind
    public var start: PhysicalPosition
    public var length: UInt64
    /// The damaged item is framed whole but its bytes end in zeros: a write that had not finished
    /// when the file was read or the server stopped (Pika's live file is zero-filled ahead).
    public var endsInZeros: Bool

    public init(kind: Kind, start: PhysicalPosition, length: UInt64, endsInZeros: Bool = false) {
        self.kind = kind
        self.start = start
        self.length = length
        self.endsInZeros = endsInZeros
    }

    public var end: PhysicalPosition {
        PhysicalPosition(fileNumber: start.fileNumber, offset: start.offset + length)
    }

    /// One line an operator understands.
    public var reason: String {
        switch kind {
        case .lengthBeyondBlock(let n): "record length \(n) runs past the end of its 64 KiB block"
        case .impossibleType(let t): "record type \(t) is never written by Pika"
        case .fragmentShort(let t): "\(t) fragment does not reach the end of its block"
        case .orphanFragment(let t): "\(t) fragment without a First fragment before it"
        case .interruptedItem(let n): "item cut off after \(n) fragment(s): not committed (crash or overwrite)"
        case .zeroRegion: "zero bytes where a record header should be"
        case .truncatedHeader: "file ends inside a record header"
        case .truncatedRecord(let n): "file ends inside a record of length \(n)"
        case .dirtyTrailer: "non-zero bytes in a block trailer"
        case .badPadding: "type-6 padding record holds bytes other than '*' (damaged type or length)"
        case .badEnvelope(let why): "item is not a Pika item: \(why)"
        case .badRESP(let e, let id): "item logic id \(id): \(e)"
        }
    }

    public var description: String { "\(start) +\(length): \(reason)" }
}
