import BinlogFormat
import Foundation
import RocksSnapshot
import Testing

@testable import PikaStorage
@_spi(Testing) @testable import Repair

/// ``SnapshotVerification/resumeRefusal`` and ``SnapshotVerification/replicaPosition`` on the
/// built snapshots of `SnapshotBuiltTests` (every storage layout), and the catch-up stream
/// ``BinlogRewriter`` writes with ``RewriteOptions/stop``.
@Suite(.enabled(if: RocksDBExpectation.expected, "needs librocksdb (the RocksDB trait)"))
struct ReplicaPositionTests {
    /// The RESP stream the rewriter writes from the snapshot's corrected point to `stop`.
    static func catchUp(_ built: BuiltCase, _ report: SnapshotVerification, stop: ResumePoint) throws -> (String, RewriteSummary) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("catch-up-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        try #require(fd >= 0)
        var options = RewriteOptions()
        options.dialect = .pika
        options.start = .snapshot(
            SnapshotSeed(verification: report, source: SnapshotStateSource(snapshot: try PikaSnapshot(directory: built.dump))))
        options.stop = stop
        let summary = try BinlogRewriter(directory: try BinlogDirectory(path: built.log), options: options)
            .rewrite(into: RESPRewriteOutput(descriptor: fd, path: path, closeWhenDone: true))
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        return (text, summary)
    }

    @Test(arguments: SnapshotBuiltTests.versions)
    func interleavedResumesAfterTheLastAppliedItemWithACatchUp(_ version: PikaStorageVersion) throws {
        // 13 (ZINCRBY z 2.5 m1) is missing while 14 (INCR cnt) is in.
        var applied = Scenario.prefix(12)
        applied.insert(14)
        let built = try BuiltCase(version: version, applied: applied)
        let report = try built.verify(recordedAfter: 12)
        #expect(report.resumeRefusal == nil)
        let position = report.replicaPosition
        #expect(position.resumePoint == built.stored(before: 15))
        #expect(position.catchUpStart == built.stored(before: 13))
        #expect(position.catchUp.map(\.logicID) == [13])
        #expect(position.skipped.map(\.logicID) == [14])
        #expect(position.lastHeld?.logicID == 14)
        #expect(position.next?.logicID == 15)
        #expect(position.needsCatchUp)

        // The catch-up: ZINCRBY as the absolute score it gives on the snapshot's m1 = 1; the
        // INCR already in the data dropped; nothing from 15 on.
        let (stream, summary) = try Self.catchUp(built, report, stop: position.resumePoint)
        #expect(stream == "*4\r\n$4\r\nzadd\r\n$1\r\nz\r\n$3\r\n3.5\r\n$2\r\nm1\r\n", "\(stream.debugDescription)")
        #expect(summary.itemsRead == 2)
        #expect(summary.count(.dropped) == 1)
        #expect(summary.commandsWritten == 1)
        #expect(!summary.hasFlagged)
    }

    @Test(arguments: SnapshotBuiltTests.versions)
    func laggingResumesAtTheCorrectedPoint(_ version: PikaStorageVersion) throws {
        let built = try BuiltCase(version: version, applied: Scenario.prefix(13))
        let report = try built.verify(recordedAfter: 10)
        #expect(report.resumeRefusal == nil)
        let position = report.replicaPosition
        #expect(position.resumePoint == built.stored(before: 14))
        #expect(position.catchUp.isEmpty && position.skipped.isEmpty)
        #expect(position.lastHeld?.logicID == 13)
        #expect(position.next?.logicID == 14)
        // Stopping at the corrected point writes nothing.
        let (stream, summary) = try Self.catchUp(built, report, stop: position.resumePoint)
        #expect(stream.isEmpty)
        #expect(summary.itemsRead == 0)
    }

    @Test(arguments: SnapshotBuiltTests.versions)
    func consistentResumesAtTheRecordedOffset(_ version: PikaStorageVersion) throws {
        let built = try BuiltCase(version: version, applied: Scenario.prefix(16))
        let report = try built.verify(recordedAfter: 16)
        #expect(report.resumeRefusal == nil)
        #expect(report.replicaPosition.resumePoint == report.recorded)
        #expect(report.replicaPosition.lastHeld?.logicID == 16)
    }

    @Test(arguments: SnapshotBuiltTests.versions)
    func leadingAndMidItemOffsetsAreRefused(_ version: PikaStorageVersion) throws {
        let built = try BuiltCase(version: version, applied: Scenario.prefix(16))
        let leading = try built.verify(recordedAfter: 20)
        #expect(
            leading.resumeRefusal?.hasPrefix(
                "4 items before the recorded offset are missing from the data (logic id 17, 18, 19, 20)") == true,
            "\(leading.resumeRefusal ?? "nil")")
        // One byte into item 17: not a resume point, whatever the data says.
        var inside = built.stored(before: 17)
        inside.offset += 1
        let mid = try built.verify(recorded: inside)
        #expect(mid.resumeRefusal?.hasPrefix("the recorded offset \(inside) is not a resume point of this binlog") == true)
    }
}
