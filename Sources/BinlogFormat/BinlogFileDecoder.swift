/// Decodes one `write2file<N>` stream into ``BinlogRecord``s with flat memory.
///
/// Bytes are read in 1 MiB chunks (16 whole blocks) into one reused buffer. Because records never
/// cross a 64 KiB block boundary, no record ever straddles two chunks. Full records are handed out
/// as views into that buffer; multi-fragment items are joined in one reused buffer that grows only
/// to the largest item. Nothing is allocated per record.
///
/// Follows Pika's reader (`PikaBinlogReader::ReadPhysicalRecord`, Docs/Format.md §B5) where Pika is right
/// and goes further where Pika stops: a zero header is classified (preallocated tail, empty item,
/// or damage) and decoding goes on after damage at the next plausible record header.
///
/// By concern: this file reads chunks and drives the loop; `+Records` frames physical records,
/// `+Assembly` joins fragments and decides what a payload is, `+Damage` coalesces bad bytes into
/// ranges, `+Resync` finds where decoding resumes after them.
public struct BinlogFileDecoder: ~Copyable {
    public static let chunkSize = 16 * BinlogConstants.blockSize

    public let fileNumber: FileNumber
    let source: any ByteSource

    let chunk: UnsafeMutableRawBufferPointer
    /// File offset of `chunk[0]`.
    var chunkStart: UInt64
    var chunkCount = 0
    var cursor = 0
    var sourceDone = false

    var assembly: UnsafeMutableRawBufferPointer
    var assemblyCount = 0
    var arguments = ArgumentBuffer()

    // An item whose First fragment has been read and whose Last has not.
    var partialStart: UInt64? = nil
    var partialFragments = 0
    var partialFirstTime: UInt32 = 0
    /// Header time of every fragment of the current item (reused; grows to the most fragments).
    var fragmentTimes: UnsafeMutableBufferPointer<UInt32>

    // Damage not yet reported, merged while it stays contiguous.
    var damageStart: UInt64? = nil
    var damageEnd: UInt64 = 0
    var damageKind: Damage.Kind = .zeroRegion
    var damageEndsInZeros = false

    /// Records decided but not yet returned (damage found before an item, in order). Its
    /// capacity is reserved once; it never holds more than three records.
    var outbox: [BinlogRecord] = []
    var skippingLeadingFragments: Bool
    var finished = false

    /// A segment's end (``init(source:fileNumber:segmentStart:stop:)``): decoding ends there when
    /// the decoder reaches it between records with nothing pending.
    var stopOffset: UInt64? = nil
    /// Bytes of the first chunk before a segment's start (its block start is where reading began).
    var firstChunkSkip = 0
    /// The segment's end was not a clean record boundary: the records were decoded to the end of
    /// the file instead (what decoding the whole file gives from the segment's start on).
    public internal(set) var ranPastStop = false

    /// Block trailers seen (the 1–7 zero bytes Pika writes at a block end before the next record).
    public internal(set) var trailerCount = 0
    public internal(set) var trailerByteCount: UInt64 = 0
    /// Bytes read from the source so far.
    public var bytesConsumed: UInt64 { chunkStart + UInt64(cursor) }

    /// - Parameters:
    ///   - source: the file's bytes from offset `startOffset` on.
    ///   - fileNumber: the `N` of `write2file<N>`, used in every position.
    ///   - startOffset: where `source` begins in the file; rounded down to a block start by the
    ///     caller. Fragments at that block's start belonging to an earlier item are skipped silently.
    public init(source: any ByteSource, fileNumber: FileNumber, startOffset: UInt64 = 0) {
        precondition(startOffset % UInt64(BinlogConstants.blockSize) == 0, "start must be block-aligned")
        self.source = source
        self.fileNumber = fileNumber
        self.chunkStart = startOffset
        self.skippingLeadingFragments = startOffset != 0
        chunk = .allocate(byteCount: Self.chunkSize, alignment: 16)
        outbox.reserveCapacity(4)
        assembly = .allocate(byteCount: 2 * BinlogConstants.blockSize, alignment: 16)
        fragmentTimes = .allocate(capacity: 16)
    }

    /// Decodes one segment of a file: the records that begin at `start` or after and before
    /// `stop` (nil: to the end of the file), as decoding the whole file gives them.
    ///
    /// `start` must be 0 or a place where a decoder of the whole file stands between records with
    /// nothing pending (`BinlogSegmentPlan` proposes such places; the decoder of the segment before
    /// confirms each by reaching it so, else ``ranPastStop``). `source` holds the file's bytes
    /// from the block that contains `start` on.
    public init(source: any ByteSource, fileNumber: FileNumber, segmentStart start: UInt64, stop: UInt64?) {
        let block = UInt64(BinlogConstants.blockSize)
        self.init(source: source, fileNumber: fileNumber, startOffset: start - start % block)
        skippingLeadingFragments = false
        firstChunkSkip = Int(start % block)
        stopOffset = stop
    }

    deinit {
        fragmentTimes.deallocate()
        chunk.deallocate()
        assembly.deallocate()
    }

    // MARK: - Reading

    /// Refills the chunk when the cursor has reached its end. Returns false at the end of the file.
    mutating func ensureBytes() throws(BinlogIOError) -> Bool {
        if cursor < chunkCount { return true }
        if sourceDone { return false }
        chunkStart += UInt64(chunkCount)
        chunkCount = 0
        cursor = 0
        while chunkCount < chunk.count {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[chunkCount...]))
            if n == 0 { sourceDone = true; break }
            chunkCount += n
        }
        if firstChunkSkip > 0 {
            // A segment starting inside a block: the bytes before it belong to the segment before.
            cursor = min(firstChunkSkip, chunkCount)
            firstChunkSkip = 0
            return cursor < chunkCount
        }
        return chunkCount > 0
    }

    func position(_ fileOffset: UInt64) -> PhysicalPosition {
        PhysicalPosition(fileNumber: fileNumber, offset: fileOffset)
    }

    // MARK: - Decoding

    /// The next record, or nil at the end of the file.
    /// - Throws: only ``BinlogIOError`` (the bytes could not be read); bad bytes are `.damage`.
    public mutating func next() throws(BinlogIOError) -> BinlogRecord? {
        if !outbox.isEmpty { return outbox.removeFirst() }
        if finished { return nil }
        while true {
            if stopOffset != nil && reachedStop() { return nil }
            guard try ensureBytes() else { return finish() }
            if let record = try step() { return record }
        }
    }

    /// Whether decoding has reached the segment's end between records with nothing pending (then
    /// it is over); past it or with something pending, the end is dropped and decoding goes on.
    @inline(never)
    private mutating func reachedStop() -> Bool {
        let pos = chunkStart + UInt64(cursor)
        guard let stop = stopOffset, pos >= stop else { return false }
        if pos == stop && outbox.isEmpty && partialStart == nil && damageStart == nil && !skippingLeadingFragments {
            finished = true
            return true
        }
        stopOffset = nil
        ranPastStop = true
        return false
    }

    /// At the end of the file: an unfinished item and pending damage are reported.
    private mutating func finish() -> BinlogRecord? {
        finished = true
        if stopOffset != nil {
            // The file ended before the segment's end (it shrank since the plan was made).
            stopOffset = nil
            ranPastStop = true
        }
        let end = chunkStart + UInt64(chunkCount)
        abandonPartial(at: end)
        flushDamage()
        return outbox.isEmpty ? nil : outbox.removeFirst()
    }
}
