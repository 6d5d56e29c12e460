/// Damage coalescing: bad bytes are noted as they are found and merged while they stay contiguous;
/// a range is reported (moved to the outbox) only when a good record follows it, so one damaged
/// stretch is one `.damage` record whatever mix of bad headers and zeros it holds.
extension BinlogFileDecoder {
    mutating func noteDamage(
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
    static func endsInZeros(_ content: UnsafeRawBufferPointer) -> Bool {
        content.count >= 2 && content[content.count - 1] == 0 && content[content.count - 2] == 0
    }

    /// Moves pending damage to the outbox.
    mutating func flushDamage() {
        guard let s = damageStart else { return }
        outbox.append(
            .damage(Damage(kind: damageKind, start: position(s), length: damageEnd - s, endsInZeros: damageEndsInZeros)))
        damageStart = nil
    }

    @inline(__always)
    mutating func abandonPartial(at end: UInt64) {
        if let s = partialStart {
            noteDamage(.interruptedItem(fragments: partialFragments), from: s, to: end)
            partialStart = nil
            partialFragments = 0
        }
    }

    /// Returns `record`, reporting any pending damage first.
    @inline(__always)
    mutating func emit(_ record: BinlogRecord) -> BinlogRecord {
        skippingLeadingFragments = false
        if damageStart == nil && outbox.isEmpty { return record }
        flushDamage()
        outbox.append(record)
        return outbox.removeFirst()
    }
}
