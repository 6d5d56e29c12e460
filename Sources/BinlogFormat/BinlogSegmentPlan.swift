/// Where binlog files can be cut so that their pieces are decoded at once on several threads
/// (`dump --jobs`): a piece, a *segment*, is the records that begin in `start ..< stop` of a file.
///
/// A proposed cut is the first Full or First record header at or after a block start, found by
/// following the headers of that block (a Last fragment ends an item begun before the block; a
/// Middle fragment fills its block). Only a proposal: the bytes may be damaged. The decoder of the
/// segment before confirms it by reaching the cut between records with nothing pending
/// (``BinlogFileDecoder/ranPastStop`` otherwise); there decoding the whole file stands in the
/// same state as a fresh decoder, so the segments together give exactly the records of one pass.
public struct BinlogSegment: Sendable, Equatable {
    /// Index of the file in the list planned.
    public var file: Int
    public var start: UInt64
    /// nil: to the end of the file.
    public var stop: UInt64?

    public init(file: Int, start: UInt64, stop: UInt64?) {
        self.file = file
        self.start = start
        self.stop = stop
    }
}

public enum BinlogSegmentPlan {
    /// Segments of about `bytes` each (a multiple of the block size) for every file, in order; a
    /// file that cannot be sought (compressed) or opened is one segment (its error comes when it
    /// is decoded).
    public static func segments(of files: [BinlogStream.File], bytes: UInt64) -> [BinlogSegment] {
        var plan: [BinlogSegment] = []
        for (index, file) in files.enumerated() {
            var starts: [UInt64] = [0]
            if let source = try? file.open(), let seekable = source as? any SeekableByteSource {
                starts = (try? cuts(in: seekable, bytes: bytes)) ?? [0]
            }
            for (k, start) in starts.enumerated() {
                plan.append(BinlogSegment(file: index, start: start, stop: k + 1 < starts.count ? starts[k + 1] : nil))
            }
        }
        return plan
    }

    /// The segment starts in one file: 0, then a proposed cut near every `bytes` after it (none
    /// in the last half segment of the file).
    public static func cuts(in source: any SeekableByteSource, bytes: UInt64) throws(BinlogIOError) -> [UInt64] {
        let block = UInt64(BinlogConstants.blockSize)
        precondition(bytes > 0 && bytes % block == 0, "segments are whole blocks")
        let size = try source.size()
        var starts: [UInt64] = [0]
        var e = bytes
        while e + bytes / 2 < size {
            if let cut = try cut(in: source, atBlock: e, size: size), cut > starts.last! {
                starts.append(cut)
            }
            e += bytes
        }
        return starts
    }

    /// The first Full or First record at or after the block start `blockStart`, following at most
    /// a few blocks of headers; nil when the headers there are not a writer's.
    static func cut(in source: any SeekableByteSource, atBlock blockStart: UInt64, size: UInt64) throws(BinlogIOError) -> UInt64? {
        let block = UInt64(BinlogConstants.blockSize)
        let headerSize = UInt64(BinlogConstants.headerSize)
        var pos = blockStart
        var header: UInt64 = 0
        for _ in 0..<64 {
            guard pos < blockStart + 4 * block, pos + headerSize <= size else { return nil }
            let left = block - pos % block
            if left < headerSize {
                pos += left  // a block trailer
                continue
            }
            try source.seek(to: pos)
            let got = try withUnsafeMutableBytes(of: &header) { buffer throws(BinlogIOError) in try readFully(source, into: buffer) }
            guard got == 8 else { return nil }
            let h = withUnsafeBytes(of: &header) { RecordHeader.load(from: $0, at: 0) }
            let room = Int(left - headerSize)
            switch h.rawType {
            case RecordType.full.rawValue where h.length > 0 && h.length <= room:
                return pos
            case RecordType.first.rawValue where h.length == room && left > headerSize:
                return pos
            case RecordType.last.rawValue where h.length > 0 && h.length <= room:
                pos += headerSize + UInt64(h.length)
            case RecordType.middle.rawValue where h.length == room:
                pos += left
            default:
                return nil
            }
        }
        return nil
    }

    private static func readFully(_ source: any ByteSource, into buffer: UnsafeMutableRawBufferPointer) throws(BinlogIOError) -> Int {
        var got = 0
        while got < buffer.count {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[got...]))
            if n == 0 { break }
            got += n
        }
        return got
    }
}
