/// Physical records: one step of the decoding loop at the cursor — a block trailer, the file's
/// short tail, a zero header, the 8 bytes at a block's end, blank blocks, or a framed record
/// checked against its block and dispatched by type.
extension BinlogFileDecoder {
    /// Decodes what is at the cursor (the chunk has bytes there). Returns the record to hand out,
    /// or nil when the step only moved the cursor or noted damage.
    @inline(__always)
    mutating func step() throws(BinlogIOError) -> BinlogRecord? {
        let block = UInt64(BinlogConstants.blockSize)
        let pos = chunkStart + UInt64(cursor)
        let left = Int(block - pos % block)
        let available = chunkCount - cursor
        let bytes = UnsafeRawBufferPointer(chunk)

        if left < BinlogConstants.headerSize {
            // Block trailer: Pika's writer fills it with zeros.
            let n = min(left, available)
            if !isZero(bytes, cursor, n) { noteDamage(.dirtyTrailer, from: pos, to: pos + UInt64(n)) }
            trailerCount += 1
            trailerByteCount += UInt64(n)
            cursor += n
            return nil
        }
        if available < BinlogConstants.headerSize {
            return shortTail(at: pos, available: available)
        }

        let header = RecordHeader.load(from: bytes, at: cursor)
        if header.rawType == 0 && header.length == 0 && header.time == 0 {
            return try handleZeros(at: pos)
        }
        if left == BinlogConstants.headerSize {
            return lastEightBytes(header, at: pos)
        }
        if left == BinlogConstants.blockSize && isAll(UnsafeRawBufferPointer(rebasing: bytes[cursor..<(cursor + 8)]), 0x20),
            let end = try skipBlankBlocks()
        {
            abandonPartial(at: pos)
            return emit(.padding(PaddingRegion(kind: .blank, start: position(pos), end: position(end))))
        }
        guard let type = header.type, type != .zero, type != .eof, type != .oldRecord else {
            abandonPartial(at: pos)
            noteDamage(.impossibleType(header.rawType), from: pos, to: pos + 8)
            try resync(from: pos + 1)
            return nil
        }
        let room = left - BinlogConstants.headerSize
        if header.length > room {
            abandonPartial(at: pos)
            noteDamage(.lengthBeyondBlock(length: header.length), from: pos, to: pos + 8)
            try resync(from: pos + 1)
            return nil
        }
        if BinlogConstants.headerSize + header.length > available {
            // The file ends inside this record, or its length is damaged: resume at a
            // plausible record inside it if there is one, else at the end of the file.
            abandonPartial(at: pos)
            noteDamage(.truncatedRecord(length: header.length), from: pos, to: pos + 8)
            try resync(from: pos + 1)
            return nil
        }
        return try framedRecord(type, header, at: pos, room: room)
    }

    /// Fewer than 8 bytes left in the file: zeros are the preallocated tail, anything else a
    /// truncated header.
    private mutating func shortTail(at pos: UInt64, available: Int) -> BinlogRecord? {
        abandonPartial(at: pos)
        defer { cursor += available }
        if isZero(UnsafeRawBufferPointer(chunk), cursor, available) {
            return emit(.padding(PaddingRegion(kind: .zeroTail, start: position(pos), end: position(pos + UInt64(available)))))
        }
        noteDamage(.truncatedHeader, from: pos, to: pos + UInt64(available))
        return nil
    }

    /// A header in a block's last 8 bytes. Pika's reader skips them; the writer puts a
    /// zero-length First record there when an item starts with exactly 8 bytes left.
    private mutating func lastEightBytes(_ header: RecordHeader, at pos: UInt64) -> BinlogRecord? {
        defer { cursor += 8 }
        if header.rawType == RecordType.first.rawValue && header.length == 0 {
            abandonPartial(at: pos)
            partialStart = pos
            partialFragments = 1
            partialFirstTime = header.time
            setFragmentTime(0, header.time)
            assemblyCount = 0
        } else if header.rawType == RecordType.full.rawValue && header.length == 0 {
            // An empty item (Docs/Format.md §B13) written with exactly 8 bytes left in the block.
            abandonPartial(at: pos)
            return emit(.padding(PaddingRegion(kind: .emptyItem, start: position(pos), end: position(pos + 8))))
        } else {
            noteDamage(.dirtyTrailer, from: pos, to: pos + 8)
        }
        return nil
    }

    /// A record whose type is valid and whose length fits its block and the bytes read.
    @inline(__always)
    private mutating func framedRecord(
        _ type: RecordType, _ header: RecordHeader, at pos: UInt64, room: Int
    ) throws(BinlogIOError) -> BinlogRecord? {
        let recordEnd = pos + UInt64(BinlogConstants.headerSize + header.length)
        let payloadIndex = cursor + BinlogConstants.headerSize
        let payload = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(chunk)[payloadIndex..<(payloadIndex + header.length)])

        switch type {
        case .full:
            abandonPartial(at: pos)
            cursor += BinlogConstants.headerSize + header.length
            if header.length == 0 {
                return emit(.padding(PaddingRegion(kind: .emptyItem, start: position(pos), end: position(recordEnd))))
            }
            setFragmentTime(0, header.time)
            if let record = decodeItem(
                payload, start: pos, end: recordEnd, fragments: 1, firstTime: header.time, lastTime: header.time)
            {
                return record
            }
            resyncInsideFailedRecord(at: pos, end: recordEnd)
            return nil
        case .first, .middle:
            if header.length != room {
                abandonPartial(at: pos)
                noteDamage(.fragmentShort(type), from: pos, to: pos + 8)
                try resync(from: pos + 1)
                return nil
            }
            cursor += BinlogConstants.headerSize + header.length
            if type == .first {
                abandonPartial(at: pos)
                partialStart = pos
                partialFragments = 1
                partialFirstTime = header.time
                setFragmentTime(0, header.time)
                assemblyCount = 0
                append(payload)
            } else if partialStart != nil {
                setFragmentTime(partialFragments, header.time)
                partialFragments += 1
                append(payload)
            } else if !skippingLeadingFragments {
                noteDamage(.orphanFragment(type), from: pos, to: recordEnd)
            }
            return nil
        case .last:
            cursor += BinlogConstants.headerSize + header.length
            return lastFragment(payload, header, at: pos, end: recordEnd)
        case .badRecord:
            abandonPartial(at: pos)
            cursor += BinlogConstants.headerSize + header.length
            guard isAll(payload, UInt8(ascii: "*")) else {
                // Pika fills padding with `*` (Docs/Format.md §B10C). Other bytes mean a damaged type or
                // length, which must not hide the records it covers as padding.
                noteDamage(.badPadding, from: pos, to: recordEnd)
                resyncInsideFailedRecord(at: pos, end: recordEnd)
                return nil
            }
            return emit(.padding(PaddingRegion(kind: .badRecord, start: position(pos), end: position(recordEnd))))
        case .zero, .eof, .oldRecord:
            preconditionFailure("filtered by step()")
        }
    }

    /// A Last fragment (the cursor already past it): the item it completes, or an orphan.
    @inline(__always)
    private mutating func lastFragment(
        _ payload: UnsafeRawBufferPointer, _ header: RecordHeader, at pos: UInt64, end recordEnd: UInt64
    ) -> BinlogRecord? {
        guard let start = partialStart else {
            if !skippingLeadingFragments { noteDamage(.orphanFragment(.last), from: pos, to: recordEnd) }
            skippingLeadingFragments = false
            return nil
        }
        append(payload)
        setFragmentTime(partialFragments, header.time)
        let fragments = partialFragments + 1
        partialStart = nil
        partialFragments = 0
        let whole = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(assembly)[0..<assemblyCount])
        if let record = decodeItem(
            whole, start: start, end: recordEnd, fragments: fragments, firstTime: partialFirstTime,
            lastTime: header.time)
        {
            return record
        }
        resyncInsideFailedRecord(at: pos, end: recordEnd)
        return nil
    }
}
