import Foundation
import TestSupport
import Testing

/// Every verb, run as an operator would on binlog directories of damaged and random bytes: each
/// ends with one of the exit codes a script can act on (0 clean, 1 problems found, 65 bad data),
/// never a trap or a signal, and says what it found. Inputs come from a seeded generator, so a
/// failure names a case that can be made again.
@Suite struct GarbageInputTests {

    /// A binlog directory for case `seed`: a real file with random bytes patched in, a real file's
    /// first records followed by random bytes, or random bytes only; a random or real manifest.
    static func makeCase(_ seed: UInt64, in root: URL) throws -> (dir: String, description: String) {
        var rng = SplitMix64(seed: seed)
        let dir = root.appendingPathComponent("case\(seed)/log_db0")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let sources = [
            "basic/binlog/log_db0/write2file0", "slave/slave/binlog/log_db0/write2file7",
            "minsize/binlog/log_db0/write2file8", "v4-basic/binlog/log_db0/write2file1",
        ]
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: CLI.fixture(sources[rng.below(sources.count)]))))
        let description: String
        switch seed % 3 {
        case 0:
            let patches = 1 + rng.below(40)
            for _ in 0..<patches {
                let at = rng.below(bytes.count)
                for k in 0..<min(1 + rng.below(64), bytes.count - at) { bytes[at + k] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            description = "\(patches) random patches"
        case 1:
            let keep = rng.below(min(bytes.count, 70_000))
            bytes = Array(bytes[..<keep]) + (0..<rng.below(150_000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            description = "\(keep) real bytes, then random"
        default:
            bytes = (0..<rng.below(200_000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            description = "random bytes only"
        }
        try Data(bytes).write(to: dir.appendingPathComponent("write2file\(rng.below(3))"))
        if rng.below(2) == 0 {
            try Data((0..<24).map { _ in UInt8(truncatingIfNeeded: rng.next()) } + [UInt8](repeating: 0, count: 65512))
                .write(to: dir.appendingPathComponent("manifest"))
        }
        return (dir.path, "case \(seed) (\(description))")
    }

    @Test(arguments: Array(UInt64(1)...UInt64(15)))
    func everyVerbEndsWithAnExitCodeOnDamagedInput(_ seed: UInt64) throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (dir, name) = try Self.makeCase(seed, in: root)
        let out = root.appendingPathComponent("rewritten").path
        let runs: [[String]] = [
            ["dump", dir], ["dump", dir, "--format", "json"], ["dump", dir, "--format", "resp"],
            ["dump", dir, "--format", "hex"], ["dump", dir, "--stats"], ["check", dir], ["check", dir, "--format", "json"],
            ["diff", CLI.fixture("basic/binlog/log_db0"), dir], ["diff", dir, dir],
            ["rewrite", CLI.fixture("basic/binlog/log_db0"), "--replica", dir, "--dry-run"],
            ["rewrite", dir, "--dry-run"], ["rewrite", dir, "--format", "resp", "--out", "-"], ["rewrite", dir, "--out", out],
        ]
        for arguments in runs {
            let r = try CLI.run(arguments)
            #expect([0, 1, 65].contains(r.status), "\(name): \(arguments.joined(separator: " ")) exited \(r.status): \(r.stderr.suffix(300))")
            #expect(!r.stderr.contains("Fatal error"), "\(name): \(arguments.joined(separator: " "))")
            #expect(!(r.stdout + r.stderr).isEmpty, "\(name): \(arguments.joined(separator: " ")) said nothing")
        }
        // The rewrite's output, when there is one, is a binlog check reads.
        if FileManager.default.fileExists(atPath: out) {
            #expect([0, 1].contains(try CLI.run(["check", out]).status), "\(name)")
        }
    }
}
