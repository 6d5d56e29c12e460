/// The log directory Pika's `manifest_generator -d DUMP -l LOG` writes: a replica's binlog
/// positioned at a resume point, so that the replica asks its master for the items from there.
///
/// The tool's own `Binlog::SetProducerStatus` (tools/manifest_generator, v3.5.0 and v4.0.1: same
/// bytes, checked against both binaries) is not the server's: it fills `write2file<N>` with
/// `AppendBlank`, not with the server's type-6 padding records (``BinlogWriter`` reproduces those).
/// For a requested offset P (P < 4 counts as 0):
///
/// | part | bytes |
/// |---|---|
/// | ⌊(P − 1) / 65536⌋ whole blocks (P ≥ 8) | 65 536 spaces each, no record header |
/// | one record (P ≥ 8) | 8-byte header: length n, the time, type 1 (Full); then n spaces, where n = P mod 65536 − 8, or 0 when P mod 65536 < 8 |
/// | `manifest` | `(N, P, logic_id 0, term 0)`, 65 536 bytes (``ManifestLayout/v3_3``) |
///
/// So the file is exactly P bytes long, except when P mod 65536 is 0–7 (P ≥ 8): then it ends 8
/// bytes into the last block started and the manifest still says P (a real item end can be a
/// block boundary: Pika then writes its next item at P, past the short file's end). Nothing in
/// the file is read back by Pika; the manifest alone positions the replica.
public enum ManifestGeneratorLog {
    /// The size of `write2file<N>` the tool writes for a requested offset.
    /// - Parameter offset: the requested offset P, in bytes.
    /// - Returns: the file's size in bytes.
    public static func fileSize(forOffset offset: UInt64) -> UInt64 {
        let p = producerOffset(offset)
        let header = UInt64(BinlogConstants.headerSize)
        guard p >= header else { return 0 }
        let block = UInt64(BinlogConstants.blockSize)
        let rest = p % block
        return (p - 1) / block * block + header + (rest < header ? 0 : rest - header)
    }

    /// The offset the manifest records for a requested one (`pro_offset < 4` becomes 0).
    public static func producerOffset(_ offset: UInt64) -> UInt64 { offset < 4 ? 0 : offset }

    /// Writes `write2file<fileNumber>` and the manifest into `output`, as the tool does.
    ///
    /// Memory is flat: one block of spaces is written as many times as needed.
    /// - Parameters:
    ///   - fileNumber: the `filenum` of the resume point.
    ///   - offset: its `offset`, in bytes.
    ///   - time: the header time of the one record (the tool reads the clock).
    ///   - output: receives the file, then the manifest (``BinlogOutput/commit(manifest:)``).
    /// - Returns: the producer status the manifest records.
    /// - Throws: ``BinlogWriteError`` from the output; the output is abandoned then.
    @discardableResult
    public static func write(
        fileNumber: FileNumber, offset: UInt64, time: UInt32, to output: any BinlogOutput
    ) throws(BinlogWriteError) -> ProducerStatus {
        let status = ProducerStatus(fileNumber: fileNumber, offset: producerOffset(offset), logicID: 0, term: 0)
        do throws(BinlogWriteError) {
            try output.beginFile(fileNumber)
            try writeBlank(offset: status.offset, time: time, to: output)
            try output.endFile()
            let manifest = status.manifest(layout: .v3_3).encoded(as: .v3_3)
            try withBytes(manifest) { (m) throws(BinlogWriteError) in try output.commit(manifest: m) }
        } catch {
            output.abandon()
            throw error
        }
        return status
    }

    /// `AppendBlank(file, P)`.
    private static func writeBlank(offset p: UInt64, time: UInt32, to output: any BinlogOutput) throws(BinlogWriteError) {
        let header = UInt64(BinlogConstants.headerSize)
        guard p >= header else { return }
        let block = UInt64(BinlogConstants.blockSize)
        let spaces = [UInt8](repeating: UInt8(ascii: " "), count: BinlogConstants.blockSize)
        try withBytes(spaces) { (blank) throws(BinlogWriteError) in
            for _ in 0..<((p - 1) / block) { try output.write(blank) }
            let rest = p % block
            let n = rest < header ? 0 : Int(rest - header)
            let record = RecordHeader(length: n, time: time, rawType: RecordType.full.rawValue)
            var bytes = [UInt8](repeating: 0, count: BinlogConstants.headerSize)
            bytes.withUnsafeMutableBytes { record.store(into: $0, at: 0) }
            try withBytes(bytes) { (h) throws(BinlogWriteError) in try output.write(h) }
            try output.write(UnsafeRawBufferPointer(rebasing: blank[0..<n]))
        }
    }
}
