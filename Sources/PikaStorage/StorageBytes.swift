/// Little-endian helpers for Pika's fixed-width fields (blackwidow/floyd `coding.h` write host
/// order, and Pika runs on little-endian hosts only).
enum StorageBytes {
    /// Reads a little-endian `UInt32` at `offset`. Precondition: 4 bytes are available.
    @inline(__always)
    static func uint32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Reads a little-endian `UInt64` at `offset`. Precondition: 8 bytes are available.
    @inline(__always)
    static func uint64(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Reads a little-endian `UInt32` from an array, or `nil` if fewer than 4 bytes remain.
    static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        return bytes.withUnsafeBytes { uint32($0, at: offset) }
    }

    /// Reads a little-endian `UInt64` from an array, or `nil` if fewer than 8 bytes remain.
    static func uint64(_ bytes: [UInt8], at offset: Int) -> UInt64? {
        guard offset >= 0, offset + 8 <= bytes.count else { return nil }
        return bytes.withUnsafeBytes { uint64($0, at: offset) }
    }

    static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func append(_ value: UInt64, bigEndianTo bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
