/// zlib's CRC-32 (reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF), as
/// `crc32(0, bytes, n)` returns it. `CRC32.checksum("123456789".utf8) == 0xCBF43926`.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

/// Pika 4.0's key → slot → instance routing (`GetSlotsID` in `src/pstd/src/pika_codis_slot.cc`
/// and `SlotIndexer` in `src/storage/include/storage/slot_indexer.h`, both @v4.0.1).
public enum PikaSlot {
    /// Pika's `default-slot-num` default.
    public static let defaultSlotCount = 1024
    /// Pika's `db-instance-num` default.
    public static let defaultInstanceCount = 3

    /// The hash tag: the bytes between the first `{` and the next `}` if both exist (possibly
    /// empty), otherwise the whole key. (Redis Cluster would use the whole key for `{}`.)
    public static func hashTag(of key: [UInt8]) -> ArraySlice<UInt8> {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")),
            let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}"))
        else { return key[...] }
        return key[(open + 1)..<close]
    }

    /// `crc32(tag) % slotCount`.
    /// - Precondition: `slotCount > 0`.
    public static func slot(of key: [UInt8], slotCount: Int = defaultSlotCount) -> Int {
        precondition(slotCount > 0, "slot count must be positive")
        return Int(CRC32.checksum(hashTag(of: key)) % UInt32(truncatingIfNeeded: slotCount))
    }

    /// `slot % instanceCount`: the index of the RocksDB instance that holds `key`.
    /// - Precondition: `slotCount > 0`, `instanceCount > 0`.
    public static func instance(of key: [UInt8], slotCount: Int = defaultSlotCount, instanceCount: Int) -> Int {
        precondition(instanceCount > 0, "instance count must be positive")
        return slot(of: key, slotCount: slotCount) % instanceCount
    }
}
