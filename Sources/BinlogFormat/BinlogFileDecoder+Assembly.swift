/// Fragment assembly and the item decision: a multi-fragment item's payloads are joined in one
/// reused buffer, and a complete payload becomes an item, padding or damage.
extension BinlogFileDecoder {
    @inline(__always)
    mutating func setFragmentTime(_ index: Int, _ time: UInt32) {
        if index >= fragmentTimes.count {
            let bigger = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: fragmentTimes.count * 2)
            _ = bigger.initialize(from: fragmentTimes)
            fragmentTimes.deallocate()
            fragmentTimes = bigger
        }
        fragmentTimes[index] = time
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
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
    mutating func decodeItem(
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
    mutating func decodeOtherItem(
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
}
