import BinlogFormat
import Foundation
import Testing

extension BinlogDirectoryTests {
    // MARK: - Errors

    @Test func noSuchDirectory() {
        let path = "/nonexistent-binlogtool-test/log"
        let error = #expect(throws: BinlogDirectoryError.self) { try BinlogDirectory(path: path) }
        guard case .noSuchDirectory(let p, let reason) = error else {
            Issue.record("expected noSuchDirectory, got \(String(describing: error))")
            return
        }
        #expect(p == path)
        #expect(reason.contains("No such file"))
        #expect(error?.description.hasPrefix(path) == true)
    }

    @Test func aFileIsNotADirectory() {
        let path = MetadataFixtures.committedPath("basic/binlog/log_db0/write2file0")
        #expect(throws: BinlogDirectoryError.notADirectory(path: path)) { try BinlogDirectory(path: path) }
    }

    @Test func emptyDirectoryHasNoBinlogFiles() throws {
        let root = try MetadataFixtures.makeTemporaryDirectory()
        defer { MetadataFixtures.remove(root) }
        #expect(throws: BinlogDirectoryError.noBinlogFiles(path: root, found: [], entryCount: 0)) {
            try BinlogDirectory(path: root)
        }
    }

    @Test func dumpDirectorySaysWhatWasFound() {
        let path = MetadataFixtures.committedPath("bgsave/dump/20261120/db0")
        let expected = BinlogDirectoryError.noBinlogFiles(
            path: path, found: ["hashes", "info", "lists", "sets", "strings", "zsets"], entryCount: 6)
        #expect(throws: expected) { try BinlogDirectory(path: path) }
        #expect(expected.description.contains("info"))
        #expect(expected.description.contains("bgsave dump"))
    }

    // MARK: - Names

    @Test(
        arguments: [
            ("write2file0", 0, false), ("write2file123456", 123_456, false), ("write2file7.lz4", 7, true),
            ("write2file4294967295", 4_294_967_295, false),
        ] as [(String, FileNumber, Bool)])
    func validNames(_ name: String, _ number: FileNumber, _ compressed: Bool) throws {
        let parsed = try #require(BinlogFileEntry.parseName(name))
        #expect(parsed.fileNumber == number)
        #expect(parsed.compressed == compressed)
    }

    @Test(arguments: [
        "write2file", "write2file01", "write2file-1", "write2file4294967296", "write2file1.gz", "write2file1.lz4.tmp",
        "Write2file1", "write2file 1", "manifest", "write2file.lz4",
    ])
    func invalidNames(_ name: String) {
        #expect(BinlogFileEntry.parseName(name) == nil)
    }
}
