/// Pika's `Binlog::Produce` framing (Docs/Format.md §B4): how an item's payload is cut into
/// records from a place in a block. Before each record, when fewer than 8 bytes are left in the
/// block, those bytes are a zero trailer and the record starts the next block; each record takes
/// as much of the payload as the block still holds (possibly none: a zero-length First in a
/// block's last 8 bytes).
///
/// The one statement of the framing: ``BinlogWriter`` writes by it, the analysis predicts
/// positions by it (``end(from:payloadLength:)``).
public struct ProduceFraming: IteratorProtocol, Sendable {
    /// One record of the item.
    public struct Fragment: Hashable, Sendable {
        /// Zero bytes written before the record to end the block (0–7).
        public var trailerBytes: Int
        /// The record's payload bytes.
        public var length: Int
        public var type: RecordType

        public init(trailerBytes: Int, length: Int, type: RecordType) {
            self.trailerBytes = trailerBytes
            self.length = length
            self.type = type
        }
    }

    /// Where in its block the next record starts (after the last fragment: where the next item starts).
    public private(set) var blockOffset: Int
    private var left: Int
    private var index = 0

    /// - Parameters:
    ///   - blockOffset: where in its block the item starts (the producer offset modulo 65 536).
    ///   - payloadLength: the item's bytes (34-byte header and content).
    public init(blockOffset: Int, payloadLength: Int) {
        self.blockOffset = blockOffset
        self.left = payloadLength
    }

    public mutating func next() -> Fragment? {
        guard index == 0 || left > 0 else { return nil }
        let block = BinlogConstants.blockSize
        let header = BinlogConstants.headerSize
        var trailer = 0
        if block - blockOffset < header {
            trailer = block - blockOffset
            blockOffset = 0
        }
        let length = min(left, block - blockOffset - header)
        let isLast = length == left
        let type: RecordType =
            switch (index == 0, isLast) {
            case (true, true): .full
            case (true, false): .first
            case (false, true): .last
            case (false, false): .middle
            }
        blockOffset += header + length
        left -= length
        index += 1
        return Fragment(trailerBytes: trailer, length: length, type: type)
    }

    /// The producer offset after an item of `payloadLength` bytes written from producer offset
    /// `start`: its trailers and one 8-byte header per record included.
    @inline(__always)
    public static func end(from start: UInt64, payloadLength: Int) -> UInt64 {
        let block = UInt64(BinlogConstants.blockSize)
        let header = UInt64(BinlogConstants.headerSize)
        // One record, no trailer: by far the most common case.
        let inBlock = start & (block - 1)
        if block - inBlock >= header && inBlock + header + UInt64(payloadLength) <= block {
            return start + header + UInt64(payloadLength)
        }
        var framing = ProduceFraming(blockOffset: Int(inBlock), payloadLength: payloadLength)
        var offset = start
        while let fragment = framing.next() {
            offset += UInt64(fragment.trailerBytes) + header + UInt64(fragment.length)
        }
        return offset
    }
}
