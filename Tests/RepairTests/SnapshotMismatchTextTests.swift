import BinlogFormat
import Foundation
import RocksSnapshot
import Testing

@testable import PikaStorage
@_spi(Testing) @testable import Repair

/// What verify-snapshot says about a collection whose elements disagree with the binlog names one
/// element: the same one in every run. It named the first of a `Set`, whose order changes with
/// the hash seed from one process to the next (two runs on the 1 M-key benchmark differed in
/// 4 807 lines); now the least element, bytewise.
@Suite(.enabled(if: RocksDBExpectation.expected, "needs librocksdb (the RocksDB trait)"))
struct SnapshotMismatchTextTests {
    @Test func theLeastMismatchedElementIsNamed() throws {
        let temporary = try TemporaryDirectory("verify-mismatch-text")
        let dump = temporary.path + "/db0"
        let log = temporary.path + "/log"
        try FileManager.default.createDirectory(atPath: log, withIntermediateDirectories: false)
        // The snapshot holds h with thirty fields the binlog's HSET never wrote.
        let fields = (10..<40).map { "f\($0)" }
        let builder = try PikaSnapshotBuilder(creatingAt: dump, version: .v3)
        try builder.putHash(bytes("h"), fields.map { HashField(field: bytes($0), value: bytes("snap")) }, version: 1)
        try builder.finish()
        var writer = try BinlogWriter(
            output: try BinlogDirectoryOutput(directory: log), binlogFileSize: 1 << 20,
            producer: ProducerStatus(fileNumber: 5, offset: 1000))
        // Written from the last field to the first: neither insertion order nor a sorted one.
        let hset = [bytes("HSET"), bytes("h")] + fields.reversed().flatMap { [bytes($0), bytes("logged")] }
        let first = try writer.append(content: RESP.encode(hset), execTime: 1_600_000_001)
        try writer.finish()

        let report = try SnapshotVerifier(
            files: try BinlogDirectory(path: log).files, snapshot: try PikaSnapshot(directory: dump),
            recorded: first.precedingStatus
        ).verify()
        let item = try #require(report.items.first { $0.logicID == 1 })
        #expect(item.decision == .notApplied, "\(item.evidence)")
        // The item's own fields are listed in its order; the mismatch named is the least field.
        #expect(item.evidence.hasPrefix("h: found field f39 \"snap\", field f38 \"snap\""), "\(item.evidence)")
        #expect(item.evidence.hasSuffix("(the state after it: field \"f10\": expected \"logged\", found \"snap\")"), "\(item.evidence)")
    }
}
