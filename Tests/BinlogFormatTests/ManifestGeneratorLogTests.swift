import BinlogFormat
import Foundation
import Testing

/// ``ManifestGeneratorLog`` against the real `manifest_generator` binaries of Pika v3.5.0 and
/// v4.0.1 (`../shared/pika/<version>/`): for each offset, the tool runs on a directory holding
/// only an `info` file (all it reads), and its `write2file<N>` and `manifest` are compared byte
/// for byte with what ``ManifestGeneratorLog/write(fileNumber:offset:time:to:)`` produces. The
/// tool writes its clock into the one record header; that time is read from its file and
/// given to the encoder, so every byte is compared.
@Suite struct ManifestGeneratorLogTests {
    static let pikaRoot = RealFixtures.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/pika")

    /// The real tool; a missing binary fails the test (never skipped).
    static func tool(_ version: String) throws -> String {
        let path = pikaRoot.appendingPathComponent("\(version)/manifest_generator").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "Pika's manifest_generator is missing at \(path)")
        return path
    }

    /// Runs the real tool for `info` (file number and offset) and returns its exit status and
    /// the directory it wrote.
    static func runTool(_ version: String, fileNumber: UInt32, offset: UInt64) throws -> (Int32, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mg-\(UUID().uuidString)")
        let dump = root.appendingPathComponent("db0")
        try FileManager.default.createDirectory(at: dump, withIntermediateDirectories: true)
        // The five lines Pika's bgsave writes (the bgsave fixture's, with the offset replaced).
        try Data("0s\n127.0.0.1\n9221\n\(fileNumber)\n\(offset)\n".utf8).write(to: dump.appendingPathComponent("info"))
        let log = root.appendingPathComponent("log_db0")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try tool(version))
        p.arguments = ["-d", dump.path, "-l", log.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, log)
    }

    /// The bytes binlogtool writes for the same offset, with `time` in the record header.
    static func encoded(fileNumber: UInt32, offset: UInt64, time: UInt32) throws -> BinlogMemoryOutput {
        let output = BinlogMemoryOutput()
        try ManifestGeneratorLog.write(fileNumber: fileNumber, offset: offset, time: time, to: output)
        return output
    }

    /// Offsets: the real bgsave dump's (7:262165), the corrected point of that dump (8:129), and
    /// every case of the tool's arithmetic: below 4, 4–7, a block boundary (a real item end can
    /// be one), 1–7 past a boundary, one block and a bit.
    static let offsets: [(UInt32, UInt64)] = [
        (7, 262_165), (8, 129), (2, 0), (2, 3), (2, 5), (2, 8), (2, 20), (2, 65_536), (2, 65_540), (2, 131_072),
        (2, 65_545), (12, 1_048_703),
    ]

    @Test(arguments: ["v3.5.0", "v4.0.1"])
    func sameBytesAsPikasTool(_ version: String) throws {
        for (fileNumber, offset) in Self.offsets {
            let (status, log) = try Self.runTool(version, fileNumber: fileNumber, offset: offset)
            defer { try? FileManager.default.removeItem(at: log.deletingLastPathComponent()) }
            #expect(status == 0, "\(version) manifest_generator failed for \(fileNumber):\(offset)")
            let names = try FileManager.default.contentsOfDirectory(atPath: log.path).sorted()
            #expect(names == ["manifest", "write2file\(fileNumber)"], "\(offset): \(names)")
            let real = try [UInt8](Data(contentsOf: log.appendingPathComponent("write2file\(fileNumber)")))
            let realManifest = try [UInt8](Data(contentsOf: log.appendingPathComponent("manifest")))

            #expect(UInt64(real.count) == ManifestGeneratorLog.fileSize(forOffset: offset), "\(offset)")
            // The one record header, when there is one: at the start of the last block begun.
            var time: UInt32 = 0
            if real.count >= 8 {
                let at = (real.count - 1) / 65_536 * 65_536
                time = UInt32(real[at + 3]) | UInt32(real[at + 4]) << 8 | UInt32(real[at + 5]) << 16 | UInt32(real[at + 6]) << 24
                #expect(real[at + 7] == 1, "a Full record")
            }
            let ours = try Self.encoded(fileNumber: fileNumber, offset: offset, time: time)
            #expect(ours.files.map(\.fileNumber) == [fileNumber])
            #expect(ours[fileNumber] == real, "\(version) \(fileNumber):\(offset): write2file differs")
            #expect(ours.manifest == realManifest, "\(version) \(fileNumber):\(offset): manifest differs")
        }
    }

    @Test func theBgsaveDumpsOffsetByHand() throws {
        // 7:262165: four blocks of spaces, then a Full record of 13 spaces; manifest 7:262165 id 0.
        let out = try Self.encoded(fileNumber: 7, offset: 262_165, time: 0x6B00_DACD)
        let file = try #require(out[7])
        #expect(file.count == 262_165)
        #expect(file[0..<262_144].allSatisfy { $0 == 0x20 })
        #expect(Array(file[262_144..<262_152]) == [13, 0, 0, 0xCD, 0xDA, 0x00, 0x6B, 1])
        #expect(file[262_152...].allSatisfy { $0 == 0x20 })
        let manifest = try #require(out.manifest)
        #expect(manifest.count == 65_536)
        #expect(Array(manifest[0..<12]) == [7, 0, 0, 0, 0x15, 0x00, 0x04, 0, 0, 0, 0, 0])
        #expect(manifest[12...].allSatisfy { $0 == 0 })
        // A block boundary: the file stops 8 bytes into the last block begun, the manifest says 131072.
        let boundary = try Self.encoded(fileNumber: 3, offset: 131_072, time: 1)
        #expect(boundary[3]?.count == 65_544)
        let boundaryManifest = try #require(boundary.manifest)
        #expect(Manifest.decode(boundaryManifest, layout: .v3_3)?.offset == 131_072)
        // Below 4: an empty file, manifest offset 0; 4–7: an empty file, the offset kept.
        #expect(try Self.encoded(fileNumber: 3, offset: 3, time: 1)[3] == [])
        let low = try #require(try Self.encoded(fileNumber: 3, offset: 3, time: 1).manifest)
        #expect(Manifest.decode(low, layout: .v3_3)?.offset == 0)
        let four = try Self.encoded(fileNumber: 3, offset: 6, time: 1)
        #expect(four[3] == [])
        let fourManifest = try #require(four.manifest)
        #expect(Manifest.decode(fourManifest, layout: .v3_3)?.offset == 6)
    }
}
