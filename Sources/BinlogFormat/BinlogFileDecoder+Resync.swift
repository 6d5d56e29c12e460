/// After damage: zero regions, blank blocks, and finding the next plausible record header to
/// resume decoding at. Also the byte helpers the decoder shares.
extension BinlogFileDecoder {
    /// Handles an all-zero header at `pos`: a preallocated tail to the end of the file, or a zero
    /// region in the middle (damage, then resynchronise).
    mutating func handleZeros(at pos: UInt64) throws(BinlogIOError) -> BinlogRecord? {
        abandonPartial(at: pos)
        // Find the first non-zero byte, refilling as needed.
        while true {
            let bytes = UnsafeRawBufferPointer(chunk)
            var i = cursor
            let end = chunkCount
            // Word at a time, then bytes.
            while i + 8 <= end && bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) == 0 { i += 8 }
            while i < end && bytes[i] == 0 { i += 1 }
            cursor = i
            if i < end { break }
            guard try ensureBytes() else {
                let tailEnd = chunkStart + UInt64(chunkCount)
                // Blank padding (2.7A) or a previous record may precede; emit the tail.
                return emit(.padding(PaddingRegion(kind: .zeroTail, start: position(pos), end: position(tailEnd))))
            }
        }
        let firstNonZero = chunkStart + UInt64(cursor)
        // The next header can begin up to 7 bytes before the first non-zero byte (its length can
        // start with zero bytes), but not in an earlier block: records never cross a block end.
        // That block start is also never before the current chunk. `pos` is 8 zero bytes, so
        // `candidate > pos`.
        let block = UInt64(BinlogConstants.blockSize)
        let candidate = max(firstNonZero - 7, firstNonZero - firstNonZero % block)
        noteDamage(.zeroRegion, from: pos, to: candidate)
        try resync(from: candidate)
        return nil
    }

    /// Header-less blocks of spaces from the block start at the cursor, with the Full record of
    /// spaces right after them: what `AppendBlank` writes on a slave (Docs/Format.md §B10A). Moves the cursor
    /// past them and returns where they end; returns nil with the cursor unchanged when the block
    /// is not all spaces (to its end, or to the end of the file).
    mutating func skipBlankBlocks() throws(BinlogIOError) -> UInt64? {
        let space: UInt8 = 0x20
        let block = BinlogConstants.blockSize
        func blankBlock(_ chunk: UnsafeMutableRawBufferPointer, _ from: Int, _ count: Int) -> Bool {
            isAll(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(chunk)[from..<min(from + block, count)]), space)
        }
        guard blankBlock(chunk, cursor, chunkCount) else { return nil }
        cursor = min(cursor + block, chunkCount)
        while try ensureBytes(), blankBlock(chunk, cursor, chunkCount) {
            cursor = min(cursor + block, chunkCount)
        }
        let available = chunkCount - cursor
        if available >= BinlogConstants.headerSize {
            let bytes = UnsafeRawBufferPointer(chunk)
            let header = RecordHeader.load(from: bytes, at: cursor)
            let n = BinlogConstants.headerSize + header.length
            if header.rawType == RecordType.full.rawValue && header.length <= BinlogConstants.maxRecordPayload
                && n <= available
                && isAll(UnsafeRawBufferPointer(rebasing: bytes[(cursor + BinlogConstants.headerSize)..<(cursor + n)]), space)
            {
                cursor += n
            }
        }
        return chunkStart + UInt64(cursor)
    }

    /// A Full or Last record at `pos` whose item did not decode may have a damaged length that
    /// took in the records after it. If a plausible record starts inside it, the damage ends there
    /// and decoding resumes there; otherwise the cursor stays at `end`.
    mutating func resyncInsideFailedRecord(at pos: UInt64, end: UInt64) {
        let block = UInt64(BinlogConstants.blockSize)
        let blockEnd = pos - pos % block + block
        let bytes = UnsafeRawBufferPointer(chunk)
        let limitIndex = min(Int(blockEnd - chunkStart), chunkCount)
        var i = Int(pos + 1 - chunkStart)
        let stop = Int(end - chunkStart)
        while i < stop && i + BinlogConstants.headerSize <= limitIndex {
            if isPlausibleRecord(bytes, at: i, blockEnd: Int(blockEnd - chunkStart), limit: limitIndex) {
                damageEnd = chunkStart + UInt64(i)
                cursor = i
                return
            }
            i += 1
        }
    }

    /// After damage at some position before `from`, moves the cursor to the next place where
    /// decoding can resume: `from` itself when it is a block start, otherwise the first strongly
    /// plausible record header in the rest of `from`'s block, otherwise the next block start.
    /// Everything skipped is added to the pending damage.
    mutating func resync(from: UInt64) throws(BinlogIOError) {
        let block = UInt64(BinlogConstants.blockSize)
        // `from` is always within the current chunk or at its end.
        let blockStart = from - from % block
        if from == blockStart {
            cursor = Int(from - chunkStart)
            return
        }
        let blockEnd = blockStart + block
        let bytes = UnsafeRawBufferPointer(chunk)
        let limitIndex = min(Int(blockEnd - chunkStart), chunkCount)
        var i = Int(from - chunkStart)
        while i + BinlogConstants.headerSize <= limitIndex {
            if isPlausibleRecord(bytes, at: i, blockEnd: Int(blockEnd - chunkStart), limit: limitIndex) {
                // The damage ends where the record starts, even inside the bad header noted before.
                noteDamage(damageKind, from: from, to: chunkStart + UInt64(i))
                damageEnd = chunkStart + UInt64(i)
                cursor = i
                return
            }
            i += 1
        }
        let resume = min(blockEnd, chunkStart + UInt64(chunkCount))
        noteDamage(damageKind, from: from, to: resume)
        cursor = Int(resume - chunkStart)
    }

    /// A header at `i` that a real writer could have produced and whose payload agrees with it:
    /// a Full record holding a whole 34-byte item with matching content length and RESP start,
    /// or a whole E2 (bare RESP) item; a First record running exactly to the block end that starts
    /// an item header or a RESP command, or the zero-length First in a block's last 8 bytes; or a
    /// padding record of `*` bytes. Uses the argument buffer (no item is borrowed during resync).
    mutating func isPlausibleRecord(_ bytes: UnsafeRawBufferPointer, at i: Int, blockEnd: Int, limit: Int) -> Bool {
        let h = RecordHeader.load(from: bytes, at: i)
        let p = i + BinlogConstants.headerSize
        guard p + h.length <= limit else { return false }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[p..<(p + h.length)])
        switch h.rawType {
        case RecordType.full.rawValue:
            if h.length >= BinlogConstants.itemHeaderSize + 4 {
                let header = ItemHeader.load(from: payload)
                if header.type == 1 && Int(header.contentLength) == h.length - BinlogConstants.itemHeaderSize
                    && payload[BinlogConstants.itemHeaderSize] == UInt8(ascii: "*")
                {
                    return true
                }
            }
            return h.length > 0 && payload[0] == UInt8(ascii: "*") && (try? RESP.parse(payload, into: &arguments)) != nil
        case RecordType.first.rawValue:
            guard p + h.length == blockEnd else { return false }
            if h.length == 0 { return true }
            if h.length >= BinlogConstants.itemHeaderSize + 1 {
                let header = ItemHeader.load(from: payload)
                if header.type == 1 && Int(header.contentLength) > h.length - BinlogConstants.itemHeaderSize
                    && payload[BinlogConstants.itemHeaderSize] == UInt8(ascii: "*")
                {
                    return true
                }
            }
            return startsLikeRESP(payload)
        case RecordType.badRecord.rawValue:
            guard h.length > 0 else { return false }
            return isAll(UnsafeRawBufferPointer(rebasing: bytes[p..<(p + h.length)]), UInt8(ascii: "*"))
        default:
            return false
        }
    }
}

// MARK: - Byte helpers

/// `*<digits>\r\n$<digits>\r\n`: how every RESP command Pika logs begins.
func startsLikeRESP(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    for k in 0..<2 {
        let marker = k == 0 ? UInt8(ascii: "*") : UInt8(ascii: "$")
        guard i < bytes.count, bytes[i] == marker else { return false }
        i += 1
        let digitsStart = i
        while i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
        guard i > digitsStart, i + 1 < bytes.count, bytes[i] == 0x0D, bytes[i + 1] == 0x0A else { return false }
        i += 2
    }
    return true
}

@inline(__always)
func isZero(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ count: Int) -> Bool {
    var i = start
    let end = start + count
    while i < end {
        if bytes[i] != 0 { return false }
        i += 1
    }
    return true
}

func isAll(_ bytes: UnsafeRawBufferPointer, _ value: UInt8) -> Bool {
    for b in bytes where b != value { return false }
    return true
}

func startsWith(_ bytes: UnsafeRawBufferPointer, _ prefix: [UInt8]) -> Bool {
    guard bytes.count >= prefix.count else { return false }
    for i in 0..<prefix.count where bytes[i] != prefix[i] { return false }
    return true
}

extension UInt32 {
    /// Parses plain ASCII decimal digits; nil for anything else or overflow.
    init?(decimal bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, bytes.count <= 10 else { return nil }
        var v: UInt64 = 0
        for b in bytes {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            v = v * 10 + UInt64(b - 0x30)
        }
        guard v <= UInt64(UInt32.max) else { return nil }
        self = UInt32(v)
    }
}
