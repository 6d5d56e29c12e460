/// Pika's binlog positions, kept apart by type so that an item's *start* can never be passed where
/// a *resume point* is meant (Docs/Format.md §B8).
///
/// | type | points at |
/// |---|---|
/// | ``PhysicalPosition`` | a byte in a `write2file<N>` file: where a record header really is |
/// | ``ResumePoint`` | the end of the last included item: manifest `pro_offset`, bgsave `info` offset, the `(filenum, offset)` stored in the *next* item's header, TrySync and ack offsets |
///
/// The two coincide for most items, but not after a block trailer (the next header is at the next
/// block start) nor after a file roll (the first item of `write2file<N+1>` stores `(N, size of N)`).

/// A binlog file number: the `N` of `write2file<N>` (Pika keeps it in a `uint32`).
public typealias FileNumber = UInt32

/// A byte position inside one binlog file.
public struct PhysicalPosition: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The `N` of `write2file<N>`.
    public var fileNumber: FileNumber
    /// Bytes from the start of that file.
    public var offset: UInt64

    @inlinable
    public init(fileNumber: FileNumber, offset: UInt64) {
        self.fileNumber = fileNumber
        self.offset = offset
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.fileNumber, a.offset) < (b.fileNumber, b.offset)
    }

    /// `filenum:offset`, the notation the CLI accepts and prints.
    public var description: String { "\(fileNumber):\(offset)" }
}

/// A resume point in Pika's sense: the end of the last item a node has, and so the stored
/// `(filenum, offset)` of the next item to send.
///
/// The next item's header is at the same place, or at the next block start when fewer than 8 bytes
/// remain in the block, or at `(fileNumber + 1):0` when the point is the end of a rolled file.
public struct ResumePoint: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var fileNumber: FileNumber
    public var offset: UInt64

    @inlinable
    public init(fileNumber: FileNumber, offset: UInt64) {
        self.fileNumber = fileNumber
        self.offset = offset
    }

    /// The resume point reached after an item that ends at `end`.
    public init(after end: PhysicalPosition) {
        self.init(fileNumber: end.fileNumber, offset: end.offset)
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.fileNumber, a.offset) < (b.fileNumber, b.offset)
    }

    public var description: String { "\(fileNumber):\(offset)" }

    /// Where the header of the item that resumes here is, in the same file, assuming no roll:
    /// the point itself, or the next block start when it falls into a block trailer.
    public var headerPositionWithoutRoll: PhysicalPosition {
        let inBlock = offset % UInt64(BinlogConstants.blockSize)
        let left = UInt64(BinlogConstants.blockSize) - inBlock
        if inBlock != 0 && left < UInt64(BinlogConstants.headerSize) {
            return PhysicalPosition(fileNumber: fileNumber, offset: offset + left)
        }
        return PhysicalPosition(fileNumber: fileNumber, offset: offset)
    }
}

/// Parses `FILENUM:OFFSET` (both decimal) as used on the command line and in reports.
public func parseFileOffsetPair(_ text: some StringProtocol) -> (FileNumber, UInt64)? {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, let file = FileNumber(parts[0]), let offset = UInt64(parts[1]) else { return nil }
    return (file, offset)
}
