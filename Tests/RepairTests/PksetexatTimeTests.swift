import BinlogFormat
import Foundation
import Testing

@testable import PikaStorage
@testable import Repair

/// Every reader of `pksetexat`'s time agrees (``PksetexatTime``): seconds (10 digits), v4.0.1's
/// PSETEX milliseconds (13 digits), 0 for no expiry. Before, five places decided it four ways.
@Suite struct PksetexatTimeTests {
    /// What each consumer reads as the expiry (unix ms, nil: none) of each logged form.
    @Test(arguments: [
        ("1795224349", 1_795_224_349_000 as Int64?),
        ("1795220790123", 1_795_220_790_123),
        ("1795220790000", 1_795_220_790_000),
        ("0", nil),
    ] as [(String, Int64?)])
    func everyConsumerReadsTheSameTime(_ logged: String, _ expected: Int64?) throws {
        let dir = try CheckFixtures.temporaryDirectory() + "/log_db0"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var writer = try BinlogWriter(output: try BinlogDirectoryOutput(directory: dir), binlogFileSize: 1 << 20)
        let argv = ["pksetexat", "k", logged, "v"].map { Array($0.utf8) }
        try writer.append(content: RESP.encode(argv), execTime: 1_795_220_000)
        try writer.finish()

        var stream = BinlogDiff.stream(of: try BinlogDirectory(path: dir))
        guard case .item(let item)? = try stream.next() else { Issue.record("no item"); return }
        // diff's TTL comparison.
        let stamp = try #require(ExpiryStamp.of(item.command, execTime: item.header.execTime))
        #expect(stamp.milliseconds == expected)
        // The Redis translation (dump --dialect redis, rewrite --dialect redis).
        let redis = try #require(RewriteDialect.redisForm(item.command)).map { String(decoding: $0, as: UTF8.self) }
        switch expected {
        case nil: #expect(redis == ["set", "k", "v"])
        case let ms? where ms % 1000 == 0: #expect(redis == ["set", "k", "v", "EXAT", String(ms / 1000)])
        case let ms?: #expect(redis == ["set", "k", "v", "PXAT", String(ms)])
        }
        // The rewrite's model.
        var model = KeyspaceModel(startsAtBeginningOfHistory: true)
        _ = try model.rewrite(item)
        #expect(model.state(of: Array("k".utf8), atMs: 1_795_220_000_000) == .present(.string(Array("v".utf8)), expiresAtMs: expected))
        // verify-snapshot's effects (whole seconds).
        var states: [[UInt8]: KeyState] = [Array("k".utf8): KeyState.absent]
        CommandEffects().apply(LoggedCommand(arguments: argv), at: 1_795_220_000, to: &states)
        #expect(states[Array("k".utf8)]!.string.expiry == .known(expected.map { $0 / 1000 }))
    }
}
