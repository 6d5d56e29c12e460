import Foundation
import PikaTestSupport
import RedisTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The load under which a bgsave lags on this build, measured here.
///
/// `thread-pool-size 16`, two `redis-benchmark -c 24 -P 12 -r 48` loads (`incr lag:ctr:…`,
/// `rpush lag:list:…`), a BGSAVE while they run. The lag shows where the binlog rolls over to a new
/// file (a write that finished `Do()` waits for the binlog lock while the file is created, bgsave
/// reads the producer position meanwhile): with `binlog-file-size 1048576` 3 bgsaves in 11 lagged
/// here, all at a file's end; with 65536 (a rollover every ~700 items) 8 in 8 under a continuous
/// load and about one in two on a fresh master. Each attempt starts a fresh master so that
/// verify-snapshot's history (replayed from logic id 1) stays a few ten thousand items.
enum LagRecipe {
    static let threadPoolSize = 16
    static let binlogFileSize = 65536
    static let requestsPerLoad = 15000
    static let commands = [["incr", "lag:ctr:__rand_int__"], ["rpush", "lag:list:__rand_int__", "x"]]
    /// BGSAVE this long after the loads start (they run about a second).
    static let bgsaveDelayMicroseconds: UInt32 = 300_000
    /// Attempts made to see a contiguous lag and a second one to reorder (or a natural interleaved
    /// one). A contiguous lag came in 16 of 24 attempts here; an interleaved one in none of about
    /// 130 lags (see ``ReplicaRepairTests/aBothShapesOfLagAreCovered()``).
    static let maxAttempts = 8
}

/// The shape of a lag, from verify-snapshot's report.
enum LagShape: String {
    /// Every item after the offset up to the corrected point is in the data, none after it.
    case contiguous
    /// Items after the first one missing are in the data too (verify-snapshot's `skip`).
    case interleaved
}

/// One attempt: a bgsave under load and what verify-snapshot made of it.
struct LagAttempt: CustomStringConvertible {
    var number: Int
    var bgsaveFailed = false
    var verdict = ""
    var recorded = ""
    var corrected = ""
    var lagging: [UInt64] = []
    var leading: [UInt64] = []
    var skip: [UInt64] = []
    var unsafeLagging: [UInt64] = []
    var exitCode: Int32? = nil
    /// For an interleaved lag made from a contiguous one (``PikaScenario/reorder(_:)``): the two
    /// items whose keys were exchanged in the master's binlog.
    var reordered: String? = nil

    var shape: LagShape? {
        guard !lagging.isEmpty else { return nil }
        return skip.isEmpty ? .contiguous : .interleaved
    }

    var description: String {
        if bgsaveFailed { return "attempt \(number): Pika's bgsave failed (db0_FAILED), no dump" }
        return "attempt \(number): verdict \(verdict) (exit \(exitCode.map(String.init) ?? "?")), recorded \(recorded), corrected \(corrected), "
            + "lagging \(lagging.count) \(lagging) (\(unsafeLagging.count) unsafe), skip \(skip), leading \(leading)"
            + (shape.map { " → \($0.rawValue)" } ?? "") + (reordered.map { " (\($0))" } ?? "")
    }
}

extension LagAttempt {
    /// Runs `verify-snapshot DUMP --binlog <master's binlog> --format json` and takes its verdict,
    /// points and item lists; returns the whole report.
    mutating func verify(_ dump: URL, master: PikaServer) async throws -> [String: Any] {
        let result = try await Binlogtool.run(["verify-snapshot", dump.path, "--binlog", master.binlogDirectory.path, "--format", "json"])
        let report = try result.json()
        exitCode = result.code
        verdict = report["verdict"] as? String ?? "?"
        recorded = PikaScenario.point(report["recorded"])
        corrected = PikaScenario.point(report["corrected"])
        lagging = PikaScenario.ids(report["lagging"])
        leading = PikaScenario.ids(report["leading"])
        skip = (report["skip"] as? [[String: Any]] ?? []).compactMap { ($0["logic_id"] as? NSNumber)?.uint64Value }
        let unsafe = Set(
            (report["items"] as? [[String: Any]] ?? []).filter { $0["unsafe_to_replay"] as? Bool == true }
                .compactMap { ($0["logic_id"] as? NSNumber)?.uint64Value })
        unsafeLagging = lagging.filter { unsafe.contains($0) }
        return report
    }
}

/// A dump that lags, the master that took it (running, idle: its load is over) and what
/// verify-snapshot said about it against that master's whole binlog.
final class LaggingDump: @unchecked Sendable {
    let attempt: LagAttempt
    let master: PikaServer
    let runID: String
    let dump: URL
    let report: [String: Any]
    /// The master's whole keyspace once its load was over.
    let masterData: RedisDataset
    /// The key each lagging item writes (`argv[1]`), by logic id.
    let laggingKeys: [UInt64: String]

    init(attempt: LagAttempt, master: PikaServer, dump: URL, report: [String: Any]) throws {
        self.attempt = attempt
        self.master = master
        self.dump = dump
        self.report = report
        runID = try master.runID
        masterData = try master.dataset()
        var keys: [UInt64: String] = [:]
        let lagging = Set(attempt.lagging)
        for item in report["items"] as? [[String: Any]] ?? [] {
            guard let id = (item["logic_id"] as? NSNumber)?.uint64Value, lagging.contains(id) else { continue }
            let words = (item["command"] as? String ?? "").split(separator: " ")
            if words.count >= 2 { keys[id] = String(words[1]) }
        }
        laggingKeys = keys
    }

    var shape: LagShape { attempt.shape! }
}

/// The suite's servers and dumps, made once for the whole suite (``PikaScenarioTrait``).
final class PikaScenario: @unchecked Sendable {
    @TaskLocal static var current: PikaScenario?

    let root: URL
    private(set) var attempts: [LagAttempt] = []
    private(set) var contiguous: LaggingDump?
    private(set) var interleaved: LaggingDump?
    private let lock = NSLock()
    private var servers: [PikaServer] = []
    /// What the teardown did (stopped, or killed after 20 s).
    private(set) var stops: [String] = []

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("pika-suite-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// Starts a server under the scenario's directory; stopped by ``stopAll()``.
    func startServer(_ name: String, root: URL? = nil, configuration: PikaServer.Configuration) async throws -> PikaServer {
        let server = try await PikaServer(name: name, root: root ?? self.root.appendingPathComponent(name), configuration: configuration)
        lock.withLock { servers.append(server) }
        return server
    }

    func stop(_ server: PikaServer) {
        let line = server.stop()
        lock.lock()
        stops.append(line)
        servers.removeAll { $0 === server }
        lock.unlock()
    }

    /// Kills a server whose data is not needed.
    func discard(_ server: PikaServer) {
        server.process.kill()
        lock.lock()
        servers.removeAll { $0 === server }
        lock.unlock()
    }

    /// Stops every server still running and removes the scenario's directory.
    func stopAll() {
        lock.lock()
        let all = servers
        servers = []
        lock.unlock()
        for s in all { stop(s) }
        try? FileManager.default.removeItem(at: root)
    }

    static var masterConfiguration: PikaServer.Configuration {
        var c = PikaServer.Configuration()
        c.threadPoolSize = LagRecipe.threadPoolSize
        c.binlogFileSize = LagRecipe.binlogFileSize
        return c
    }

    /// Bgsaves under load on fresh masters until a contiguous and an interleaved lag with unsafe
    /// items have both been seen, or ``LagRecipe/maxAttempts``. The masters of the two lags kept
    /// stay up; the others are stopped and removed.
    func produceLags() async throws {
        for n in 1...LagRecipe.maxAttempts {
            if contiguous != nil && interleaved != nil { break }
            let directory = root.appendingPathComponent("attempt-\(n)")
            let master = try await startServer("master-\(n)", root: directory.appendingPathComponent("master"), configuration: Self.masterConfiguration)
            var keep = false
            defer {
                if !keep {
                    // Its data is not needed: SIGKILL, no clean shutdown to wait for.
                    discard(master)
                    try? FileManager.default.removeItem(at: directory)
                }
            }
            var loads: [ChildProcess] = []
            defer { for l in loads { l.kill() } }
            for (i, command) in LagRecipe.commands.enumerated() {
                loads.append(
                    try RedisTools.load(
                        port: master.port, requests: LagRecipe.requestsPerLoad, command: command,
                        log: directory.appendingPathComponent("load-\(i).log").path))
            }
            // Blocking on purpose: a sleeping task may resume only after the loads are over (the
            // suites beside this one hold the runner's threads), and the BGSAVE must come during them.
            usleep(LagRecipe.bgsaveDelayMicroseconds)
            let dump = try await master.bgsave(to: directory.appendingPathComponent("dump"))
            for l in loads { _ = try await l.finish(seconds: 120) }
            _ = try await master.waitQuiescent()
            var attempt = LagAttempt(number: n)
            guard let dump else {
                attempt.bgsaveFailed = true
                attempts.append(attempt)
                print("[pika-suite] \(attempt)")
                continue
            }
            let report = try await attempt.verify(dump, master: master)
            attempts.append(attempt)
            print("[pika-suite] \(attempt)")
            guard !attempt.unsafeLagging.isEmpty, let shape = attempt.shape else { continue }
            switch shape {
            case .contiguous where contiguous == nil:
                contiguous = try LaggingDump(attempt: attempt, master: master, dump: dump, report: report)
                keep = true
            case .contiguous where interleaved == nil && attempt.lagging.count >= 2:
                // A second contiguous lag: reordered into the interleaved shape (none occurs here).
                if let made = try await reorder(LaggingDump(attempt: attempt, master: master, dump: dump, report: report)) {
                    interleaved = made
                    keep = true
                }
            case .interleaved where interleaved == nil:
                interleaved = try LaggingDump(attempt: attempt, master: master, dump: dump, report: report)
                keep = true
            default:
                break
            }
        }
    }

    /// The interleaved shape, from a real contiguous lag, for when none occurs by itself: a lagging
    /// item `a` (in the dump) and an item `b` after the lag (not in it), the same command with
    /// the same arguments on two keys of one length (preferably keys no item between them
    /// writes), exchange their keys in the master's binlog (the master
    /// stopped, the bytes edited in place: same lengths, so every position stays; then started
    /// again). The binlog then reads as a 3.5.0 master writes it when the thread that applied
    /// `a` before the bgsave's lock logs it only after a write applied after the lock: `b`'s item is
    /// in the data after one that is not. The dump, the data and Pika's servers stay real.
    func reorder(_ lag: LaggingDump) async throws -> LaggingDump? {
        let items = lag.report["items"] as? [[String: Any]] ?? []
        func id(_ item: [String: Any]) -> UInt64 { (item["logic_id"] as? NSNumber)?.uint64Value ?? 0 }
        func words(_ item: [String: Any]) -> [Substring] { (item["command"] as? String ?? "").split(separator: " ") }
        let lagging = Set(lag.attempt.lagging)
        // A lagging item, never the first one (the lag must still start at the recorded offset),
        // and an item after the lag not in the data, as close together as they come.
        var pairs: [(a: Int, b: Int, clear: Bool)] = []
        for bIndex in items.indices where items[bIndex]["decision"] as? String == "not-applied" {
            for i in items[..<bIndex].indices.reversed() {
                guard lagging.contains(id(items[i])), id(items[i]) != lag.attempt.lagging.first else { continue }
                let (wa, wb) = (words(items[i]), words(items[bIndex]))
                guard wa.count >= 2, wb.count >= 2, wa[0] == wb[0], wa.dropFirst(2) == wb.dropFirst(2),
                    wa[1] != wb[1], wa[1].utf8.count == wb[1].utf8.count
                else { continue }
                let between = items[(i + 1)..<bIndex].map { words($0).dropFirst().first }
                pairs.append((i, bIndex, !between.contains(wa[1]) && !between.contains(wb[1])))
            }
        }
        // Every pair makes a binlog the dump is consistent with (per key, incr and rpush x are the
        // same whichever item comes first); with a clear pair the shape is `b` in, `a` not.
        let chosen = pairs.first(where: \.clear) ?? pairs.first
        guard let (aIndex, bIndex, clear) = chosen else {
            print("[pika-suite] reorder: no pair of same-command items, one lagging, one after the lag, in \(lag.attempt): \(items.map { "\(id($0)) \($0["decision"] ?? "?") \($0["command"] ?? "?")" })")
            return nil
        }
        let b = items[bIndex]
        let a = items[aIndex]
        let keyA = Array(words(a)[1].utf8), keyB = Array(words(b)[1].utf8)
        let master = lag.master
        let before = try master.binlogOffset()
        try await master.restart {
            try Self.replaceOnce(keyA, with: keyB, in: a, directory: master.binlogDirectory)
            try Self.replaceOnce(keyB, with: keyA, in: b, directory: master.binlogDirectory)
        }
        let after = try master.binlogOffset()
        guard after == before else { throw PikaSuiteError.failed("\(master.name): binlog offset \(before) before the restart, \(after) after") }

        var attempt = LagAttempt(number: lag.attempt.number)
        let report = try await attempt.verify(lag.dump, master: master)
        attempt.reordered =
            "keys of logic ids \(id(a)) and \(id(b)) exchanged in the master's binlog: \(id(a)) now writes \(String(decoding: keyB, as: UTF8.self)), \(id(b)) \(String(decoding: keyA, as: UTF8.self))"
        print("[pika-suite] reordered \(attempt)")
        guard attempt.shape == .interleaved, !attempt.unsafeLagging.isEmpty else {
            // After a clear pair the shape is certain: anything else is verify-snapshot's error.
            if clear { throw PikaSuiteError.failed("the reordered lag is not interleaved with unsafe items: \(attempt)") }
            print("[pika-suite] reorder: not interleaved after exchanging keys of a pair with writes between: \(attempt)")
            return nil
        }
        return try LaggingDump(attempt: attempt, master: master, dump: lag.dump, report: report)
    }

    /// Replaces the one occurrence of `old` inside `item`'s bytes (its `filenum`, `offset`, `end`)
    /// with `new`, of the same length.
    static func replaceOnce(_ old: [UInt8], with new: [UInt8], in item: [String: Any], directory: URL) throws {
        guard let file = (item["filenum"] as? NSNumber)?.intValue, let start = (item["offset"] as? NSNumber)?.intValue,
            let end = (item["end"] as? NSNumber)?.intValue, old.count == new.count
        else { throw PikaSuiteError.failed("reorder: no position in \(item)") }
        let url = directory.appendingPathComponent("write2file\(file)")
        var bytes = try [UInt8](Data(contentsOf: url))
        guard end <= bytes.count else { throw PikaSuiteError.failed("reorder: \(url.path) is shorter than \(end)") }
        let matches = (start...(end - old.count)).filter { bytes[$0..<($0 + old.count)].elementsEqual(old) }
        guard matches.count == 1 else {
            throw PikaSuiteError.failed("reorder: \(matches.count) occurrences of \(String(decoding: old, as: UTF8.self)) in \(url.path) \(start)..<\(end)")
        }
        bytes.replaceSubrange(matches[0]..<(matches[0] + old.count), with: new)
        try Data(bytes).write(to: url)
    }

    static func point(_ value: Any?) -> String {
        guard let p = value as? [String: Any], let f = p["filenum"] as? NSNumber, let o = p["offset"] as? NSNumber else { return "?" }
        return "\(f):\(o)"
    }

    static func ids(_ value: Any?) -> [UInt64] {
        (value as? [NSNumber] ?? []).map(\.uint64Value)
    }
}

/// Runs the suite's work on a thread of its own: its waits poll servers and child processes, and
/// the test runner's cooperative threads (two here) are busy with the other suites for minutes at a
/// time, during which a task waiting for one of them would let its load, bgsave and replica
/// timings drift (seen: the lag attempts took 342 s in the whole run instead of 15 s alone).
final class SuiteThreadExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = SuiteThreadExecutor()
    private let queue = DispatchQueue(label: "PikaIntegrationTests")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}

/// Runs the suite inside one scenario: the lags are produced before its tests, every server is
/// stopped and every directory removed after them, whatever happened.
struct PikaScenarioTrait: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(SuiteThreadExecutor.shared) {
            try await runScenario(function)
        }
    }

    private func runScenario(_ function: @Sendable () async throws -> Void) async throws {
        let scenario = try PikaScenario()
        defer {
            scenario.stopAll()
            for line in scenario.stops { print("[pika-suite] \(line)") }
        }
        try Programs.requireAll()
        let start = Monotonic.now
        try await scenario.produceLags()
        print("[pika-suite] \(scenario.attempts.count) attempt(s) in \(Int(Monotonic.now - start)) s")
        try await PikaScenario.$current.withValue(scenario) { try await function() }
    }
}

extension Trait where Self == PikaScenarioTrait {
    static var pikaScenario: Self { Self() }
}
