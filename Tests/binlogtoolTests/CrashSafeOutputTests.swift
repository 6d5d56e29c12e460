import BinlogFormat
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `rewrite` killed with SIGKILL at random points of a large rewrite: the output path (and the
/// report path) holds either nothing or the complete output, byte for byte what an uninterrupted
/// run writes, and `check`-clean; with `--force` over an earlier output, either that earlier
/// output or the new one, never nothing; the inputs are unchanged; the next run to the same path
/// removes what the killed one left behind and completes.
@Suite(.serialized) struct CrashSafeOutputTests {
    /// A binlog written as a v3.5.2+ master writes it: `items` items (SET, INCR, HINCRBY, RPUSH,
    /// so that the rewrite replaces some), 100-byte values, 2 MiB files.
    static func makeBinlog(at directory: String, items: Int) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let output = try BinlogDirectoryOutput(directory: directory)
        var writer = try BinlogWriter(output: output, binlogFileSize: 2 << 20)
        let value = [UInt8](repeating: UInt8(ascii: "v"), count: 100)
        for i in 0..<items {
            let key = Array("key:\(i % 5000)".utf8)
            let argv: [[UInt8]]
            switch i % 4 {
            case 0: argv = [Array("SET".utf8), key, value]
            case 1: argv = [Array("INCR".utf8), Array("counter:\(i % 97)".utf8)]
            case 2: argv = [Array("HINCRBY".utf8), Array("hash:\(i % 89)".utf8), Array("f\(i % 7)".utf8), Array("3".utf8)]
            default: argv = [Array("RPUSH".utf8), Array("list:\(i % 83)".utf8), Array("e\(i)".utf8)]
            }
            try writer.append(content: RESP.encode(argv), execTime: 1_795_000_000 + UInt32(i / 1000))
        }
        try writer.finish()
    }


    /// The files of `path` (a directory: name → bytes; a file: "" → bytes); nil when absent.
    static func contents(_ path: String) throws -> [String: Data]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else { return ["": try Data(contentsOf: URL(fileURLWithPath: path))] }
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: path) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))
        }
        return out
    }

    /// Staging entries (`.<name>.binlogtool-tmp-<pid>-<n>`) beside `path`.
    static func staging(beside path: String) -> [String] {
        let url = URL(fileURLWithPath: path)
        let prefix = "." + url.lastPathComponent + ".binlogtool-tmp-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)) ?? []
        return names.filter { $0.hasPrefix(prefix) }
    }

    /// Bytes in the staging entries beside `path` (a staged file, or the files of a staged directory).
    static func stagedBytes(beside path: String) -> Int {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var total = 0
        for name in staging(beside: path) {
            let entry = parent + "/" + name
            var st = stat()
            guard stat(entry, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                for inner in (try? FileManager.default.contentsOfDirectory(atPath: entry)) ?? [] {
                    var si = stat()
                    if stat(entry + "/" + inner, &si) == 0 { total += Int(si.st_size) }
                }
            } else {
                total += Int(st.st_size)
            }
        }
        return total
    }

    /// A monotonic duration in seconds (kill timings are measured on the monotonic clock, never the date).
    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func launch(_ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }

    struct Tally: CustomStringConvertible {
        var beforeStaging = 0
        /// Staging entry made, nothing written into it yet (reading and analysing).
        var staged = 0
        /// Part of the output written into the staging entry.
        var midWrite = 0
        var completed = 0
        /// --force runs killed before the switch: the earlier output was still in place.
        var replacedKeptEarlier = 0
        var description: String {
            "killed before staging \(beforeStaging), staged but empty \(staged), while writing \(midWrite), "
                + "after completion \(completed); "
                + "--force runs that kept the earlier output \(replacedKeptEarlier)"
        }
    }

    /// One format: a reference run, then `kills` runs killed at random points, each checked.
    func killRepeatedly(format: String, kills: Int, seed: UInt64) throws -> Tally {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let input = root.appendingPathComponent("log/log_db0").path
        try Self.makeBinlog(at: input, items: 100_000)
        let inputBefore = try ReadOnlyTests.snapshot(root.appendingPathComponent("log"))
        #expect(inputBefore.files.count >= 5, "a multi-file input: \(inputBefore.files.keys.sorted())")

        func arguments(out: String, report: String, fileSize: Int = 2 << 20, force: Bool = false) -> [String] {
            ["rewrite", input, "--out", out, "--report", report, "--format", format, "--binlog-file-size", "\(fileSize)"]
                + (force ? ["--force"] : [])
        }
        let referenceOut = root.appendingPathComponent("reference").path
        let referenceReport = root.appendingPathComponent("reference.jsonl").path
        let started = ContinuousClock.now
        let reference = try CLI.run(arguments(out: referenceOut, report: referenceReport))
        let duration = CrashSafeOutputTests.seconds(ContinuousClock.now - started)
        #expect(reference.status == 0, "\(reference.stderr)")
        let expectedOut = try #require(try Self.contents(referenceOut))
        let expectedReport = try #require(try Self.contents(referenceReport))
        /// A report with its output path (named in its summary line) spelled as the reference's.
        func normalized(_ report: [String: Data]?, out: String) -> [String: Data]? {
            report.map { files in
                files.mapValues { Data(String(decoding: $0, as: UTF8.self).replacingOccurrences(of: out, with: referenceOut).utf8) }
            }
        }
        if format == "binlog" {
            #expect(expectedOut.count >= 5, "a multi-file output: \(expectedOut.keys.sorted())")
            let check = try CLI.run(["check", referenceOut])
            #expect(check.status == 0, "\(check.stdout)")
        }

        // An earlier output that --force replaces: one with other file sizes (binlog), or the first
        // half of the stream (RESP).
        let earlierOut = root.appendingPathComponent("earlier").path
        if format == "binlog" {
            let made = try CLI.run(arguments(out: earlierOut, report: earlierOut + ".jsonl", fileSize: 4 << 20))
            #expect(made.status == 0)
        } else {
            let whole = try Data(contentsOf: URL(fileURLWithPath: referenceOut))
            try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: earlierOut))
        }
        let earlier = try #require(try Self.contents(earlierOut))
        #expect(earlier != expectedOut)

        var rng = SplitMix64(seed: seed)
        var tally = Tally()
        for k in 0..<kills {
            let out = root.appendingPathComponent("out-\(k)").path
            let report = root.appendingPathComponent("report-\(k).jsonl").path
            // Every fourth run replaces an earlier output (--force): the path must never be empty.
            let replacing = k % 4 == 3
            if replacing { try ReadOnlyTests.shell("/bin/cp", ["-R", earlierOut, out]) }
            let p = try Self.launch(arguments(out: out, report: report, force: replacing))
            let deadline = ContinuousClock.now.advanced(by: .seconds(duration * 3 + 5))
            switch k % 4 {
            case 0:
                // Early: within 50 ms of the start, before or just after the staging entry is made.
                usleep(useconds_t(rng.unit() * 50_000))
            case 1:
                // Staged, while it reads and analyses the input.
                while Self.staging(beside: out).isEmpty && p.isRunning && ContinuousClock.now < deadline { usleep(2_000) }
                usleep(useconds_t(rng.unit() * 0.2 * duration * 1e6))
            default:
                // While it writes (and, for some, while it renames into place).
                while Self.stagedBytes(beside: out) == 0 && p.isRunning && ContinuousClock.now < deadline { usleep(2_000) }
                usleep(useconds_t(rng.unit() * 0.6 * duration * 1e6))
            }
            let stagedAtKill = Self.staging(beside: out)
            let stagedBytes = Self.stagedBytes(beside: out)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let killed = p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL

            // The output path: nothing (or the earlier output it replaces), or exactly the reference.
            let got = try Self.contents(out)
            if replacing {
                #expect(got == earlier || got == expectedOut, "kill \(k): neither the earlier nor the new output at \(out)")
                if got == earlier { tally.replacedKeptEarlier += 1 }
            } else {
                #expect(got == nil || got == expectedOut, "kill \(k): a partial output at \(out)")
            }
            let gotReport = normalized(try Self.contents(report), out: out)
            #expect(gotReport == nil || gotReport == expectedReport, "kill \(k): a partial report")
            if got != nil && format == "binlog" {
                #expect(try CLI.run(["check", out]).status == 0)
            }
            if !killed {
                tally.completed += 1
                #expect(p.terminationStatus == 0 && got != nil)
            } else if stagedBytes > 0 {
                tally.midWrite += 1
            } else if !stagedAtKill.isEmpty {
                tally.staged += 1
            } else {
                tally.beforeStaging += 1
            }

            // The next run to the same path clears what the killed one left and completes.
            if got == nil || got == earlier {
                let again = try CLI.run(arguments(out: out, report: report, force: replacing))
                #expect(again.status == 0, "kill \(k), rerun: \(again.stderr)")
                #expect(try Self.contents(out) == expectedOut)
                #expect(normalized(try Self.contents(report), out: out) == expectedReport)
            }
            #expect(Self.staging(beside: out).isEmpty, "kill \(k): \(Self.staging(beside: out)) left after the rerun")
            #expect(Self.staging(beside: report).isEmpty)
        }
        #expect(try ReadOnlyTests.snapshot(root.appendingPathComponent("log")) == inputBefore)
        return tally
    }

    /// More kills with `BINLOGTOOL_SLOW_TESTS=1`.
    static let slow = ProcessInfo.processInfo.environment["BINLOGTOOL_SLOW_TESTS"] == "1"

    @Test func sigkillDuringABinlogRewrite() throws {
        let kills = Self.slow ? 40 : 8
        let tally = try killRepeatedly(format: "binlog", kills: kills, seed: 0x51_61C1)
        // The kills must have landed while the output was being written, not only around it.
        #expect(tally.midWrite >= kills / 4, "\(tally)")
        print("rewrite --format binlog under SIGKILL: \(tally)")
    }

    @Test func sigkillDuringARESPRewrite() throws {
        let kills = Self.slow ? 20 : 4
        let tally = try killRepeatedly(format: "resp", kills: kills, seed: 0x2E_5B)
        #expect(tally.midWrite >= kills / 4, "\(tally)")
        print("rewrite --format resp under SIGKILL: \(tally)")
    }
}
