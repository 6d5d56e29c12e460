/// Decodes a sequence of binlog files in file-number order as one stream of records.
///
/// Files are opened one at a time, only when reached, and the decoder of a finished file is
/// released before the next opens, so memory stays that of one decoder.
public struct BinlogStream {
    /// One input file: its number and how to open it.
    public struct File {
        public var fileNumber: FileNumber
        public var open: () throws(BinlogIOError) -> any ByteSource

        public init(fileNumber: FileNumber, open: @escaping () throws(BinlogIOError) -> any ByteSource) {
            self.fileNumber = fileNumber
            self.open = open
        }
    }

    private let files: [File]
    private var index = 0
    /// Owns the (non-copyable) decoder of the current file, in memory of its own: the stream
    /// reaches it through ``decoder``, a plain pointer, so a record costs no reference counting
    /// and no run-time exclusivity check (each `next()` runs to completion; accesses never overlap).
    private final class Current {
        let decoder: UnsafeMutablePointer<BinlogFileDecoder>
        init(_ decoder: consuming BinlogFileDecoder) {
            self.decoder = .allocate(capacity: 1)
            self.decoder.initialize(to: decoder)
        }
        deinit {
            decoder.deinitialize(count: 1)
            decoder.deallocate()
        }
    }
    private var current: Current? = nil
    /// `current?.decoder`, valid while `current` holds it.
    private var decoder: UnsafeMutablePointer<BinlogFileDecoder>? = nil
    private let start: PhysicalPosition?

    /// With `jobs > 1`: the files decoded on worker threads (`BinlogStream+DecodeAhead.swift`).
    private var ahead: DecodeAhead? = nil

    /// Trailer totals of the files finished so far plus the current one.
    public var trailerCount: Int {
        if let ahead { return ahead.finishedTrailers + ahead.currentTrailers }
        return finishedTrailers + (decoder?.pointee.trailerCount ?? 0)
    }
    public var trailerByteCount: UInt64 {
        if let ahead { return ahead.finishedTrailerBytes + ahead.currentTrailerBytes }
        return finishedTrailerBytes + (decoder?.pointee.trailerByteCount ?? 0)
    }
    private var finishedTrailers = 0
    private var finishedTrailerBytes: UInt64 = 0

    /// Bytes decoded in files already finished, plus the current file's progress.
    public var bytesConsumed: UInt64 {
        if let ahead { return ahead.finishedBytes + ahead.currentBytes }
        return finishedBytes + (decoder?.pointee.bytesConsumed ?? currentStartOffset) - currentStartOffset
    }
    private var finishedBytes: UInt64 = 0
    private var currentStartOffset: UInt64 = 0

    /// The file number of the file being decoded (or last decoded).
    public var currentFileNumber: FileNumber? {
        if let ahead { return ahead.currentFileNumber }
        return index < files.count ? files[index].fileNumber : files.last?.fileNumber
    }

    /// - Parameters:
    ///   - files: the inputs, in the order to decode (normally by file number).
    ///   - start: skip files before `start.fileNumber` and, in that file, begin at the block that
    ///     holds `start.offset` (records that begin before `start` are still returned; filter them).
    ///   - jobs: above 1, up to this many files are decoded at once on worker threads while the
    ///     caller consumes the records (the same records, in the same order); an item's bytes then
    ///     stay valid a little longer than the next `next()`.
    public init(files: [File], start: PhysicalPosition? = nil, jobs: Int = 1) {
        self.init(files: files, start: start, decodeWorkers: jobs > 1 ? jobs : 0)
    }

    /// - Parameters:
    ///   - files, start: as in ``init(files:start:jobs:)``.
    ///   - decodeWorkers: threads decoding files ahead of the caller, up to this many files at
    ///     once (the same records, in the same order); 0: the caller's thread decodes. One worker
    ///     suits a caller with work of its own per record on a 2-core machine: the decoding moves
    ///     to the other core.
    public init(files: [File], start: PhysicalPosition? = nil, decodeWorkers: Int) {
        if let start {
            self.files = files.filter { $0.fileNumber >= start.fileNumber }
        } else {
            self.files = files
        }
        self.start = start
        if decodeWorkers > 0 && !self.files.isEmpty {
            ahead = DecodeAhead(files: self.files, start: start, jobs: decodeWorkers)
        }
    }

    /// The next record of any file, or nil after the last file.
    public mutating func next() throws(BinlogIOError) -> BinlogRecord? {
        if let ahead { return try ahead.next() }
        while index < files.count {
            if decoder == nil { try openCurrent() }
            if let record = try decoder.unsafelyUnwrapped.pointee.next() { return record }
            finishCurrent()
        }
        return nil
    }

    /// Opens `files[index]` (seeking to the start position's block in its file).
    @inline(never)
    private mutating func openCurrent() throws(BinlogIOError) {
        let file = files[index]
        let source = try file.open()
        var offset: UInt64 = 0
        if let start, start.fileNumber == file.fileNumber {
            offset = start.offset - start.offset % UInt64(BinlogConstants.blockSize)
            if offset > 0 {
                if let seekable = source as? any SeekableByteSource {
                    try seekable.seek(to: offset)
                } else {
                    try discard(offset, from: source)
                }
            }
        }
        currentStartOffset = offset
        let box = Current(BinlogFileDecoder(source: source, fileNumber: file.fileNumber, startOffset: offset))
        current = box
        decoder = box.decoder
    }

    /// Adds the finished file's totals and releases its decoder.
    @inline(never)
    private mutating func finishCurrent() {
        let d = decoder.unsafelyUnwrapped
        finishedTrailers += d.pointee.trailerCount
        finishedTrailerBytes += d.pointee.trailerByteCount
        finishedBytes += d.pointee.bytesConsumed - currentStartOffset
        currentStartOffset = 0
        decoder = nil
        current = nil
        index += 1
    }

    private func discard(_ count: UInt64, from source: any ByteSource) throws(BinlogIOError) {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { scratch.deallocate() }
        var left = count
        while left > 0 {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<Int(min(left, UInt64(scratch.count)))]))
            if n == 0 { return }
            left -= UInt64(n)
        }
    }
}
