/// The byte layouts Pika has used for the binlog `manifest` (Docs/Format.md §M1).
///
/// All fields are host-order `memcpy`s, little-endian on every platform Pika ships for; the file is
/// always 65536 bytes (mmap + `posix_fallocate`), zero past the fields. There is no magic, version
/// or checksum, so the layout must be told from the content (``ManifestDetection``) or forced.
///
/// | layout | Pika | bytes |
/// |---|---|---|
/// | ``v2_0`` | v2.0.0 – v2.2.x | u64 `pro_offset` @0, 8 unused @8, u32 `item_num` @16 (never written), u32 `pro_num` @20 |
/// | ``v2_3`` | v2.3.0 – v2.3.8 | as v2.0, plus u64 `double_master_recv_offset` @24, u32 `double_master_recv_num` @32 |
/// | ``v3_0`` | v3.0.0 – v3.0.16 | u32 `pro_num` @0, u64 `pro_offset` @4, u64 `logic_id` @12, u32 `double_master_recv_num` @20, u64 `double_master_recv_offset` @24 |
/// | ``v3_1`` | v3.1.0 – v3.2.9 | bytes 0–19 as v3.0; bytes 20+ no longer written |
/// | ``v3_3`` | v3.3.0 – v4.0.1 | bytes 0–19 as v3.0, u32 `term` @20 |
///
/// Mirrors `Version::StableSave` / `Version::Init` in `src/pika_binlog.cc` at v2.3.6, v3.0.16 and
/// v3.5.2.
public enum ManifestLayout: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Pika v2.0.0 – v2.2.x.
    case v2_0 = "v2.0"
    /// Pika v2.3.0 – v2.3.8 (double-master fields added).
    case v2_3 = "v2.3"
    /// Pika v3.0.0 – v3.0.16.
    case v3_0 = "v3.0"
    /// Pika v3.1.0 – v3.2.9.
    case v3_1 = "v3.1"
    /// Pika v3.3.0 – v4.0.1 (term at byte 20). What ``Manifest/encoded(as:)`` writes by default.
    case v3_3 = "v3.3"

    /// The two incompatible families: where `pro_num` sits.
    public enum Family: String, Hashable, Sendable {
        /// `pro_num` at byte 20, `pro_offset` at byte 0.
        case v2
        /// `pro_num` at byte 0, `pro_offset` at byte 4.
        case v3
    }

    public var family: Family {
        switch self {
        case .v2_0, .v2_3: .v2
        case .v3_0, .v3_1, .v3_3: .v3
        }
    }

    /// The Pika releases that write this layout.
    public var versions: String {
        switch self {
        case .v2_0: "v2.0.0–v2.2.x"
        case .v2_3: "v2.3.0–v2.3.8"
        case .v3_0: "v3.0.0–v3.0.16"
        case .v3_1: "v3.1.0–v3.2.9"
        case .v3_3: "v3.3.0–v4.0.1"
        }
    }

    /// Bytes this layout's fields occupy (a shorter file cannot be decoded with it).
    public var fieldByteCount: Int {
        switch self {
        case .v2_0: 24
        case .v2_3: 36
        case .v3_0: 32
        case .v3_1: 20
        case .v3_3: 24
        }
    }

    /// Where each field of this layout sits: the byte offsets of the table above, read by
    /// ``Manifest/decode(_:layout:)``, written by ``Manifest/encoded(as:)`` and tested by
    /// ``ManifestDetection/detect(_:highestFileNumber:)``. `nil`: the layout has no such field.
    public struct Fields: Hashable, Sendable {
        /// u32 `pro_num`.
        public var proNum: Int
        /// u64 `pro_offset`.
        public var proOffset: Int
        /// u64 `logic_id` (v3).
        public var logicID: Int?
        /// u32 `term` (v3.3+).
        public var term: Int?
        /// u32 `item_num` (v2).
        public var itemCount: Int?
        /// u32 `double_master_recv_num` (v2.3, v3.0).
        public var doubleMasterReceiveNum: Int?
        /// u64 `double_master_recv_offset` (v2.3, v3.0).
        public var doubleMasterReceiveOffset: Int?
    }

    public var fields: Fields {
        switch self {
        case .v2_0: Fields(proNum: 20, proOffset: 0, itemCount: 16)
        case .v2_3: Fields(proNum: 20, proOffset: 0, itemCount: 16, doubleMasterReceiveNum: 32, doubleMasterReceiveOffset: 24)
        case .v3_0: Fields(proNum: 0, proOffset: 4, logicID: 12, doubleMasterReceiveNum: 20, doubleMasterReceiveOffset: 24)
        case .v3_1: Fields(proNum: 0, proOffset: 4, logicID: 12)
        case .v3_3: Fields(proNum: 0, proOffset: 4, logicID: 12, term: 20)
        }
    }

    public var description: String { "\(rawValue) (Pika \(versions))" }
}

/// The producer position and counters stored in a binlog directory's `manifest`.
///
/// A field the layout does not have is `nil`. Decoding a layout sets every field it has.
///
/// ``fileNumber``/``offset`` are Pika's `pro_num`/`pro_offset`: the **end of the last complete
/// item** (a ``ResumePoint``), not including the next item's block-trailer padding.
public struct Manifest: Hashable, Sendable {
    /// Pika's on-disk size of a manifest: 65536 bytes (`NewRWFile` fallocates 64 KiB).
    public static let byteCount = 65536

    public var layout: ManifestLayout
    /// `pro_num`: the current `write2file<N>`.
    public var fileNumber: FileNumber
    /// `pro_offset`: bytes from the start of that file to the end of its last complete item.
    public var offset: UInt64
    /// `logic_id` of the last item written (v3.0+; a slave's own counter, see Docs/Format.md §R2).
    public var logicID: UInt64?
    /// `term` (v3.3+). A v3.1/3.2 manifest read by v3.3+ yields its stale bytes 20–23 here.
    public var term: UInt32?
    /// v2 `item_num`: read by Pika's `Init` but never written, so normally 0.
    public var itemCount: UInt32?
    /// `(double_master_recv_num, double_master_recv_offset)` (v2.3 and v3.0).
    public var doubleMasterReceive: ResumePoint?

    public init(
        layout: ManifestLayout = .v3_3, fileNumber: FileNumber, offset: UInt64, logicID: UInt64? = nil,
        term: UInt32? = nil, itemCount: UInt32? = nil, doubleMasterReceive: ResumePoint? = nil
    ) {
        self.layout = layout
        self.fileNumber = fileNumber
        self.offset = offset
        self.logicID = logicID
        self.term = term
        self.itemCount = itemCount
        self.doubleMasterReceive = doubleMasterReceive
    }

    /// `(pro_num, pro_offset)` as a resume point.
    public var producer: ResumePoint { ResumePoint(fileNumber: fileNumber, offset: offset) }

    /// Decodes the fields of `layout` from the start of a manifest.
    /// - Parameters:
    ///   - bytes: the file's bytes (normally 65536; only the first ``ManifestLayout/fieldByteCount`` are read).
    ///   - layout: the layout to read.
    /// - Returns: the manifest, or `nil` when `bytes` is shorter than the layout's fields.
    public static func decode(_ bytes: [UInt8], layout: ManifestLayout) -> Manifest? {
        guard bytes.count >= layout.fieldByteCount else { return nil }
        let f = layout.fields
        var m = Manifest(
            layout: layout, fileNumber: bytes.metadataUInt32(at: f.proNum), offset: bytes.metadataUInt64(at: f.proOffset),
            logicID: f.logicID.map { bytes.metadataUInt64(at: $0) }, term: f.term.map { bytes.metadataUInt32(at: $0) },
            itemCount: f.itemCount.map { bytes.metadataUInt32(at: $0) })
        if let number = f.doubleMasterReceiveNum, let offset = f.doubleMasterReceiveOffset {
            m.doubleMasterReceive = ResumePoint(
                fileNumber: bytes.metadataUInt32(at: number), offset: bytes.metadataUInt64(at: offset))
        }
        return m
    }

    /// The 65536-byte file Pika would write: the fields of `layout`, everything else zero.
    ///
    /// The default, v3.3, is what Pika v3.3.0–v4.0.1 writes (`Version::StableSave`,
    /// `src/pika_binlog.cc@v3.5.2`). Fields the manifest lacks are written as 0; fields the layout
    /// lacks are dropped.
    public func encoded(as layout: ManifestLayout = .v3_3) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.byteCount)
        let f = layout.fields
        bytes.setMetadataField(fileNumber, at: f.proNum)
        bytes.setMetadataField(offset, at: f.proOffset)
        if let at = f.logicID { bytes.setMetadataField(logicID ?? 0, at: at) }
        if let at = f.term { bytes.setMetadataField(term ?? 0, at: at) }
        if let at = f.itemCount { bytes.setMetadataField(itemCount ?? 0, at: at) }
        if let number = f.doubleMasterReceiveNum, let at = f.doubleMasterReceiveOffset {
            bytes.setMetadataField(doubleMasterReceive?.fileNumber ?? 0, at: number)
            bytes.setMetadataField(doubleMasterReceive?.offset ?? 0, at: at)
        }
        return bytes
    }
}

/// Which ``ManifestLayout`` a manifest was read with, and why.
public struct ManifestDetection: Hashable, Sendable, CustomStringConvertible {
    public var layout: ManifestLayout
    /// One or two sentences naming the bytes that decided it.
    public var reason: String
    /// The caller chose the layout; nothing was inferred.
    public var isForced: Bool
    /// False when the bytes fit both families (or neither) and a default was taken.
    public var isConfident: Bool

    public init(layout: ManifestLayout, reason: String, isForced: Bool = false, isConfident: Bool = true) {
        self.layout = layout
        self.reason = reason
        self.isForced = isForced
        self.isConfident = isConfident
    }

    public var description: String { "\(layout.rawValue): \(reason)" }

    /// Bytes needed to tell the families apart (u32 at byte 20).
    public static let minimumByteCount = 24

    /// Tells v2 from v3 and picks the layout within the family (Docs/Format.md §M1).
    ///
    /// Rules, in order:
    /// 1. With the directory's highest `write2file<N>`: v3 has `u32@0 == N`, v2 has `u32@20 == N`.
    ///    A match in a family the content rules out (v2 leaves bytes 8–19 zero; neither family
    ///    holds an offset past Pika's `int`) is chance: term 0 beside `write2file0` alone.
    ///    If both hold, v3 is taken (not confident). If neither holds (stale files above the
    ///    manifest, or a manifest behind), rule 2 decides, confident only when the content rules
    ///    one family out.
    /// 2. By content: bytes 12–19 set (v3's `logic_id`; v2 leaves 8–19 zero) → v3; an offset
    ///    that cannot fit Pika's `int` rules a family out; bytes 8–19 zero with u32@20 set is
    ///    v2's shape. Otherwise v3.
    /// 3. Within v2: bytes 24–35 set → v2.3, else v2.0 (identical when the v2.3 fields are 0).
    ///    Within v3: bytes 24–31 set → v3.0 (`double_master_recv_offset`), else v3.3, whose
    ///    term (u32@20) is 0 or stale in a v3.1–v3.2 file.
    /// - Parameters:
    ///   - bytes: the manifest's bytes; missing bytes read as zero.
    ///   - highestFileNumber: the largest `N` of the directory's `write2file<N>`, if any.
    public static func detect(_ bytes: [UInt8], highestFileNumber: FileNumber?) -> ManifestDetection {
        let v2 = ManifestLayout.v2_3.fields, v3 = ManifestLayout.v3_0.fields
        let at0 = bytes.metadataUInt32(at: v3.proNum)
        let at20 = bytes.metadataUInt32(at: v2.proNum)
        var family: ManifestLayout.Family
        var reason: String
        var confident = true
        // What the content rules out, whatever the file numbers say: a v2 manifest leaves bytes
        // 8–19 zero and never holds an offset past Pika's `int`; nor does a v3 one.
        let v2Possible =
            bytes.metadataUInt64(at: v2.proOffset) <= UInt64(Int32.max)
            && !((v2.proOffset + 8)..<v2.proNum).contains { $0 < bytes.count && bytes[$0] != 0 }
        let v3Possible = bytes.metadataUInt64(at: v3.proOffset) <= UInt64(Int32.max)
        if let n = highestFileNumber {
            // A file number that matches in a family the content rules out matches by chance (a
            // term or offset equal to N: term 0 beside write2file0 alone).
            let v3Match = at0 == n && v3Possible
            let v2Match = at20 == n && v2Possible
            switch (v3Match, v2Match) {
            case (true, false):
                family = .v3
                reason =
                    "u32 at byte 0 is \(n), the highest binlog file number (write2file\(n)), as in v3+; "
                    + "u32 at byte 20 is \(at20), not \(n)"
            case (false, true):
                family = .v2
                reason =
                    "u32 at byte 20 is \(n), the highest binlog file number (write2file\(n)), as in v2; "
                    + "u32 at byte 0 is \(at0), not \(n)"
            case (true, true):
                family = .v3
                confident = false
                reason =
                    "both u32 at byte 0 and u32 at byte 20 equal the highest binlog file number \(n), "
                    + "so both layouts fit; taking v3+ (more common)"
            case (false, false):
                (family, reason) = detectByContent(bytes)
                // Content that only one family can hold decides.
                confident = v2Possible != v3Possible
                reason =
                    (at0 == n || at20 == n
                        ? "u32 at byte \(at0 == n ? 0 : 20) equals the highest binlog file number \(n), but the "
                            + "content rules that layout out; "
                        : "neither u32 at byte 0 (\(at0)) nor u32 at byte 20 (\(at20)) equals the highest binlog "
                            + "file number \(n); ") + reason
            }
        } else {
            (family, reason) = detectByContent(bytes)
            confident = false
            reason = "no binlog files to compare with; " + reason
        }

        let layout: ManifestLayout
        switch family {
        case .v2:
            if (v2.doubleMasterReceiveOffset!..<(v2.doubleMasterReceiveNum! + 4)).contains(where: { $0 < bytes.count && bytes[$0] != 0 }) {
                layout = .v2_3
                reason += "; bytes 24–35 (double-master receive offset/number) are set, so v2.3"
            } else {
                layout = .v2_0
                reason += "; bytes 24–35 are zero, so read as v2.0–v2.2 (same as v2.3 without double-master state)"
            }
        case .v3:
            if bytes.metadataUInt64(at: v3.doubleMasterReceiveOffset!) != 0 {
                layout = .v3_0
                reason +=
                    "; bytes 24–31 (v3.0 double_master_recv_offset) are set, so v3.0 "
                    + "(or a later manifest carried over from v3.0)"
            } else {
                layout = .v3_3
                reason +=
                    "; bytes 24–31 are zero, so read as v3.3–v4.0.1 (term at byte 20; "
                    + "v3.1–v3.2 leave it 0 or stale)"
            }
        }
        return ManifestDetection(layout: layout, reason: reason, isConfident: confident)
    }

    private static func detectByContent(_ bytes: [UInt8]) -> (ManifestLayout.Family, String) {
        let intMax = UInt64(Int32.max)
        let v2 = ManifestLayout.v2_0.fields, v3 = ManifestLayout.v3_3.fields
        let v2Offset = bytes.metadataUInt64(at: v2.proOffset)
        let v3Offset = bytes.metadataUInt64(at: v3.proOffset)
        let at20 = bytes.metadataUInt32(at: v2.proNum)
        let logicIDSet = (v3.logicID!..<(v3.logicID! + 8)).contains { $0 < bytes.count && bytes[$0] != 0 }
        if logicIDSet {
            return (.v3, "by content v3+: bytes 12–19 (v3 logic_id) are set, which v2 leaves zero")
        }
        if v2Offset > intMax {
            return (.v3, "by content v3+: as v2, u64 at byte 0 would be an impossible offset (\(v2Offset))")
        }
        if v3Offset > intMax {
            return (.v2, "by content v2: as v3, u64 at byte 4 would be an impossible offset (\(v3Offset))")
        }
        if at20 != 0 {
            return (
                .v2,
                "by content v2: bytes 8–19 are zero as v2 leaves them (v3 keeps logic_id there) and u32 at byte 20 "
                    + "(\(at20)) reads as v2's file number"
            )
        }
        return (.v3, "by content both layouts are plausible (bytes 8–23 are zero); taking v3+ (more common)")
    }
}

/// A failure to read a fixed-layout 64 KiB metadata file (`manifest`, `context`).
public enum MetadataFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read.
    case io(BinlogIOError)
    /// The file is shorter than the fields to decode.
    /// - `byteCount`: the file's size; `required`: bytes needed; `what`: `manifest` or `context`.
    case tooShort(path: String, byteCount: UInt64, required: Int, what: String)

    public var path: String {
        switch self {
        case .io(let e): e.path
        case .tooShort(let path, _, _, _): path
        }
    }

    public var description: String {
        switch self {
        case .io(let e): e.description
        case .tooShort(let path, let byteCount, let required, let what):
            "\(path): \(what) file is \(byteCount) bytes, too short to decode (needs at least \(required); "
                + "Pika always writes \(Manifest.byteCount)); it may be truncated or not a Pika \(what)"
        }
    }
}

/// A manifest read from disk, with the layout used and the reason for it.
public struct ManifestFile: Hashable, Sendable {
    public var path: String
    /// The file's size; Pika's are always ``Manifest/byteCount`` (65536).
    public var byteCount: UInt64
    public var manifest: Manifest
    public var detection: ManifestDetection

    public init(path: String, byteCount: UInt64, manifest: Manifest, detection: ManifestDetection) {
        self.path = path
        self.byteCount = byteCount
        self.manifest = manifest
        self.detection = detection
    }

    /// The same file read again in the layout found the first time: where a live server's manifest
    /// stands now. Nil when it can no longer be read.
    public func readAgain() -> Manifest? {
        try? ManifestFile.read(path: path, highestFileNumber: nil, layout: detection.layout).manifest
    }

    /// Reads and decodes a `manifest` file.
    /// - Parameters:
    ///   - path: the file.
    ///   - highestFileNumber: the directory's highest `write2file<N>`, for layout detection.
    ///   - layout: force this layout instead of detecting one.
    /// - Throws: ``MetadataFileError``: `.io` when unreadable, `.tooShort` (with path and size)
    ///   when smaller than the fields needed.
    public static func read(path: String, highestFileNumber: FileNumber?, layout: ManifestLayout? = nil)
        throws(MetadataFileError) -> ManifestFile
    {
        let (bytes, byteCount): ([UInt8], UInt64)
        do {
            (bytes, byteCount) = try FileSystemAccess.readPrefix(of: path, maxByteCount: Manifest.byteCount)
        } catch {
            throw .io(error)
        }
        let required = layout?.fieldByteCount ?? ManifestDetection.minimumByteCount
        guard bytes.count >= required else {
            throw .tooShort(path: path, byteCount: byteCount, required: required, what: "manifest")
        }
        let detection =
            layout.map {
                ManifestDetection(layout: $0, reason: "layout \($0.rawValue) forced by the caller", isForced: true)
            } ?? ManifestDetection.detect(bytes, highestFileNumber: highestFileNumber)
        guard let manifest = Manifest.decode(bytes, layout: detection.layout) else {
            throw .tooShort(
                path: path, byteCount: byteCount, required: detection.layout.fieldByteCount, what: "manifest")
        }
        return ManifestFile(path: path, byteCount: byteCount, manifest: manifest, detection: detection)
    }
}
