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
public struct BinlogFileDecoder: ~Copyable {
    public static let chunkSize = 16 * BinlogConstants.blockSize

    public let fileNumber: FileNumber
    private let source: any ByteSource

    private let chunk: UnsafeMutableRawBufferPointer
    /// File offset of `chunk[0]`.
    private var chunkStart: UInt64
    private var chunkCount = 0
    private var cursor = 0
    private var sourceDone = false

    private var assembly: UnsafeMutableRawBufferPointer
    private var assemblyCount = 0
    private var arguments = ArgumentBuffer()

    // An item whose First fragment has been read and whose Last has not.
    private var partialStart: UInt64? = nil
    private var partialFragments = 0
    private var partialFirstTime: UInt32 = 0
    /// Header time of every fragment of the current item (reused; grows to the most fragments).
    private var fragmentTimes: UnsafeMutableBufferPointer<UInt32>

    // Damage not yet reported, merged while it stays contiguous.
    private var damageStart: UInt64? = nil
    private var damageEnd: UInt64 = 0
    private var damageKind: Damage.Kind = .zeroRegion
    private var damageEndsInZeros = false

    /// Records decided but not yet returned (damage found before an item, in order). Its
    /// capacity is reserved once; it never holds more than three records.
    private var outbox: [BinlogRecord] = []
    private var skippingLeadingFragments: Bool
    private var finished = false

    /// Block trailers seen (the 1–7 zero bytes Pika writes at a block end before the next record).
    public private(set) var trailerCount = 0
    public private(set) var trailerByteCount: UInt64 = 0
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

    deinit {
        fragmentTimes.deallocate()
        chunk.deallocate()
        assembly.deallocate()
    }

    // MARK: - Reading

    /// Refills the chunk when the cursor has reached its end. Returns false at the end of the file.
    private mutating func ensureBytes() throws(BinlogIOError) -> Bool {
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
        return chunkCount > 0
    }

    private func position(_ fileOffset: UInt64) -> PhysicalPosition {
        PhysicalPosition(fileNumber: fileNumber, offset: fileOffset)
    }

    // MARK: - Damage bookkeeping

    private mutating func noteDamage(
        _ kind: Damage.Kind, from start: UInt64, to end: UInt64, endsInZeros: Bool = false
    ) {
        // After damage, a Middle or Last fragment is an orphan to report, not the tail of an item
        // that began before a block-aligned start.
        skippingLeadingFragments = false
        if damageStart != nil, damageEnd >= start {
            if end >= damageEnd { damageEndsInZeros = endsInZeros }
            damageEnd = max(damageEnd, end)
        } else {
            flushDamage()
            damageStart = start
            damageEnd = end
            damageKind = kind
            damageEndsInZeros = endsInZeros
        }
    }

    /// Whether a framed item's RESP content ends in two zero bytes: what an item still being copied into
    /// Pika's zero-filled (mmap-preallocated) file leaves, where a finished one ends in CRLF.
    private static func endsInZeros(_ content: UnsafeRawBufferPointer) -> Bool {
        content.count >= 2 && content[content.count - 1] == 0 && content[content.count - 2] == 0
    }

    /// Moves pending damage to the outbox.
    private mutating func flushDamage() {
        guard let s = damageStart else { return }
        outbox.append(
            .damage(Damage(kind: damageKind, start: position(s), length: damageEnd - s, endsInZeros: damageEndsInZeros)))
        damageStart = nil
    }

    @inline(__always)
    private mutating func abandonPartial(at end: UInt64) {
        if let s = partialStart {
            noteDamage(.interruptedItem(fragments: partialFragments), from: s, to: end)
            partialStart = nil
            partialFragments = 0
        }
    }

    /// Returns `record`, reporting any pending damage first.
    @inline(__always)
    private mutating func emit(_ record: BinlogRecord) -> BinlogRecord {
        skippingLeadingFragments = false
        if damageStart == nil && outbox.isEmpty { return record }
        flushDamage()
        outbox.append(record)
        return outbox.removeFirst()
    }

    // MARK: - Decoding

    /// The next record, or nil at the end of the file.
    /// - Throws: only ``BinlogIOError`` (the bytes could not be read); bad bytes are `.damage`.
    public mutating func next() throws(BinlogIOError) -> BinlogRecord? {
        if !outbox.isEmpty { return outbox.removeFirst() }
        if finished { return nil }
        let block = UInt64(BinlogConstants.blockSize)
        while true {
            guard try ensureBytes() else { return finish() }
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
                continue
            }
            if available < BinlogConstants.headerSize {
                if isZero(bytes, cursor, available) {
                    abandonPartial(at: pos)
                    cursor += available
                    return emit(.padding(PaddingRegion(kind: .zeroTail, start: position(pos), end: position(pos + UInt64(available)))))
                }
                abandonPartial(at: pos)
                noteDamage(.truncatedHeader, from: pos, to: pos + UInt64(available))
                cursor += available
                continue
            }

            let header = RecordHeader.load(from: bytes, at: cursor)
            let room = left - BinlogConstants.headerSize
            let recordEnd = pos + UInt64(BinlogConstants.headerSize + header.length)

            if header.rawType == 0 && header.length == 0 && header.time == 0 {
                if let record = try handleZeros(at: pos) { return record }
                continue
            }
            if left == BinlogConstants.headerSize {
                // Pika's reader skips the last 8 bytes of a block; the writer puts a zero-length
                // First record there when an item starts with exactly 8 bytes left.
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
                    cursor += 8
                    return emit(.padding(PaddingRegion(kind: .emptyItem, start: position(pos), end: position(pos + 8))))
                } else {
                    noteDamage(.dirtyTrailer, from: pos, to: pos + 8)
                }
                cursor += 8
                continue
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
                continue
            }
            if header.length > room {
                abandonPartial(at: pos)
                noteDamage(.lengthBeyondBlock(length: header.length), from: pos, to: pos + 8)
                try resync(from: pos + 1)
                continue
            }
            if BinlogConstants.headerSize + header.length > available {
                // The file ends inside this record, or its length is damaged: resume at a
                // plausible record inside it if there is one, else at the end of the file.
                abandonPartial(at: pos)
                noteDamage(.truncatedRecord(length: header.length), from: pos, to: pos + 8)
                try resync(from: pos + 1)
                continue
            }
            let payloadIndex = cursor + BinlogConstants.headerSize
            let payload = UnsafeRawBufferPointer(rebasing: bytes[payloadIndex..<(payloadIndex + header.length)])

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
            case .first, .middle:
                if header.length != room {
                    abandonPartial(at: pos)
                    noteDamage(.fragmentShort(type), from: pos, to: pos + 8)
                    try resync(from: pos + 1)
                    continue
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
            case .last:
                cursor += BinlogConstants.headerSize + header.length
                guard let start = partialStart else {
                    if !skippingLeadingFragments { noteDamage(.orphanFragment(type), from: pos, to: recordEnd) }
                    skippingLeadingFragments = false
                    continue
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
            case .badRecord:
                abandonPartial(at: pos)
                cursor += BinlogConstants.headerSize + header.length
                guard isAll(payload, UInt8(ascii: "*")) else {
                    // Pika fills padding with `*` (Docs/Format.md §B10C). Other bytes mean a damaged type or
                    // length, which must not hide the records it covers as padding.
                    noteDamage(.badPadding, from: pos, to: recordEnd)
                    resyncInsideFailedRecord(at: pos, end: recordEnd)
                    continue
                }
                return emit(.padding(PaddingRegion(kind: .badRecord, start: position(pos), end: position(recordEnd))))
            case .zero, .eof, .oldRecord:
                preconditionFailure("filtered above")
            }
        }
    }

    private mutating func finish() -> BinlogRecord? {
        finished = true
        let end = chunkStart + UInt64(chunkCount)
        abandonPartial(at: end)
        flushDamage()
        return outbox.isEmpty ? nil : outbox.removeFirst()
    }

    @inline(__always)
    private mutating func setFragmentTime(_ index: Int, _ time: UInt32) {
        if index >= fragmentTimes.count {
            let bigger = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: fragmentTimes.count * 2)
            _ = bigger.initialize(from: fragmentTimes)
            fragmentTimes.deallocate()
            fragmentTimes = bigger
        }
        fragmentTimes[index] = time
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if assemblyCount + bytes.count > assembly.count {
            var capacity = assembly.count
            while capacity < assemblyCount + bytes.count { capacity *= 2 }
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
            bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(assembly)[0..<assemblyCount]))
            assembly.deallocate()
            assembly = bigger
        }
        guard bytes.count > 0 else { return }
        (assembly.baseAddress! + assemblyCount).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        assemblyCount += bytes.count
    }

    /// Turns a complete payload into an item, padding, or damage. Returns nil when it only noted
    /// damage (to be reported before the next record).
    ///
    /// The common case, a well-formed v3+ item, is decided here (small enough to inline into
    /// `next()`); everything else, and any doubt, goes to ``decodeOtherItem``, which decides from
    /// scratch.
    @inline(__always)
    private mutating func decodeItem(
        _ payload: UnsafeRawBufferPointer, start: UInt64, end: UInt64, fragments: Int, firstTime: UInt32,
        lastTime: UInt32
    ) -> BinlogRecord? {
        let n = payload.count
        if n >= BinlogConstants.itemHeaderSize && payload[0] == 1 && payload[1] == 0 {
            let header = ItemHeader.load(from: payload)
            if Int(header.contentLength) == n - BinlogConstants.itemHeaderSize && header.logicID != 0 {
                let content = UnsafeRawBufferPointer(rebasing: payload[BinlogConstants.itemHeaderSize...])
                if (try? RESP.parse(content, into: &arguments)) != nil {
                    let item = BinlogItem(
                        start: position(start), end: position(end), fragmentCount: fragments, firstRecordTime: firstTime,
                        lastRecordTime: lastTime, recordTimes: UnsafeBufferPointer(rebasing: fragmentTimes[0..<fragments]),
                        envelope: .pikaItem, header: header, payload: payload,
                        command: RESPCommand(bytes: content, ranges: arguments.view))
                    return emit(.item(item))
                }
            }
        }
        return decodeOtherItem(payload, start: start, end: end, fragments: fragments, firstTime: firstTime, lastTime: lastTime)
    }

    /// ``decodeItem`` for every payload: envelopes, padding items, E2 RESP, blank, damage.
    @inline(never)
    private mutating func decodeOtherItem(
        _ payload: UnsafeRawBufferPointer, start: UInt64, end: UInt64, fragments: Int, firstTime: UInt32,
        lastTime: UInt32
    ) -> BinlogRecord? {
        let n = payload.count
        if n >= 2 && payload[0] == 1 && payload[1] == 0 {
            guard n >= BinlogConstants.itemHeaderSize else {
                noteDamage(.badEnvelope("\(n) bytes, shorter than the 34-byte item header"), from: start, to: end)
                return nil
            }
            let header = ItemHeader.load(from: payload)
            guard Int(header.contentLength) == n - BinlogConstants.itemHeaderSize else {
                noteDamage(
                    .badEnvelope("content length \(header.contentLength) but \(n - BinlogConstants.itemHeaderSize) bytes follow"),
                    from: start, to: end)
                return nil
            }
            let content = UnsafeRawBufferPointer(rebasing: payload[BinlogConstants.itemHeaderSize...])
            if header.logicID == 0 && header.execTime == 0 && header.stored.offset == 0
                && header.stored.fileNumber == 0 && startsWith(content, paddingContentPrefix)
            {
                return emit(.padding(PaddingRegion(kind: .paddingItem, start: position(start), end: position(end))))
            }
            do {
                try RESP.parse(content, into: &arguments)
            } catch {
                noteDamage(
                    .badRESP(error, logicID: header.logicID), from: start, to: end,
                    endsInZeros: Self.endsInZeros(content))
                return nil
            }
            let item = BinlogItem(
                start: position(start), end: position(end), fragmentCount: fragments, firstRecordTime: firstTime,
                lastRecordTime: lastTime, recordTimes: UnsafeBufferPointer(rebasing: fragmentTimes[0..<fragments]),
                envelope: .pikaItem, header: header, payload: payload,
                command: RESPCommand(bytes: content, ranges: arguments.view))
            return emit(.item(item))
        }
        if n > 0 && payload[0] == UInt8(ascii: "*") {
            do {
                try RESP.parse(payload, into: &arguments)
            } catch {
                noteDamage(.badRESP(error, logicID: 0), from: start, to: end, endsInZeros: Self.endsInZeros(payload))
                return nil
            }
            let all = arguments.view
            var header = ItemHeader(execTime: 0, termOrServerID: 0, logicID: 0, stored: ResumePoint(fileNumber: 0, offset: 0), contentLength: UInt32(n))
            var envelope = ItemEnvelope.bareRESP
            var ranges = all
            if all.count >= 5 {
                let magic = all[all.count - 4]
                let m = UnsafeRawBufferPointer(rebasing: payload[magic.offset..<(magic.offset + magic.count)])
                if startsWith(m, affiliatedMagic) && m.count == affiliatedMagic.count {
                    envelope = .affiliatedRESP
                    ranges = UnsafeBufferPointer(rebasing: all[0..<(all.count - 4)])
                    let sid = all[all.count - 3]
                    header.termOrServerID = UInt32(decimal: UnsafeRawBufferPointer(rebasing: payload[sid.offset..<(sid.offset + sid.count)])) ?? 0
                    let info = all[all.count - 2]
                    if info.count == 16 {
                        let b = payload.baseAddress! + info.offset
                        header.execTime = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
                        header.stored = ResumePoint(
                            fileNumber: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
                            offset: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
                    }
                }
            }
            let item = BinlogItem(
                start: position(start), end: position(end), fragmentCount: fragments, firstRecordTime: firstTime,
                lastRecordTime: lastTime, recordTimes: UnsafeBufferPointer(rebasing: fragmentTimes[0..<fragments]),
                envelope: envelope, header: header, payload: payload,
                command: RESPCommand(bytes: payload, ranges: ranges))
            return emit(.item(item))
        }
        if n > 0 && isAll(payload, 0x20) {
            return emit(.padding(PaddingRegion(kind: .blank, start: position(start), end: position(end))))
        }
        noteDamage(.badEnvelope("payload starts with byte \(n > 0 ? payload[0] : 0), neither an item header nor RESP"), from: start, to: end)
        return nil
    }

    /// Handles an all-zero header at `pos`: a preallocated tail to the end of the file, or a zero
    /// region in the middle (damage, then resynchronise).
    private mutating func handleZeros(at pos: UInt64) throws(BinlogIOError) -> BinlogRecord? {
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
    private mutating func skipBlankBlocks() throws(BinlogIOError) -> UInt64? {
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
    private mutating func resyncInsideFailedRecord(at pos: UInt64, end: UInt64) {
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
    private mutating func resync(from: UInt64) throws(BinlogIOError) {
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
    private mutating func isPlausibleRecord(_ bytes: UnsafeRawBufferPointer, at i: Int, blockEnd: Int, limit: Int) -> Bool {
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
