extension BinlogWriter {
    /// The producer offset Pika ends up with after `SetProducerStatus(num, offset)` (v3.3.2 – v4.0.1).
    ///
    /// | requested offset P | padding written | resulting `pro_offset` |
    /// |---|---|---|
    /// | 0 – 3 | none | 0 (`if (pro_offset < 4) pro_offset = 0`) |
    /// | 4 – 7 | none (`AppendPadding` returns early) | P: the manifest says P, the file is empty |
    /// | ≥ 8 | ⌊P/65536⌋ records of 65 536 bytes, then one of `P mod 65536` bytes unless that is < 8 | P, less `P mod 65536` when it is 1–7 |
    ///
    /// A P that a real master reported (an item end) never falls in the lossy cases (Docs/Format.md §B4, §B10C).
    /// - Parameter offset: the requested offset P, in bytes.
    /// - Returns: the producer offset after padding, in bytes.
    public static func effectivePaddingOffset(_ offset: UInt64) -> UInt64 {
        if offset < 4 { return 0 }
        if offset < UInt64(BinlogConstants.headerSize) { return offset }
        let rest = offset % UInt64(BinlogConstants.blockSize)
        return rest < UInt64(BinlogConstants.headerSize) ? offset - rest : offset
    }

    /// `Binlog::AppendPadding` (v3.3.2 – v4.0.1) into the fresh current file, then `InitLogFile`.
    ///
    /// Chunks of `min(left, 65536)` bytes, each one type-6 (`kBadRecord`) record of `chunk − 8`
    /// `*` bytes, all with header time `time`; a last chunk under 8 bytes is not written.
    /// - Returns: the producer offset to use (``effectivePaddingOffset(_:)``).
    mutating func appendPadding(_ requested: UInt64, time: UInt32) throws(BinlogWriteError) -> UInt64 {
        let effective = Self.effectivePaddingOffset(requested)
        let headerSize = UInt64(BinlogConstants.headerSize)
        if effective >= headerSize {
            var left = effective
            while left > 0 {
                let size = min(left, UInt64(BinlogConstants.blockSize))
                precondition(size >= headerSize, "effectivePaddingOffset leaves no short chunk")
                let length = Int(size - headerSize)
                try stageHeader(RecordHeader(length: length, time: time, rawType: RecordType.badRecord.rawValue))
                try stageRepeated(UInt8(ascii: "*"), count: length)
                left -= size
            }
        }
        initLogFile()
        return effective
    }
}
