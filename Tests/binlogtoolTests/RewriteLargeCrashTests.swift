import BinlogFormat
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `rewrite` of a ~200 MB binlog killed with SIGKILL at random points of its run (reading,
/// analysing, writing, renaming): the output path holds nothing or the complete output, byte for
/// byte what an uninterrupted run writes and `check`-clean; the input's bytes are unchanged; the
/// next run removes the staging the killed one left and completes. (`CrashSafeOutputTests` does the
/// same on a 15 MB input with more kills, `--force` and RESP.)
@Suite(.serialized) struct RewriteLargeCrashTests {
    /// 200 MB in 80 000 items: 4 KiB SETs (keys repeat), INCR, HINCRBY, RPUSH.
    static func makeBinlog(at directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var writer = try BinlogWriter(output: try BinlogDirectoryOutput(directory: directory), binlogFileSize: 32 << 20)
        var value = [UInt8](repeating: UInt8(ascii: "x"), count: 4096)
        for i in 0..<80_000 {
            let argv: [[UInt8]]
            switch i % 10 {
            case 0, 1: argv = [Array("INCR".utf8), Array("counter:\(i % 97)".utf8)]
            case 2: argv = [Array("HINCRBY".utf8), Array("hash:\(i % 89)".utf8), Array("f\(i % 7)".utf8), Array("3".utf8)]
            case 3: argv = [Array("RPUSH".utf8), Array("list:\(i % 83)".utf8), Array("e\(i)".utf8)]
            default:
                value[i % 4096] = UInt8(ascii: "a") + UInt8(i % 26)
                argv = [Array("SET".utf8), Array("key:\(i % 5000)".utf8), value]
            }
            try writer.append(content: RESP.encode(argv), execTime: 1_795_000_000 + UInt32(i / 1000))
        }
        try writer.finish()
    }

    @Test func sigkillDuringALargeRewrite() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let input = root.appendingPathComponent("log/log_db0").path
        try Self.makeBinlog(at: input)
        let inputBefore = try RewriteCommandTests.hashes(input)
        let inputBytes = try FileManager.default.contentsOfDirectory(atPath: input).reduce(0) {
            $0 + ((try? FileManager.default.attributesOfItem(atPath: input + "/" + $1)[.size] as? Int) ?? 0)
        }
        #expect(inputBytes > 190_000_000)

        let reference = root.appendingPathComponent("reference").path
        let started = ContinuousClock.now
        let r = try CLI.run(["rewrite", input, "--out", reference, "--binlog-file-size", "33554432"])
        let duration = CrashSafeOutputTests.seconds(ContinuousClock.now - started)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try CLI.run(["check", reference]).status == 0)
        let expected = try #require(try CrashSafeOutputTests.contents(reference))

        var rng = SplitMix64(seed: 0x200_0000)
        var outcomes: [String] = []
        for k in 0..<6 {
            let out = root.appendingPathComponent("out-\(k)").path
            let p = try CrashSafeOutputTests.launch(["rewrite", input, "--out", out, "--binlog-file-size", "33554432"])
            switch k % 3 {
            case 0:
                // Anywhere in the run.
                usleep(useconds_t(rng.unit() * duration * 1e6))
            case 1:
                // While the output is being written.
                let deadline = ContinuousClock.now.advanced(by: .seconds(duration * 3 + 5))
                while CrashSafeOutputTests.stagedBytes(beside: out) == 0 && p.isRunning && ContinuousClock.now < deadline { usleep(2_000) }
                usleep(useconds_t(rng.unit() * 0.4 * duration * 1e6))
            default:
                // Around the end: the last file, the manifest, the rename.
                usleep(useconds_t((0.85 + 0.25 * rng.unit()) * duration * 1e6))
            }
            let staged = CrashSafeOutputTests.stagedBytes(beside: out)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let got = try CrashSafeOutputTests.contents(out)
            #expect(got == nil || got == expected, "kill \(k): a partial output at \(out)")
            if got != nil { #expect(try CLI.run(["check", out]).status == 0) }
            outcomes.append(got != nil ? "complete" : staged > 0 ? "killed while writing (\(staged) bytes staged)" : "killed before writing")
            // The next run clears the staging and completes.
            if got == nil {
                #expect(try CLI.run(["rewrite", input, "--out", out, "--binlog-file-size", "33554432"]).status == 0)
                #expect(try CrashSafeOutputTests.contents(out) == expected)
            }
            #expect(CrashSafeOutputTests.staging(beside: out).isEmpty)
        }
        #expect(try RewriteCommandTests.hashes(input) == inputBefore)
        print("rewrite of \(inputBytes) bytes (\(String(format: "%.1f", duration)) s) under SIGKILL: \(outcomes)")
    }
}
