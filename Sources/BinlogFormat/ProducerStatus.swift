/// Pika's producer status: what `Binlog::GetProducerStatus` returns and the manifest stores.
///
/// | manifest offset | size | field |
/// |---|---|---|
/// | 0 | u32 | `pro_num`: the file being written, `write2file<pro_num>` |
/// | 4 | u64 | `pro_offset`: the end of the last complete item in that file, in bytes |
/// | 12 | u64 | `logic_id`: the number of `Put`s since the binlog (or `SetProducerStatus`) began |
/// | 20 | u32 | `term` (v3.3+; 0 unless consensus) |
///
/// Little-endian, in a file of 65 536 bytes that is otherwise zero (`Version::StableSave`,
/// OpenAtomFoundation/pika:src/pika_binlog.cc, v3.3.0–v4.0.1; Docs/Format.md §M1); see ``Manifest`` for
/// the other layouts.
public struct ProducerStatus: Hashable, Sendable, CustomStringConvertible {
    /// Pika `pro_num_`.
    public var fileNumber: FileNumber
    /// Pika `pro_offset_`, in bytes.
    public var offset: UInt64
    /// Pika `logic_id_`: the logic id of the last item put.
    public var logicID: UInt64
    /// Pika `term_`.
    public var term: UInt32

    public init(fileNumber: FileNumber = 0, offset: UInt64 = 0, logicID: UInt64 = 0, term: UInt32 = 0) {
        self.fileNumber = fileNumber
        self.offset = offset
        self.logicID = logicID
        self.term = term
    }

    /// The resume point it describes: `(pro_num, pro_offset)`.
    public var resumePoint: ResumePoint { ResumePoint(fileNumber: fileNumber, offset: offset) }

    public var description: String { "\(fileNumber):\(offset) logic_id \(logicID) term \(term)" }

    /// The manifest Pika writes for this status (`Version::StableSave`), in `layout`; encode it
    /// with ``Manifest/encoded(as:)`` (65 536 bytes).
    public func manifest(layout: ManifestLayout = .v3_3) -> Manifest {
        Manifest(layout: layout, fileNumber: fileNumber, offset: offset, logicID: logicID, term: term)
    }
}

/// Where a ``BinlogWriter`` put one item.
public struct WrittenItem: Hashable, Sendable {
    /// Where its first record header is (after any block trailer, in the file after any roll).
    public var start: PhysicalPosition
    /// The byte after its last fragment.
    public var end: PhysicalPosition
    /// Number of physical records, a zero-length First record included.
    public var fragmentCount: Int
    /// The producer status before the item: what a Pika master stores in the item header.
    public var precedingStatus: ResumePoint
    /// The item header written, or nil for ``BinlogWriter/appendPayload(_:recordTimes:)``.
    public var header: ItemHeader?
}
