/// Writes Pika binlog files byte for byte as Pika's `Binlog` does, streaming to a ``BinlogOutput``.
///
/// Mirrors OpenAtomFoundation/pika:src/pika_binlog.cc (v3.5.0 – v4.0.1; the physical layer is the
/// same since v2.0):
///
/// | Pika | here |
/// |---|---|
/// | `Binlog::Put(const std::string&)` (v3.5.2+), `ConsensusCoordinator::ProposeLog` (v3.3–v3.5.1) | ``append(content:execTime:recordTimes:)``: header from the producer status |
/// | `Binlog::Put(const char*, int)` with a pre-encoded item (slave `InternalAppendBinlog`) | ``append(content:header:recordTimes:)``, ``appendPayload(_:recordTimes:)`` |
/// | `Binlog::Produce`, `EmitPhysicalRecord` | block framing: trailers, Full/First/Middle/Last |
/// | `Binlog::SetProducerStatus`, `AppendPadding` | ``init(output:binlogFileSize:producer:paddingTime:)`` with a non-zero offset |
/// | `Version::StableSave` | ``finish(manifestLogicID:manifestLayout:)`` |
///
/// Rules reproduced (Docs/Format.md §B4, §B5, §B6, §B10, §B8):
/// - A record never crosses a 64 KiB block. With 1–7 bytes left in a block, the next item first
///   writes that many zero bytes (the trailer); with exactly 8 left, it starts with a zero-length
///   First record there.
/// - Each `Put` first checks `file size > binlog-file-size` (strictly greater) and rolls to
///   `write2file<N+1>` if so. A master item's header is encoded *before* that check, so the first
///   item of a new file stores `(N, size of write2file<N>)`.
/// - After each `Put`, `pro_offset` is the end of the item and `logic_id` grows by one, whatever
///   the header says (a v3.5.0 slave's manifest counts its own puts while its items keep the
///   master's logic ids).
///
/// Header times are not read from a clock: every fragment's header time is supplied by the caller
/// (``BinlogItem/recordTimes`` from the decoder reproduces a file exactly).
///
/// Memory is flat: bytes are staged in one 1 MiB buffer and handed to the output.
/// Offsets are tracked in 64 bits here, while Pika's `Produce` keeps them in an `int`: a file past
/// 2 GiB (beyond `binlog-file-size` ≤ 1 GiB plus one item) is the one place the two would differ.
///
/// Usage: `var w = try BinlogWriter(output: out, binlogFileSize: 104_857_600)`, then `append…`
/// per item, then `try w.finish()`. A writer dropped without `finish()` abandons its output: no
/// `write2file*` is left behind.
public struct BinlogWriter: ~Copyable {
    /// Size of the staging buffer, in bytes (16 blocks).
    public static let stagingSize = 16 * BinlogConstants.blockSize
    /// The largest payload Pika's `Binlog::Put(const char*, int)` takes (`INT_MAX`).
    public static let maxPayloadByteCount = Int(Int32.max)

    /// Pika `binlog-file-size`, in bytes: a file rolls before an item once its size is *greater*.
    public let binlogFileSize: UInt64
    /// The producer status after the last item: `pro_num`, `pro_offset`, `logic_id`, `term`.
    public private(set) var producer: ProducerStatus
    /// Bytes physically written to the current file (Pika `queue_->Filesize()`). Equals
    /// `producer.offset` except after a `SetProducerStatus` offset of 4–7 (see
    /// ``effectivePaddingOffset(_:)``).
    public private(set) var fileSize: UInt64
    /// When set, written at item header offset 6 in place of the term by
    /// ``append(content:execTime:recordTimes:)``: a v3.0–v3.2 master writes `std::stoi(server-id)` there.
    public var serverID: UInt32? = nil

    /// Pika `block_offset_`: bytes used in the current 64 KiB block.
    private var blockOffset: Int
    private let output: any BinlogOutput
    private let staging: UnsafeMutableRawBufferPointer
    private var stagedCount = 0
    private var finished = false

    /// Starts a binlog as Pika's `Binlog` constructor (fresh) or `SetProducerStatus` does.
    ///
    /// With `producer.offset == 0` this opens an empty `write2file<producer.fileNumber>`. Otherwise
    /// it is `SetProducerStatus(num, P, term, logic_id)` of v3.3.2 – v4.0.1: the new file is filled
    /// with type-6 `kBadRecord` records of `*` up to P, each at most one block (Docs/Format.md §B10C), and the
    /// producer offset becomes ``effectivePaddingOffset(_:)`` of P.
    ///
    /// - Parameters:
    ///   - output: receives the files and the manifest.
    ///   - binlogFileSize: Pika's `binlog-file-size` in bytes, as in effect (see
    ///     ``effectiveBinlogFileSize(configured:)``); must be positive.
    ///   - producer: the status to start from. A v3.5/v4.0 slave after full sync passes
    ///     `(info filenum, info offset, 0, 0)`; a new binlog `(0, 0, 0, 0)`.
    ///   - paddingTime: the header time of every padding record, unix seconds (Pika reads the clock
    ///     once per `AppendPadding`).
    /// - Throws: ``BinlogWriteError`` from the output.
    public init(
        output: any BinlogOutput, binlogFileSize: UInt64, producer: ProducerStatus = ProducerStatus(),
        paddingTime: UInt32 = 0
    ) throws(BinlogWriteError) {
        precondition(binlogFileSize > 0, "binlog-file-size must be positive")
        self.output = output
        self.binlogFileSize = binlogFileSize
        self.producer = producer
        self.fileSize = 0
        self.blockOffset = 0
        staging = .allocate(byteCount: Self.stagingSize, alignment: 16)
        try output.beginFile(producer.fileNumber)
        if producer.offset != 0 {
            self.producer.offset = try appendPadding(producer.offset, time: paddingTime)
        }
    }

    deinit {
        if !finished { output.abandon() }
        staging.deallocate()
    }

    /// Pika's rule for the `binlog-file-size` setting (`PikaConf::Load`): values below 1024 or
    /// above 1 GiB fall back to 100 MiB.
    /// - Parameter configured: the value in `pika.conf`, in bytes.
    /// - Returns: the size Pika uses, in bytes.
    public static func effectiveBinlogFileSize(configured: Int64) -> UInt64 {
        if configured < 1024 || configured > 1024 * 1024 * 1024 { return 100 * 1024 * 1024 }
        return UInt64(configured)
    }

    // MARK: - Items

    /// Appends an item the way a Pika master does: the header is computed from the producer status.
    ///
    /// Header: type 1, `execTime`, the term (or ``serverID``), logic id = `producer.logicID + 1`,
    /// `(filenum, offset)` = the producer status before this item (before any roll or trailer),
    /// content length. Mirrors `Binlog::Put(const std::string&)` (v3.5.2+) and
    /// `ConsensusCoordinator::ProposeLog` (v3.3–v3.5.1).
    ///
    /// - Parameters:
    ///   - content: the RESP command, written as is.
    ///   - execTime: the header's exec time, unix seconds.
    ///   - recordTimes: the header time of each physical record, in order. Missing ones repeat the
    ///     last given; when empty, every record gets `execTime`.
    /// - Returns: where the item went, with the header written.
    /// - Throws: ``BinlogWriteError`` from the output, or `.itemTooLarge`.
    @discardableResult
    public mutating func append(
        content: UnsafeRawBufferPointer, execTime: UInt32,
        recordTimes: some RandomAccessCollection<UInt32> = EmptyCollection()
    ) throws(BinlogWriteError) -> WrittenItem {
        guard content.count <= Self.maxPayloadByteCount - BinlogConstants.itemHeaderSize else {
            throw .itemTooLarge(
                path: output.displayPath(of: producer.fileNumber),
                byteCount: content.count + BinlogConstants.itemHeaderSize, limit: Self.maxPayloadByteCount)
        }
        let header = ItemHeader(
            execTime: execTime, termOrServerID: serverID ?? producer.term, logicID: producer.logicID &+ 1,
            stored: producer.resumePoint, contentLength: UInt32(content.count))
        return try put(header: header, body: content, recordTimes: recordTimes, defaultTime: execTime)
    }

    /// Appends an item with a caller-supplied header, written verbatim: what a slave of
    /// v3.0 – v3.5.1 does with the master's item (`InternalAppendBinlog` re-encodes the master's
    /// exec time, term, logic id, filenum and offset).
    ///
    /// The producer's own `logic_id` still grows by one, as Pika's `Put` does.
    ///
    /// - Parameters:
    ///   - content: the RESP command.
    ///   - header: written as is; its `contentLength` must equal `content.count` (use
    ///     ``appendPayload(_:recordTimes:)`` for arbitrary bytes).
    ///   - recordTimes: as for ``append(content:execTime:recordTimes:)``; when empty, every record
    ///     gets `header.execTime`.
    /// - Throws: ``BinlogWriteError`` from the output, or `.itemTooLarge`.
    @discardableResult
    public mutating func append(
        content: UnsafeRawBufferPointer, header: ItemHeader,
        recordTimes: some RandomAccessCollection<UInt32> = EmptyCollection()
    ) throws(BinlogWriteError) -> WrittenItem {
        precondition(Int(header.contentLength) == content.count, "header.contentLength must match the content")
        guard content.count <= Self.maxPayloadByteCount - BinlogConstants.itemHeaderSize else {
            throw .itemTooLarge(
                path: output.displayPath(of: producer.fileNumber),
                byteCount: content.count + BinlogConstants.itemHeaderSize, limit: Self.maxPayloadByteCount)
        }
        return try put(header: header, body: content, recordTimes: recordTimes, defaultTime: header.execTime)
    }

    /// Appends `payload` as one item without adding anything: a pre-encoded item, a v2.x RESP item
    /// (eras E2a/E2b), or a padding item. Mirrors `Binlog::Put(const char*, int)`.
    ///
    /// - Parameters:
    ///   - payload: the whole item; may be empty (one zero-length Full record, as Pika v3.3.0–v3.3.5
    ///     wrote for a failed SETNX).
    ///   - recordTimes: the header time of each physical record; must not be empty. Missing ones
    ///     repeat the last.
    /// - Throws: ``BinlogWriteError`` from the output, or `.itemTooLarge`.
    @discardableResult
    public mutating func appendPayload(
        _ payload: UnsafeRawBufferPointer, recordTimes: some RandomAccessCollection<UInt32>
    ) throws(BinlogWriteError) -> WrittenItem {
        precondition(!recordTimes.isEmpty, "appendPayload needs at least one record time")
        guard payload.count <= Self.maxPayloadByteCount else {
            throw .itemTooLarge(
                path: output.displayPath(of: producer.fileNumber), byteCount: payload.count,
                limit: Self.maxPayloadByteCount)
        }
        return try put(header: nil, body: payload, recordTimes: recordTimes, defaultTime: 0)
    }

    /// `[UInt8]` form of ``append(content:execTime:recordTimes:)``.
    @discardableResult
    public mutating func append(
        content: [UInt8], execTime: UInt32, recordTimes: some RandomAccessCollection<UInt32> = EmptyCollection()
    ) throws(BinlogWriteError) -> WrittenItem {
        try withBytes(content) { (b) throws(BinlogWriteError) in
            try append(content: b, execTime: execTime, recordTimes: recordTimes)
        }
    }

    /// `[UInt8]` form of ``append(content:header:recordTimes:)``.
    @discardableResult
    public mutating func append(
        content: [UInt8], header: ItemHeader, recordTimes: some RandomAccessCollection<UInt32> = EmptyCollection()
    ) throws(BinlogWriteError) -> WrittenItem {
        try withBytes(content) { (b) throws(BinlogWriteError) in
            try append(content: b, header: header, recordTimes: recordTimes)
        }
    }

    /// `[UInt8]` form of ``appendPayload(_:recordTimes:)``.
    @discardableResult
    public mutating func appendPayload(
        _ payload: [UInt8], recordTimes: some RandomAccessCollection<UInt32>
    ) throws(BinlogWriteError) -> WrittenItem {
        try withBytes(payload) { (b) throws(BinlogWriteError) in
            try appendPayload(b, recordTimes: recordTimes)
        }
    }

    // MARK: - Finishing

    /// Flushes the last file, writes the manifest and commits the output.
    ///
    /// - Parameters:
    ///   - manifestLogicID: the manifest's `logic_id` when it must differ from the producer's count
    ///     (nil: `producer.logicID`, which is what Pika would write).
    ///   - manifestLayout: the manifest layout to write; v3.3 (Pika v3.3.0–v4.0.1) by default.
    /// - Returns: the status written to the manifest.
    /// - Throws: ``BinlogWriteError`` from the output; the output is then abandoned.
    @discardableResult
    public consuming func finish(
        manifestLogicID: UInt64? = nil, manifestLayout: ManifestLayout = .v3_3
    ) throws(BinlogWriteError) -> ProducerStatus {
        try flush()
        try output.endFile()
        var status = producer
        if let id = manifestLogicID { status.logicID = id }
        try withBytes(status.manifest(layout: manifestLayout).encoded(as: manifestLayout)) {
            (m) throws(BinlogWriteError) in
            try output.commit(manifest: m)
        }
        finished = true
        return status
    }

    // MARK: - Produce

    /// `Binlog::Put(const char*, int)`: roll check, `Produce`, then the producer status update.
    private mutating func put(
        header: ItemHeader?, body: UnsafeRawBufferPointer, recordTimes: some RandomAccessCollection<UInt32>,
        defaultTime: UInt32
    ) throws(BinlogWriteError) -> WrittenItem {
        let preceding = producer.resumePoint
        if fileSize > binlogFileSize { try roll() }

        var encodedHeader = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        let written = try withUnsafeMutableBytes(of: &encodedHeader) { (raw) throws(BinlogWriteError) in
            var prefix = UnsafeRawBufferPointer(start: raw.baseAddress, count: 0)
            if let header {
                header.store(into: raw)
                prefix = UnsafeRawBufferPointer(
                    rebasing: UnsafeRawBufferPointer(raw)[0..<BinlogConstants.itemHeaderSize])
            }
            return try produce(prefix: prefix, body: body, recordTimes: recordTimes, defaultTime: defaultTime)
        }
        producer.logicID &+= 1
        return WrittenItem(
            start: PhysicalPosition(fileNumber: producer.fileNumber, offset: written.start),
            end: PhysicalPosition(fileNumber: producer.fileNumber, offset: fileSize),
            fragmentCount: written.fragments, precedingStatus: preceding, header: header)
    }

    /// Closes the current file and starts `write2file<N+1>` (the roll in `Binlog::Put`).
    private mutating func roll() throws(BinlogWriteError) {
        try flush()
        try output.endFile()
        producer.fileNumber += 1
        producer.offset = 0
        fileSize = 0
        blockOffset = 0
        try output.beginFile(producer.fileNumber)
    }

    /// `Binlog::Produce`: cuts `prefix + body` into records. Updates the producer offset, the file
    /// size and the block offset. Returns the physical offset of the first record header.
    private mutating func produce(
        prefix: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer,
        recordTimes: some RandomAccessCollection<UInt32>, defaultTime: UInt32
    ) throws(BinlogWriteError) -> (start: UInt64, fragments: Int) {
        let headerSize = BinlogConstants.headerSize
        var proOffset = producer.offset
        var framing = ProduceFraming(blockOffset: blockOffset, payloadLength: prefix.count + body.count)
        var consumed = 0
        var fragment = 0
        var start: UInt64 = 0
        while let record = framing.next() {
            if record.trailerBytes > 0 {
                try stageZeros(record.trailerBytes)
                proOffset += UInt64(record.trailerBytes)
            }
            if fragment == 0 { start = fileSize }
            let length = record.length
            let time = Self.time(at: fragment, in: recordTimes, default: defaultTime)
            try stageHeader(RecordHeader(length: length, time: time, rawType: record.type.rawValue))
            // The fragment's bytes: the rest of the prefix, then the body.
            var need = length
            if consumed < prefix.count {
                let n = min(need, prefix.count - consumed)
                try stage(UnsafeRawBufferPointer(rebasing: prefix[consumed..<(consumed + n)]))
                consumed += n
                need -= n
            }
            if need > 0 {
                let from = consumed - prefix.count
                try stage(UnsafeRawBufferPointer(rebasing: body[from..<(from + need)]))
                consumed += need
            }
            proOffset += UInt64(headerSize + length)
            fragment += 1
        }
        blockOffset = framing.blockOffset
        producer.offset = proOffset
        return (start, fragment)
    }

    /// The header time of record `index`: the given one, the last given, or `fallback`.
    private static func time(
        at index: Int, in times: some RandomAccessCollection<UInt32>, default fallback: UInt32
    ) -> UInt32 {
        if times.isEmpty { return fallback }
        let i = min(index, times.count - 1)
        return times[times.index(times.startIndex, offsetBy: i)]
    }

    // MARK: - Staging

    /// Copies `bytes` to the staging buffer, handing full buffers to the output. Advances `fileSize`.
    mutating func stage(_ bytes: UnsafeRawBufferPointer) throws(BinlogWriteError) {
        var from = 0
        while from < bytes.count {
            if stagedCount == staging.count { try flush() }
            let n = min(bytes.count - from, staging.count - stagedCount)
            (staging.baseAddress! + stagedCount).copyMemory(from: bytes.baseAddress! + from, byteCount: n)
            stagedCount += n
            from += n
        }
        fileSize += UInt64(bytes.count)
    }

    /// Stages `count` bytes of `value`. Advances `fileSize`.
    mutating func stageRepeated(_ value: UInt8, count: Int) throws(BinlogWriteError) {
        var left = count
        while left > 0 {
            if stagedCount == staging.count { try flush() }
            let n = min(left, staging.count - stagedCount)
            (staging.baseAddress! + stagedCount).initializeMemory(as: UInt8.self, repeating: value, count: n)
            stagedCount += n
            left -= n
        }
        fileSize += UInt64(count)
    }

    private mutating func stageZeros(_ count: Int) throws(BinlogWriteError) {
        try stageRepeated(0, count: count)
    }

    /// Stages an 8-byte record header (`EmitPhysicalRecord`'s byte order). Advances `fileSize`.
    mutating func stageHeader(_ header: RecordHeader) throws(BinlogWriteError) {
        var word = (UInt64(0))
        try withUnsafeMutableBytes(of: &word) { (raw) throws(BinlogWriteError) in
            header.store(into: raw, at: 0)
            try stage(UnsafeRawBufferPointer(raw))
        }
    }

    /// Hands the staged bytes to the output.
    private mutating func flush() throws(BinlogWriteError) {
        guard stagedCount > 0 else { return }
        let n = stagedCount
        stagedCount = 0
        try output.write(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(staging)[0..<n]))
    }

    /// Sets the block offset from the file size (`Binlog::InitLogFile`).
    mutating func initLogFile() {
        blockOffset = Int(fileSize % UInt64(BinlogConstants.blockSize))
    }
}

/// Calls `body` with the bytes of `array`, keeping typed throws.
@inline(__always)
func withBytes<R>(
    _ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(BinlogWriteError) -> R
) throws(BinlogWriteError) -> R {
    let result: Result<R, BinlogWriteError> = array.withUnsafeBytes { b in
        do throws(BinlogWriteError) { return .success(try body(b)) } catch { return .failure(error) }
    }
    return try result.get()
}
