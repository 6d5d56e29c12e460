import BinlogFormat
import Foundation
import TestSupport
import Synchronization
import Testing

@testable import PikaStorage
@testable import Repair

extension Tag {
    /// Long-running checks (benchmarks); they run only with `BINLOGTOOL_SLOW_TESTS=1`.
    @Tag static var slow: Self
}

/// Whether slow tests were asked for.
let slowTestsEnabled = ProcessInfo.processInfo.environment["BINLOGTOOL_SLOW_TESTS"] == "1"

/// The real bgsave fixtures: dumps committed under Fixtures/pika-real, binlogs in
/// `../shared/fixtures/pika-real` beside the checkout.
enum SnapshotFixtures {
    static let shared = PikaFixtures.shared.path

    /// Pika 3.5.0 master binlog of the `bgsave` run.
    static let v3Binlog = shared + "/bgsave/binlog/log_db0"
    /// Pika 4.0.1 master binlog of the `v4-bgsave` run.
    static let v4Binlog = shared + "/v4-bgsave/binlog/log_db0"

    /// Every item of a binlog by logic id (positions only), decoded once per directory.
    static func items(_ directory: String) throws -> [UInt64: ItemReference] {
        if let cached = cache.withLock({ $0[directory] }) { return cached }
        let binlog = try BinlogDirectory(path: directory)
        var stream = BinlogWindowReader.stream(binlog.files)
        var result: [UInt64: ItemReference] = [:]
        while let record = try stream.next() {
            guard case .item(let item) = record else { continue }
            result[item.header.logicID] = ItemReference(
                logicID: item.header.logicID, start: item.start, end: item.end, stored: item.header.stored)
        }
        cache.withLock { $0[directory] = result }
        return result
    }

    private static let cache = Mutex<[String: [UInt64: ItemReference]]>([:])

    /// Verifies `dump` against `binlog` with `recorded` in place of the info offset.
    static func verify(
        dump: String, binlog: String, recorded: ResumePoint? = nil, options: SnapshotVerifier.Options = .init()
    ) throws -> SnapshotVerification {
        let snapshot = try PikaSnapshot(directory: dump)
        let info = try BgsaveInfo.read(path: dump + "/info")
        let directory = try BinlogDirectory(path: binlog)
        return try SnapshotVerifier(
            files: directory.files, snapshot: snapshot, recorded: recorded ?? info.resumePoint, info: info,
            options: options, binlogPath: binlog
        ).verify()
    }

    /// A writable copy of a dump directory (the committed one is read-only on CI).
    static func copyOfDump(_ dump: String, into directory: String) throws -> String {
        let target = directory + "/db0"
        try FileManager.default.copyItem(atPath: dump, toPath: target)
        let manager = FileManager.default
        if let enumerator = manager.enumerator(atPath: target) {
            for case let relative as String in enumerator {
                var isDirectory: ObjCBool = false
                let path = target + "/" + relative
                _ = manager.fileExists(atPath: path, isDirectory: &isDirectory)
                try manager.setAttributes([.posixPermissions: isDirectory.boolValue ? 0o755 : 0o644], ofItemAtPath: path)
            }
        }
        try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: target)
        return target
    }

    /// Rewrites a dump's `info` with another offset, as Pika writes the file.
    static func rewriteInfo(_ dump: String, to point: ResumePoint) throws {
        let path = dump + "/info"
        var info = try BgsaveInfo.read(path: path)
        info.resumePoint = point
        try Data(info.encoded()).write(to: URL(fileURLWithPath: path))
    }
}


