import BinlogFormat
import Foundation
import Testing

@Suite struct ManifestTests {
    /// Every real case's manifest, with the values from its NOTES.md.
    struct RealCase: CustomTestStringConvertible, Sendable {
        var directory: String
        var fileNumber: FileNumber
        var offset: UInt64
        var logicID: UInt64
        var committed: Bool
        var testDescription: String { directory }
    }

    static let realCases: [RealCase] = [
        RealCase(directory: "basic/binlog/log_db0", fileNumber: 6, offset: 70544, logicID: 388, committed: true),
        RealCase(directory: "minsize/binlog/log_db0", fileNumber: 20, offset: 81, logicID: 97, committed: true),
        RealCase(directory: "crash/binlog/log_db0", fileNumber: 1, offset: 615216, logicID: 203, committed: true),
        RealCase(directory: "bgsave/binlog/log_db0", fileNumber: 11, offset: 229610, logicID: 20234, committed: false),
        RealCase(directory: "slave/master/binlog/log_db0", fileNumber: 11, offset: 56125, logicID: 300, committed: true),
        RealCase(directory: "slave/slave/binlog/log_db0", fileNumber: 11, offset: 56125, logicID: 100, committed: true),
        RealCase(directory: "v4-basic/binlog/log_db0", fileNumber: 6, offset: 54435, logicID: 342, committed: true),
        RealCase(directory: "v4-bgsave/binlog/log_db0", fileNumber: 10, offset: 135513, logicID: 18169, committed: false),
        RealCase(directory: "v4-slave/master/binlog/log_db0", fileNumber: 12, offset: 57577, logicID: 303, committed: true),
        RealCase(directory: "v4-slave/slave/binlog/log_db0", fileNumber: 12, offset: 57577, logicID: 142, committed: true),
    ]

    @Test(arguments: realCases)
    func realManifestMatchesNotes(_ c: RealCase) throws {
        // bgsave binlogs are not committed (size); they are read from the shared copy when present.
        guard let path = MetadataFixtures.path(c.directory + "/manifest") else {
            #expect(!c.committed, "committed fixture missing: \(c.directory)")
            return
        }
        // In every case the manifest's file is the directory's highest file.
        let file = try ManifestFile.read(path: path, highestFileNumber: c.fileNumber)
        #expect(file.byteCount == 65536)
        #expect(file.detection.layout == .v3_3)
        #expect(file.detection.isConfident)
        #expect(!file.detection.isForced)
        #expect(file.detection.reason.contains("byte 0 is \(c.fileNumber)"))
        #expect(
            file.manifest
                == Manifest(layout: .v3_3, fileNumber: c.fileNumber, offset: c.offset, logicID: c.logicID, term: 0))
        #expect(file.manifest.producer == ResumePoint(fileNumber: c.fileNumber, offset: c.offset))

        // Pika's own bytes come back byte for byte.
        let bytes = try MetadataFixtures.read(path)
        #expect(file.manifest.encoded() == bytes)

        // Without a file number the content alone still says v3.
        let blind = ManifestDetection.detect(bytes, highestFileNumber: nil)
        #expect(blind.layout == .v3_3)
        #expect(!blind.isConfident)
    }

    @Test func committedRealCasesArePresent() {
        for c in Self.realCases where c.committed {
            #expect(FileManager.default.fileExists(atPath: MetadataFixtures.committedPath(c.directory + "/manifest")))
        }
    }

    // MARK: - v2 layouts

    @Test func v2ManifestIsDetectedByByte20() throws {
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        let original = Manifest(layout: .v2_0, fileNumber: 5, offset: 70544, itemCount: 0)
        let bytes = original.encoded(as: .v2_0)
        #expect(bytes.count == 65536)
        #expect(Array(bytes[0..<8]) == [0x90, 0x13, 0x01, 0, 0, 0, 0, 0])  // 70544 LE at 0
        #expect(Array(bytes[20..<24]) == [5, 0, 0, 0])
        try MetadataFixtures.write(bytes, to: dir + "/manifest")

        let file = try ManifestFile.read(path: dir + "/manifest", highestFileNumber: 5)
        #expect(file.detection.layout == .v2_0)
        #expect(file.detection.isConfident)
        #expect(file.detection.reason.contains("byte 20 is 5"))
        #expect(file.manifest == original)
        #expect(file.manifest.logicID == nil)
        #expect(file.manifest.term == nil)
    }

    @Test func v23ManifestWithDoubleMasterFields() {
        let original = Manifest(
            layout: .v2_3, fileNumber: 9, offset: 1234, itemCount: 0,
            doubleMasterReceive: ResumePoint(fileNumber: 3, offset: 777))
        let bytes = original.encoded(as: .v2_3)
        let detection = ManifestDetection.detect(bytes, highestFileNumber: 9)
        #expect(detection.layout == .v2_3)
        #expect(detection.reason.contains("bytes 24–35"))
        #expect(Manifest.decode(bytes, layout: detection.layout) == original)
    }

    @Test func v30ManifestWithDoubleMasterOffset() {
        let original = Manifest(
            layout: .v3_0, fileNumber: 4, offset: 99, logicID: 1000,
            doubleMasterReceive: ResumePoint(fileNumber: 2, offset: 4096))
        let bytes = original.encoded(as: .v3_0)
        let detection = ManifestDetection.detect(bytes, highestFileNumber: 4)
        #expect(detection.layout == .v3_0)
        #expect(Manifest.decode(bytes, layout: .v3_0) == original)
    }

    /// Spec pitfall 12: reading a v2 manifest as v3 swaps file number and offset.
    @Test func forcingTheWrongFamilyMisreadsAsPikaWould() throws {
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        let v2 = Manifest(layout: .v2_0, fileNumber: 5, offset: 70544, itemCount: 0)
        try MetadataFixtures.write(v2.encoded(as: .v2_0), to: dir + "/manifest")
        let forced = try ManifestFile.read(path: dir + "/manifest", highestFileNumber: 5, layout: .v3_3)
        #expect(forced.detection.isForced)
        #expect(forced.detection.layout == .v3_3)
        #expect(forced.detection.reason.contains("forced"))
        #expect(forced.manifest.fileNumber == 70544)
        #expect(forced.manifest.term == 5)
    }

    // MARK: - Round trips and encoding

    static let everyLayout: [Manifest] = [
        Manifest(layout: .v2_0, fileNumber: 17, offset: 0x7fff_fff0, itemCount: 3),
        Manifest(
            layout: .v2_3, fileNumber: 0xffff_fffe, offset: 65536, itemCount: 0,
            doubleMasterReceive: ResumePoint(fileNumber: 1, offset: 2)),
        Manifest(
            layout: .v3_0, fileNumber: 3, offset: 4, logicID: 0x0102_0304_0506_0708,
            doubleMasterReceive: ResumePoint(fileNumber: 7, offset: 8)),
        Manifest(layout: .v3_1, fileNumber: 100, offset: 200, logicID: 300),
        Manifest(layout: .v3_3, fileNumber: 6, offset: 70544, logicID: 388, term: 9),
    ]

    @Test(arguments: everyLayout)
    func roundTripEveryLayout(_ m: Manifest) {
        let bytes = m.encoded(as: m.layout)
        #expect(bytes.count == Manifest.byteCount)
        #expect(bytes[m.layout.fieldByteCount...].allSatisfy { $0 == 0 })
        #expect(Manifest.decode(bytes, layout: m.layout) == m)
        #expect(Manifest.decode(bytes, layout: m.layout)?.encoded(as: m.layout) == bytes)
    }

    @Test func defaultEncodingIsV33Layout() {
        let m = Manifest(layout: .v3_3, fileNumber: 0x0403_0201, offset: 0x0c0b_0a09_0807_0605, logicID: 0x1413_1211_100f_0e0d, term: 0x1817_1615)
        let bytes = m.encoded()
        #expect(bytes.count == 65536)
        #expect(Array(bytes[0..<24]) == Array(1...24))
        #expect(bytes[24...].allSatisfy { $0 == 0 })
        // A v2 manifest written by binlogtool becomes the v3.3 layout, like Pika after an upgrade.
        let v2 = Manifest(layout: .v2_0, fileNumber: 5, offset: 10, itemCount: 0)
        #expect(Manifest.decode(v2.encoded(), layout: .v3_3) == Manifest(fileNumber: 5, offset: 10, logicID: 0, term: 0))
    }

    // MARK: - Detection edge cases

    @Test func bothFamiliesFitTakesV3WithoutConfidence() {
        // Fresh directory: everything zero, highest file 0.
        let zero = [UInt8](repeating: 0, count: 65536)
        let d = ManifestDetection.detect(zero, highestFileNumber: 0)
        #expect(d.layout == .v3_3)
        #expect(!d.isConfident)
        #expect(d.reason.contains("both"))
    }

    @Test func neitherFamilyMatchesFallsBackToContent() {
        // Manifest says file 11 while a stale write2file13 exists above it (Docs/Format.md §B14).
        let v3 = Manifest(fileNumber: 11, offset: 56125, logicID: 100, term: 0).encoded()
        let d3 = ManifestDetection.detect(v3, highestFileNumber: 13)
        #expect(d3.layout == .v3_3)
        // Its logic id (bytes 12–19) is content v2 never holds: the content decides (issue 12.5).
        #expect(d3.isConfident)
        #expect(d3.reason.contains("neither"))

        let v2 = Manifest(layout: .v2_0, fileNumber: 11, offset: 56125, itemCount: 0).encoded(as: .v2_0)
        let d2 = ManifestDetection.detect(v2, highestFileNumber: 13)
        #expect(d2.layout == .v2_0)
        #expect(!d2.isConfident)
    }

    // MARK: - Errors

    @Test(arguments: [0, 1, 19, 23])
    func shortManifestIsAnError(_ size: Int) throws {
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        let path = dir + "/manifest"
        try MetadataFixtures.write([UInt8](repeating: 1, count: size), to: path)
        #expect(throws: MetadataFileError.tooShort(path: path, byteCount: UInt64(size), required: 24, what: "manifest")) {
            try ManifestFile.read(path: path, highestFileNumber: 1)
        }
        let error = #expect(throws: MetadataFileError.self) {
            try ManifestFile.read(path: path, highestFileNumber: 1)
        }
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("\(size) bytes") == true)
    }

    @Test func shortManifestForLayoutWithMoreFields() throws {
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        let path = dir + "/manifest"
        try MetadataFixtures.write([UInt8](repeating: 0, count: 30), to: path)
        #expect(throws: MetadataFileError.tooShort(path: path, byteCount: 30, required: 36, what: "manifest")) {
            try ManifestFile.read(path: path, highestFileNumber: nil, layout: .v2_3)
        }
        // Auto-detection needs only 24 bytes; a short but decodable file is read, and its size kept.
        let file = try ManifestFile.read(path: path, highestFileNumber: 0)
        #expect(file.byteCount == 30)
    }

    @Test func missingManifestIsAnIOError() {
        let path = "/nonexistent-binlogtool-test/manifest"
        let error = #expect(throws: MetadataFileError.self) {
            try ManifestFile.read(path: path, highestFileNumber: nil)
        }
        guard case .io(let io) = error else {
            Issue.record("expected an I/O error, got \(String(describing: error))")
            return
        }
        #expect(io.kind == .missing)
        #expect(io.path == path)
    }
}

@Suite struct ConsensusContextTests {
    @Test func roundTrip() {
        let c = ConsensusContext(
            applied: ResumePoint(fileNumber: 7, offset: 1360), appliedTerm: 3, appliedIndex: 0x1_0000_0001)
        let bytes = c.encoded()
        #expect(bytes.count == 65536)
        #expect(Array(bytes[0..<4]) == [7, 0, 0, 0])
        #expect(Array(bytes[4..<12]) == [0x50, 0x05, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[12..<16]) == [3, 0, 0, 0])
        #expect(Array(bytes[16..<24]) == [1, 0, 0, 0, 1, 0, 0, 0])
        #expect(bytes[24...].allSatisfy { $0 == 0 })
        #expect(ConsensusContext.decode(bytes) == c)
        #expect(ConsensusContext.decode(Array(bytes[0..<23])) == nil)
    }

    @Test func readFromFileAndShortFile() throws {
        let dir = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(dir) }
        let c = ConsensusContext(applied: ResumePoint(fileNumber: 1, offset: 2), appliedTerm: 3, appliedIndex: 4)
        try MetadataFixtures.write(c.encoded(), to: dir + "/context")
        #expect(try ConsensusContext.read(path: dir + "/context") == c)

        try MetadataFixtures.write([1, 2, 3], to: dir + "/short")
        #expect(throws: MetadataFileError.tooShort(path: dir + "/short", byteCount: 3, required: 24, what: "context")) {
            try ConsensusContext.read(path: dir + "/short")
        }
    }
}
