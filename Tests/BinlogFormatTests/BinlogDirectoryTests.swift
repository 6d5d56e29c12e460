import BinlogFormat
import Foundation
import Testing

@Suite struct BinlogDirectoryTests {
    // MARK: - Real directories

    struct RealCase: CustomTestStringConvertible, Sendable {
        var directory: String
        var numbers: ClosedRange<FileNumber>
        var manifest: Manifest
        var testDescription: String { directory }
    }

    static let realCases: [RealCase] = [
        RealCase(
            directory: "basic/binlog/log_db0", numbers: 0...6,
            manifest: Manifest(fileNumber: 6, offset: 70544, logicID: 388, term: 0)),
        RealCase(
            directory: "minsize/binlog/log_db0", numbers: 0...20,
            manifest: Manifest(fileNumber: 20, offset: 81, logicID: 97, term: 0)),
        RealCase(
            directory: "slave/master/binlog/log_db0", numbers: 0...11,
            manifest: Manifest(fileNumber: 11, offset: 56125, logicID: 300, term: 0)),
        // Slaves hold only the files from the full-sync point on (Docs/Format.md §B14: normal).
        RealCase(
            directory: "slave/slave/binlog/log_db0", numbers: 7...11,
            manifest: Manifest(fileNumber: 11, offset: 56125, logicID: 100, term: 0)),
        RealCase(
            directory: "v4-basic/binlog/log_db0", numbers: 0...6,
            manifest: Manifest(fileNumber: 6, offset: 54435, logicID: 342, term: 0)),
        RealCase(
            directory: "v4-slave/master/binlog/log_db0", numbers: 0...12,
            manifest: Manifest(fileNumber: 12, offset: 57577, logicID: 303, term: 0)),
        RealCase(
            directory: "v4-slave/slave/binlog/log_db0", numbers: 7...12,
            manifest: Manifest(fileNumber: 12, offset: 57577, logicID: 142, term: 0)),
    ]

    @Test(arguments: realCases)
    func realBinlogDirectory(_ c: RealCase) throws {
        let path = MetadataFixtures.committedPath(c.directory)
        let dir = try BinlogDirectory(path: path)
        #expect(dir.path == path)
        #expect(dir.layout == .binlogDirectory)
        #expect(dir.files.map(\.fileNumber) == Array(c.numbers))
        #expect(dir.files.allSatisfy { !$0.compressed })
        #expect(dir.files.map(\.path) == c.numbers.map { path + "/write2file\($0)" })
        #expect(dir.findings.isEmpty)
        #expect(dir.missingFileNumbers.isEmpty)
        let manifest = try #require(dir.manifest)
        #expect(manifest.manifest == c.manifest)
        #expect(manifest.detection.layout == .v3_3)
        #expect(manifest.detection.isConfident)
        #expect(dir.context == nil)
        for entry in dir.files {
            let size = try FileManager.default.attributesOfItem(atPath: entry.path)[.size] as? UInt64
            #expect(entry.byteCount == size)
        }
    }

    @Test func basicFileSizesMatchNotes() throws {
        let dir = try BinlogDirectory(path: MetadataFixtures.committedPath("basic/binlog/log_db0"))
        #expect(dir.files.map(\.byteCount) == [285634, 166177, 131466, 131566, 131312, 131232, 70544])
        let slave = try BinlogDirectory(path: MetadataFixtures.committedPath("slave/slave/binlog/log_db0"))
        #expect(slave.files.map(\.byteCount) == [77170, 210109, 100100, 66086, 56125])
        #expect(slave.files.first?.fileNumber == 7)
    }

    // MARK: - Log roots

    @Test(arguments: [nil, "db0", "log_db0", "log_db0/"] as [String?])
    func basicBinlogIsALogRootHoldingLogDb0(_ db: String?) throws {
        let root = MetadataFixtures.committedPath("basic/binlog")
        let dir = try BinlogDirectory(path: root, db: db)
        #expect(dir.layout == .database("db0"))
        #expect(dir.path == root + "/log_db0")
        #expect(dir.files.map(\.fileNumber) == Array(0...6))
        #expect(dir.manifest?.manifest.producer == ResumePoint(fileNumber: 6, offset: 70544))
        #expect(dir.findings.isEmpty)
    }

    @Test func unknownDatabaseListsTheChoices() {
        let root = MetadataFixtures.committedPath("basic/binlog")
        #expect(throws: BinlogDirectoryError.unknownDatabase(path: root, requested: "db1", choices: ["db0"])) {
            try BinlogDirectory(path: root, db: "db1")
        }
    }

    @Test func binlogDirectoryGivenWithItsOwnDbName() throws {
        let path = MetadataFixtures.committedPath("basic/binlog/log_db0")
        let dir = try BinlogDirectory(path: path, db: "db0")
        #expect(dir.layout == .database("db0"))
        #expect(dir.path == path)
    }

    @Test func severalDatabasesAreAmbiguousUntilChosen() throws {
        let root = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(root) }
        let source = MetadataFixtures.committedPath("minsize/binlog/log_db0")
        for db in ["db0", "db2", "db10"] {
            try MetadataFixtures.copyFiles(
                of: source, to: root + "/log_\(db)", only: ["manifest", "write2file19", "write2file20"])
        }
        try MetadataFixtures.makeDirectory(root + "/log_empty")  // no binlogs: not a choice
        try MetadataFixtures.write([1], to: root + "/pika.INFO")

        #expect(throws: BinlogDirectoryError.ambiguousDatabase(path: root, choices: ["db0", "db2", "db10"])) {
            try BinlogDirectory(path: root)
        }
        let error = #expect(throws: BinlogDirectoryError.self) { try BinlogDirectory(path: root) }
        #expect(error?.description.contains("db0, db2, db10") == true)
        #expect(error?.description.contains(root) == true)

        let chosen = try BinlogDirectory(path: root, db: "db10")
        #expect(chosen.layout == .database("db10"))
        #expect(chosen.path == root + "/log_db10")
        #expect(chosen.files.map(\.fileNumber) == [19, 20])
        #expect(chosen.findings.isEmpty)

        #expect(
            throws: BinlogDirectoryError.unknownDatabase(path: root, requested: "db1", choices: ["db0", "db2", "db10"])
        ) {
            try BinlogDirectory(path: root, db: "db1")
        }
    }

    @Test func shardingLayoutTablePartition() throws {
        let root = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(root) }
        let source = MetadataFixtures.committedPath("minsize/binlog/log_db0")
        try MetadataFixtures.copyFiles(of: source, to: root + "/log_t1/0", only: ["manifest", "write2file20"])
        try MetadataFixtures.copyFiles(of: source, to: root + "/log_t1/1", only: ["manifest", "write2file19", "write2file20"])

        #expect(throws: BinlogDirectoryError.ambiguousDatabase(path: root, choices: ["t1/0", "t1/1"])) {
            try BinlogDirectory(path: root)
        }
        let one = try BinlogDirectory(path: root, db: "log_t1/1")
        #expect(one.layout == .partition(table: "t1", partition: "1"))
        #expect(one.path == root + "/log_t1/1")
        #expect(one.files.map(\.fileNumber) == [19, 20])

        // Starting from log_<table>/ itself, the partition number alone chooses.
        let table = try BinlogDirectory(path: root + "/log_t1", db: "0")
        #expect(table.layout == .partition(table: "t1", partition: "0"))
        #expect(table.files.map(\.fileNumber) == [20])
    }

    /// v2.x / v3.0: binlogs directly in log-path, next to glog's files; a v2 manifest.
    @Test func v2LogPathWithGlogFiles() throws {
        let root = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(root) }
        let source = MetadataFixtures.committedPath("minsize/binlog/log_db0")
        for n in 0...2 {
            try MetadataFixtures.write(try MetadataFixtures.read(source + "/write2file\(n)"), to: root + "/write2file\(n)")
        }
        let v2 = Manifest(layout: .v2_0, fileNumber: 2, offset: 1097, itemCount: 0)
        try MetadataFixtures.write(v2.encoded(as: .v2_0), to: root + "/manifest")
        for name in ["pika.INFO", "pika.host.user.log.INFO.20240101-000000.4242", "pika.ERROR", "pika.pid", "notes.txt"] {
            try MetadataFixtures.write(Array("log\n".utf8), to: root + "/" + name)
        }

        let dir = try BinlogDirectory(path: root)
        #expect(dir.layout == .logPath)
        #expect(dir.files.map(\.fileNumber) == [0, 1, 2])
        #expect(dir.findings.isEmpty)
        let manifest = try #require(dir.manifest)
        #expect(manifest.detection.layout == .v2_0)
        #expect(manifest.detection.reason.contains("byte 20 is 2"))
        #expect(manifest.manifest == v2)
    }

    // MARK: - Findings

    @Test func gapsAreListed() throws {
        let root = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(root) }
        try MetadataFixtures.copyFiles(of: MetadataFixtures.committedPath("minsize/binlog/log_db0"), to: root)
        for n in [5, 9, 10] { try FileManager.default.removeItem(atPath: root + "/write2file\(n)") }

        let dir = try BinlogDirectory(path: root)
        #expect(dir.files.map(\.fileNumber) == [0, 1, 2, 3, 4, 6, 7, 8] + Array(11...20))
        #expect(dir.missingFileNumbers == [5...5, 9...10])
        #expect(dir.findings == [.gap(missing: 5...5), .gap(missing: 9...10)])
        #expect(dir.findings.allSatisfy { $0.severity == .warning })
        #expect(dir.findings[1].description.contains("write2file9…write2file10"))
    }

    @Test func staleFilesAboveTheManifest() throws {
        let root = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(root) }
        let source = MetadataFixtures.committedPath("slave/slave/binlog/log_db0")
        try MetadataFixtures.copyFiles(of: source, to: root)
        try MetadataFixtures.write(try MetadataFixtures.read(source + "/write2file8"), to: root + "/write2file13")

        let dir = try BinlogDirectory(path: root)
        #expect(dir.files.map(\.fileNumber) == [7, 8, 9, 10, 11, 13])
        let manifest = try #require(dir.manifest)
        #expect(manifest.manifest.fileNumber == 11)
        #expect(manifest.detection.layout == .v3_3)
        // The logic id in bytes 12–19 is content only v3+ holds: no guess (issue 12.5).
        #expect(manifest.detection.isConfident)
        #expect(
            dir.findings == [
                .gap(missing: 12...12),
                .filesAboveManifest(manifestFileNumber: 11, fileNumbers: [13]),
            ])
    }

    @Test func missingAndUnreadableManifest() throws {
        let root = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(root) }
        let source = MetadataFixtures.committedPath("slave/slave/binlog/log_db0")
        try MetadataFixtures.copyFiles(of: source, to: root, only: ["write2file7", "write2file8"])

        let none = try BinlogDirectory(path: root)
        #expect(none.manifest == nil)
        #expect(none.findings == [.manifestMissing(directory: root)])

        try MetadataFixtures.write([1, 2, 3], to: root + "/manifest")
        let short = try BinlogDirectory(path: root)
        #expect(short.manifest == nil)
        #expect(
            short.findings == [
                .manifestUnreadable(.tooShort(path: root + "/manifest", byteCount: 3, required: 24, what: "manifest"))
            ])

        // The manifest names a file that is not here.
        try MetadataFixtures.write(Manifest(fileNumber: 9, offset: 10, logicID: 1, term: 0).encoded(), to: root + "/manifest")
        let ahead = try BinlogDirectory(path: root)
        #expect(ahead.findings.contains(.manifestFileMissing(9)))
    }

    @Test func forcedManifestLayout() throws {
        let path = MetadataFixtures.committedPath("basic/binlog/log_db0")
        let dir = try BinlogDirectory(path: path, manifestLayout: .v2_0)
        let manifest = try #require(dir.manifest)
        #expect(manifest.detection.isForced)
        // Read as v2, pro_num is u32@20 (the v3 term, 0) and pro_offset is u64@0.
        #expect(manifest.manifest.fileNumber == 0)
        #expect(dir.findings.contains(.filesAboveManifest(manifestFileNumber: 0, fileNumbers: Array(1...6))))
    }

    @Test func contextIsRead() throws {
        let root = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(root) }
        let source = MetadataFixtures.committedPath("slave/slave/binlog/log_db0")
        try MetadataFixtures.copyFiles(of: source, to: root)
        let context = ConsensusContext(applied: ResumePoint(fileNumber: 11, offset: 56125), appliedTerm: 1, appliedIndex: 100)
        try MetadataFixtures.write(context.encoded(), to: root + "/context")
        let dir = try BinlogDirectory(path: root)
        #expect(dir.context == context)
        #expect(dir.findings.isEmpty)

        try MetadataFixtures.write([0], to: root + "/context")
        let bad = try BinlogDirectory(path: root)
        #expect(bad.context == nil)
        #expect(bad.findings == [.contextUnreadable(.tooShort(path: root + "/context", byteCount: 1, required: 24, what: "context"))])
    }

    @Test func unrelatedAndLookAlikeNames() throws {
        let root = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(root) }
        let source = MetadataFixtures.committedPath("slave/slave/binlog/log_db0")
        try MetadataFixtures.copyFiles(of: source, to: root)
        for name in ["write2file3.bak", "write2file007", "write2file", "write2file99999999999", "README", "write3file1"] {
            try MetadataFixtures.write([0], to: root + "/" + name)
        }
        try MetadataFixtures.makeDirectory(root + "/write2file12")  // a directory is not a binlog file

        let dir = try BinlogDirectory(path: root)
        #expect(dir.files.map(\.fileNumber) == [7, 8, 9, 10, 11])
        let names = dir.findings.compactMap { finding -> String? in
            if case .unrecognizedBinlogName(let name) = finding { name } else { nil }
        }
        #expect(
            Set(names) == ["write2file3.bak", "write2file007", "write2file", "write2file99999999999", "write2file12"])
        #expect(dir.findings.allSatisfy { $0.severity == .note })
    }

    @Test func compressedEntriesAndDuplicates() throws {
        let root = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(root) }
        let source = MetadataFixtures.committedPath("minsize/binlog/log_db0")
        let plain0 = try MetadataFixtures.read(source + "/write2file0")
        let plain1 = try MetadataFixtures.read(source + "/write2file1")
        try MetadataFixtures.write(LZ4FileSource.compressFrame(plain0), to: root + "/write2file0.lz4")
        try MetadataFixtures.write(plain1, to: root + "/write2file1")
        try MetadataFixtures.write(LZ4FileSource.compressFrame(plain1), to: root + "/write2file1.lz4")
        try MetadataFixtures.copyFiles(of: source, to: root, only: ["manifest"])

        let dir = try BinlogDirectory(path: root)
        #expect(dir.files.map(\.fileNumber) == [0, 1])
        #expect(dir.files.map(\.compressed) == [true, false])
        #expect(dir.files[1].path == root + "/write2file1")
        #expect(dir.findings.contains(.duplicateFileNumber(1, paths: [root + "/write2file1", root + "/write2file1.lz4"])))

        // openSource picks the reader by entry kind; both give the plain bytes.
        let s0 = try dir.openSource(dir.files[0])
        #expect(s0 is LZ4FileSource)
        #expect(try Self.readAll(s0) == plain0)
        let s1 = try dir.openSource(dir.files[1])
        #expect(s1 is FileSource)
        #expect(try Self.readAll(s1) == plain1)
    }

    static func readAll(_ source: any ByteSource) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    // MARK: - Explicit files

    @Test func explicitFiles() throws {
        let base = MetadataFixtures.committedPath("basic/binlog/log_db0")
        let dir = try BinlogDirectory(
            files: [base + "/write2file3", base + "/write2file1", base + "/write2file2"], manifestPath: base + "/manifest")
        #expect(dir.path == nil)
        #expect(dir.layout == .explicitFiles)
        #expect(dir.files.map(\.fileNumber) == [1, 2, 3])
        #expect(dir.manifest?.manifest.fileNumber == 6)
        // The manifest's file is not among those given; its layout is read from content (a note).
        #expect(dir.findings.filter { $0.severity == .warning } == [.manifestFileMissing(6)])
        #expect(dir.manifest?.detection.layout == .v3_3)

        let gappy = try BinlogDirectory(files: [base + "/write2file0", base + "/write2file4"])
        #expect(gappy.findings == [.gap(missing: 1...3)])
    }

    @Test func explicitFileErrors() {
        let base = MetadataFixtures.committedPath("basic/binlog/log_db0")
        #expect(throws: BinlogDirectoryError.notABinlogFileName(path: base + "/manifest")) {
            try BinlogDirectory(files: [base + "/manifest"])
        }
        let missing = base + "/write2file99"
        let error = #expect(throws: BinlogDirectoryError.self) { try BinlogDirectory(files: [missing]) }
        guard case .noSuchFile(let path, _) = error else {
            Issue.record("expected noSuchFile, got \(String(describing: error))")
            return
        }
        #expect(path == missing)
        #expect(error?.description.contains(missing) == true)
    }
}

/// A manifest saved at `(N+1):0` before the server creates write2file<N+1> (the instant of a roll,
/// caught by a reader of a live binlog) names the same point as the end of write2file<N>: not a
/// missing file. With an offset past 0, or a file further on, it is.
@Suite struct ManifestAtARollTests {
    @Test func nextFileAtOffsetZeroIsARoll() throws {
        let root = try MetadataFixtures.makeTemporaryDirectory() + "/log_db0"
        defer { MetadataFixtures.remove(root) }
        try MetadataFixtures.copyFiles(of: MetadataFixtures.committedPath("basic/binlog/log_db0"), to: root)
        try MetadataFixtures.write(Manifest(fileNumber: 7, offset: 0, logicID: 388, term: 0).encoded(), to: root + "/manifest")
        #expect(!(try BinlogDirectory(path: root)).findings.contains(.manifestFileMissing(7)))
        try MetadataFixtures.write(Manifest(fileNumber: 7, offset: 10, logicID: 388, term: 0).encoded(), to: root + "/manifest")
        #expect((try BinlogDirectory(path: root)).findings.contains(.manifestFileMissing(7)))
        try MetadataFixtures.write(Manifest(fileNumber: 8, offset: 0, logicID: 388, term: 0).encoded(), to: root + "/manifest")
        #expect((try BinlogDirectory(path: root)).findings.contains(.manifestFileMissing(8)))
    }
}
