import BinlogFormat
import Foundation
import RocksSnapshot
import Testing

@testable import PikaStorage
@_spi(Testing) @testable import Repair

/// Deciding 100 000 items against a snapshot of 1 000 000 keys, built in a temporary directory.
/// Prints items/s. Slow: runs with `BINLOGTOOL_SLOW_TESTS=1`.
///
/// Set `BINLOGTOOL_VERIFY_BENCH_DIR` to keep the data (`db0/` with an `info` file, `log_db0/`)
/// there, so that the release CLI can be timed on it:
/// `time .build/release/binlogtool verify-snapshot $DIR/db0 --binlog $DIR/log_db0 --window 50000 --format json >/dev/null`.
@Suite(.enabled(if: RocksDBExpectation.expected && slowTestsEnabled, "slow; set BINLOGTOOL_SLOW_TESTS=1"))
struct SnapshotBenchmarkTests {
    static let keyCount = 1_000_000
    static let itemCount = 100_000
    static let cut = 50_000
    static let t0: UInt32 = 1_700_000_000

    /// Item i: 70 % SET of a distinct base key, 10 % each HSET, RPUSH, ZADD on 1000/500/500 keys.
    static func command(_ i: Int) -> [String] {
        switch i % 10 {
        case 7: return ["HSET", "h:\(i % 1000)", "f\(i % 50)", "\(i)"]
        case 8: return ["RPUSH", "l:\(i % 500)", "\(i)"]
        case 9: return ["ZADD", "z:\(i % 500)", "\(i)", "m\(i)"]
        default: return ["SET", "key:\(baseKey(i))", "v\(i)"]
        }
    }

    /// A distinct base key for each SET item (7919 is prime to 1 000 000).
    static func baseKey(_ i: Int) -> Int { (i * 7919) % keyCount }

    @Test(.tags(.slow)) func decide100kItemsAgainst1MKeys() throws {
        let keep = ProcessInfo.processInfo.environment["BINLOGTOOL_VERIFY_BENCH_DIR"]
        let root = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("binlogtool-verify-bench-\(UUID().uuidString)").path
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: root) } }
        let dump = root + "/db0"
        let log = root + "/log_db0"
        try FileManager.default.createDirectory(atPath: log, withIntermediateDirectories: true)

        // The binlog: items 1…100 000 in write2file3 on (earlier files purged: no history).
        let buildStart = ContinuousClock.now
        var writer = try BinlogWriter(
            output: try BinlogDirectoryOutput(directory: log), binlogFileSize: 4 << 20,
            producer: ProducerStatus(fileNumber: 3, offset: 0))
        var cutPoint = ResumePoint(fileNumber: 0, offset: 0)
        for i in 0..<Self.itemCount {
            let written = try writer.append(
                content: RESP.encode(Self.command(i).map { Array($0.utf8) }), execTime: Self.t0 + UInt32(i / 1000))
            if i == Self.cut - 1 { cutPoint = ResumePoint(after: written.end) }
        }
        try writer.finish()

        // The snapshot: 1 M strings, overwritten by the SETs before the cut, and the collections
        // as the items before the cut leave them.
        let builder = try PikaSnapshotBuilder(creatingAt: dump, version: .v3)
        var overwritten: [Int: String] = [:]
        var hashes: [String: [String: String]] = [:]
        var lists: [String: [String]] = [:]
        var zsets: [String: [String: Double]] = [:]
        for i in 0..<Self.cut {
            let c = Self.command(i)
            switch c[0] {
            case "SET": overwritten[Self.baseKey(i)] = c[2]
            case "HSET": hashes[c[1], default: [:]][c[2]] = c[3]
            case "RPUSH": lists[c[1], default: []].append(c[2])
            default: zsets[c[1], default: [:]][c[3]] = Double(c[2])!
            }
        }
        for n in 0..<Self.keyCount {
            try builder.putString(Array("key:\(n)".utf8), Array((overwritten[n] ?? "base-\(n)").utf8))
        }
        for (index, (key, fields)) in hashes.enumerated() {
            try builder.putHash(
                Array(key.utf8), fields.map { HashField(field: Array($0.key.utf8), value: Array($0.value.utf8)) },
                version: 1_600_000_000 + UInt64(index))
        }
        for (index, (key, elements)) in lists.enumerated() {
            try builder.putList(Array(key.utf8), elements.map { Array($0.utf8) }, version: 1_600_000_000 + UInt64(index))
        }
        for (index, (key, scores)) in zsets.enumerated() {
            try builder.putZSet(
                Array(key.utf8), scores.map { ZSetMember(member: Array($0.key.utf8), score: $0.value) },
                version: 1_600_000_000 + UInt64(index))
        }
        try builder.finish()
        try Data("0s\n127.0.0.1\n9221\n\(cutPoint.fileNumber)\n\(cutPoint.offset)\n".utf8).write(
            to: URL(fileURLWithPath: dump + "/info"))
        let buildTime = ContinuousClock.now - buildStart

        let snapshot = try PikaSnapshot(directory: dump)
        let files = try BinlogDirectory(path: log).files
        let start = ContinuousClock.now
        let report = try SnapshotVerifier(
            files: files, snapshot: snapshot, recorded: cutPoint,
            options: .init(window: Self.itemCount / 2)
        ).verify()
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18

        #expect(report.examinedCount == Self.itemCount)
        #expect(report.verdict == .consistent)
        #expect(report.corrected == cutPoint)
        let decided = report.items.filter { $0.decision != .undecidable }.count
        print(
            "verify-snapshot benchmark: \(report.examinedCount) items against \(Self.keyCount) keys in "
                + "\(String(format: "%.2f", seconds)) s = \(Int(Double(report.examinedCount) / seconds)) items/s "
                + "(\(report.snapshotReads) snapshot reads, \(decided) of \(report.items.count) reported items decided; "
                + "data built in \(buildTime))")
    }
}
