import Foundation
import RedisTestSupport
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `dump --follow` against a real Pika 3.5.0 master under a write load (issue 14, point 3): every
/// item the master logs is printed once, in order, across file rolls, the live file's zero-filled
/// tail is never damage, SIGINT ends it with the summary, and what it printed equals a `dump` of
/// the same files once the server has stopped.
@Suite(.serialized) struct FollowLiveTests {
    static let pika = CLI.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/pika/v3.5.0/pika").path
    static let redisCLI = "/usr/bin/redis-cli"

    @Test func followPrintsEveryItemOnceInOrderAndAgreesWithADumpAfterTheServerStops() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.pika), "\(Self.pika) is missing (../shared/pika)")
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.redisCLI), "redis-cli is missing: scripts/install-deps")
        let dir = try CLI.temporaryDirectory()
        let server = try PikaMaster(directory: dir)
        defer { server.stop() }
        try server.waitUntilReady()
        let log = dir.appendingPathComponent("log/log_db0").path

        let follow = try Spawned(
            CLI.executable.path, ["dump", log, "--follow"], stdout: dir.appendingPathComponent("follow.out").path,
            stderr: dir.appendingPathComponent("follow.err").path)
        defer { follow.stop() }

        // The load: strings (some of 40 000 bytes, over a block and over the 32 KiB files, so the
        // binlog rolls), counters, lists, hashes; each command logs one item.
        var commands: [String] = []
        for i in 0..<1200 {
            let size = i % 97 == 0 ? 40_000 : 20 + i % 300
            commands.append("SET key:\(i) \(String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: size))")
            if i % 5 == 0 { commands.append("INCR counter:\(i % 7)") }
            if i % 11 == 0 { commands.append("RPUSH list:\(i % 3) e\(i)") }
            if i % 13 == 0 { commands.append("HSET hash:\(i % 4) f\(i) v\(i)") }
        }
        // In three batches while the follower runs.
        let third = commands.count / 3
        for batch in [commands[..<third], commands[third..<(2 * third)], commands[(2 * third)...]] {
            try server.send(Array(batch))
        }
        let n = commands.count

        // Bounded wait until the follower printed every item, then SIGINT.
        let out = dir.appendingPathComponent("follow.out")
        var lines: [Substring] = []
        for _ in 0..<600 {
            lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
            if lines.count >= n { break }
            usleep(100_000)
        }
        #expect(lines.count == n, "the follower printed \(lines.count) of \(n) items")
        let status = try follow.interruptAndWait()
        #expect(status == 0)
        let err = try String(contentsOf: dir.appendingPathComponent("follow.err"), encoding: .utf8)
        #expect(err.contains("until SIGINT: \(n) items, logic ids 1..\(n), 0:0.."), "\(err)")

        let followed = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        // Once each, in order: logic ids 1…n, no damage, no padding (the live tail is not written yet).
        #expect(followed.count == n)
        #expect(followed.map { String($0.split(separator: " ")[1]) } == (1...n).map { "id=\($0)" })
        #expect(!followed.contains { $0.contains(" DAMAGE ") || $0.contains(" padding ") })

        try server.stopAndWait()
        let files = try FileManager.default.contentsOfDirectory(atPath: log).filter { $0.hasPrefix("write2file") }
        #expect(files.count >= 8, "the binlog rolled: \(files.sorted())")
        let dump = try CLI.run(["dump", log])
        #expect(dump.status == 0)
        #expect(dump.lines.filter { !$0.contains(" padding ") } == followed)
    }
}

/// A process started with the signals a test sends unblocked and at their defaults (Foundation's
/// `Process` starts children with SIGTERM blocked), its output in files.
final class Spawned {
    let pid: pid_t
    private var exitStatus: Int32? = nil

    init(_ path: String, _ arguments: [String], environment: [String: String]? = nil, stdout: String, stderr: String) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw CocoaError(.executableLoad, userInfo: ["path": path, "errno": rc]) }
        self.pid = pid
    }

    deinit { stop() }

    /// Whether it has exited (reaping it).
    var hasExited: Bool {
        if exitStatus != nil { return true }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = status
            return true
        }
        return false
    }

    /// Waits up to `seconds` (bounded polling) for it to exit; the raw wait status.
    func wait(seconds: Int) -> Int32? {
        for _ in 0..<(seconds * 20) {
            if hasExited { return exitStatus }
            usleep(50_000)
        }
        return nil
    }

    /// SIGINT, then its exit code (or a failure when it does not exit within 30 s).
    func interruptAndWait() throws -> Int32 {
        kill(pid, SIGINT)
        guard let status = wait(seconds: 30) else {
            stop()
            throw CocoaError(.featureUnsupported, userInfo: ["why": "pid \(pid) did not exit 30 s after SIGINT"])
        }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// SIGTERM, up to 20 s, then SIGKILL: by pid, never by name.
    func stop() {
        guard !hasExited else { return }
        kill(pid, SIGTERM)
        if wait(seconds: 20) == nil {
            kill(pid, SIGKILL)
            _ = wait(seconds: 10)
        }
    }
}

/// A Pika 3.5.0 master on free loopback ports in a test directory, 32 KiB binlog files, its
/// environment without the test's libfaketime preload (scripts/test runs the suite again under it).
final class PikaMaster {
    let port: UInt16
    let directory: URL
    private let process: Spawned

    init(directory: URL) throws {
        self.directory = directory
        port = try PikaMaster.freePortTriple()
        let d = directory.path
        let conf = """
            port : \(port)
            network-interface : lo
            thread-num : 2
            thread-pool-size : 4
            sync-thread-num : 2
            log-path : \(d)/log/
            db-path : \(d)/db/
            dump-path : \(d)/dump/
            db-sync-path : \(d)/dbsync/
            pidfile : \(d)/pika.pid
            daemonize : no
            instance-mode : classic
            databases : 1
            default-slot-num : 1024
            write-binlog : yes
            binlog-file-size : 32768
            expire-logs-days : 7
            expire-logs-nums : 100000
            write-buffer-size : 4M
            compression : snappy
            maxclients : 2000

            """
        try conf.write(to: directory.appendingPathComponent("pika.conf"), atomically: true, encoding: .utf8)
        process = try Spawned(
            FollowLiveTests.pika, ["-c", directory.appendingPathComponent("pika.conf").path], environment: realClockEnvironment(),
            stdout: directory.appendingPathComponent("pika.out").path, stderr: directory.appendingPathComponent("pika.err").path)
    }

    deinit { stop() }

    /// Bounded wait (30 s) for PING → PONG.
    func waitUntilReady() throws {
        for _ in 0..<150 {
            if process.hasExited { break }
            if let r = try? redis(["PING"]), r.trimmingCharacters(in: .whitespacesAndNewlines) == "PONG" { return }
            usleep(200_000)
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("pika.out"), encoding: .utf8)) ?? ""
        throw CocoaError(.featureUnsupported, userInfo: ["why": "pika on port \(port) did not answer PING: \(log.suffix(2000))"])
    }

    func redis(_ arguments: [String], input: String? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: FollowLiveTests.redisCLI)
        p.arguments = ["-h", "127.0.0.1", "-p", String(port)] + arguments
        // Without the suite's libfaketime preload (redis-cli hangs under it) …
        p.environment = realClockEnvironment()
        let out = Pipe()
        let inPipe = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try p.run()
        // … and never waited for without bound: SIGKILL after 120 s (the test then fails on
        // its missing replies).
        let pid = p.processIdentifier
        let watchdog = Thread {
            for _ in 0..<1200 {
                if !p.isRunning { return }
                usleep(100_000)
            }
            kill(pid, SIGKILL)
        }
        watchdog.start()
        if let input {
            // A writer thread: redis-cli answers while it reads, and the pipes are bounded.
            let data = Data(input.utf8)
            let writer = Thread {
                inPipe.fileHandleForWriting.write(data)
                try? inPipe.fileHandleForWriting.close()
            }
            writer.start()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Sends commands (one per line) and requires a reply for each, none an error.
    func send(_ commands: [String]) throws {
        let replies = try redis([], input: commands.joined(separator: "\n") + "\n").split(separator: "\n")
        #expect(replies.count == commands.count)
        #expect(!replies.contains { $0.hasPrefix("ERR") || $0.hasPrefix("(error)") })
    }

    /// SIGTERM (a clean stop truncates the live file), SIGKILL after 20 s.
    func stopAndWait() throws {
        process.stop()
        #expect(process.hasExited)
    }

    func stop() { process.stop() }

    /// A client port P whose replication (P+2000) and rsync (P+10001) ports are free as well.
    static func freePortTriple() throws -> UInt16 {
        for _ in 0..<50 {
            let p = try LoopbackPort.ephemeral()
            guard p < 65535 - 10001 else { continue }
            if LoopbackPort.isFree(p + 2000) && LoopbackPort.isFree(p + 10001) { return p }
        }
        throw CocoaError(.featureUnsupported, userInfo: ["why": "no free port triple on 127.0.0.1"])
    }
}
