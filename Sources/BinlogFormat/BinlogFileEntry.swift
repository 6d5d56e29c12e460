/// One `write2file<N>` (or `write2file<N>.lz4`) file found on disk.
public struct BinlogFileEntry: Hashable, Sendable, CustomStringConvertible {
    /// The `N` of `write2file<N>`.
    public var fileNumber: FileNumber
    public var path: String
    /// `write2file<N>.lz4`: LZ4 frame format, read through ``LZ4FileSource``.
    public var compressed: Bool
    /// Size on disk in bytes (the compressed size for `.lz4`). For a live or crashed file this
    /// includes the mmap preallocation tail (Docs/Format.md §B12).
    public var byteCount: UInt64

    public init(fileNumber: FileNumber, path: String, compressed: Bool, byteCount: UInt64) {
        self.fileNumber = fileNumber
        self.path = path
        self.compressed = compressed
        self.byteCount = byteCount
    }

    /// The bytes of the binlog file: a ``FileSource``, or an ``LZ4FileSource`` when compressed.
    /// - Throws: ``BinlogIOError`` `.missing` if the file cannot be opened.
    public func openSource() throws(BinlogIOError) -> any ByteSource {
        if compressed {
            return try LZ4FileSource(path: path)
        }
        return try FileSource(path: path)
    }

    /// The binlog file name prefix (`NewFileName`, `src/pika_binlog.cc`, all versions).
    public static let namePrefix = "write2file"
    /// The suffix of an LZ4-compressed copy.
    public static let compressedSuffix = ".lz4"

    /// Parses `write2file<N>` or `write2file<N>.lz4`: decimal `N` without leading zeros (Pika never
    /// pads), fitting in 32 bits.
    /// - Returns: `nil` for any other name.
    public static func parseName(_ name: String) -> (fileNumber: FileNumber, compressed: Bool)? {
        guard name.hasPrefix(namePrefix) else { return nil }
        var digits = name.dropFirst(namePrefix.count)
        var compressed = false
        if digits.hasSuffix(compressedSuffix) {
            digits = digits.dropLast(compressedSuffix.count)
            compressed = true
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            digits.count == 1 || digits.first != "0", let number = FileNumber(digits)
        else { return nil }
        return (number, compressed)
    }

    public var description: String {
        "\(path) (file \(fileNumber), \(byteCount) bytes\(compressed ? ", LZ4" : ""))"
    }
}
