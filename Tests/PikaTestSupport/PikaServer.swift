import Foundation
import RedisTestSupport
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A real Pika 3.5.0 server from a temporary directory, on loopback only (`network-interface :
/// lo`), on a port P whose P+2000 (replication) and P+10001 (full-sync rsync) are free too.
public final class PikaServer: @unchecked Sendable {
    public struct Configuration {
        public var threadPoolSize = 4
        public var binlogFileSize = 104_857_600
        /// `slaveof : HOST:PORT` and `master-run-id : ID`: an incremental sync from the binlog
        /// position in its log directory (without the run id, Pika full-syncs).
        public var replicaOf: (port: UInt16, runID: String)? = nil
        public var writeBinlog = true

        public init(
            threadPoolSize: Int = 4, binlogFileSize: Int = 104_857_600, replicaOf: (port: UInt16, runID: String)? = nil,
            writeBinlog: Bool = true
        ) {
            self.threadPoolSize = threadPoolSize
            self.binlogFileSize = binlogFileSize
            self.replicaOf = replicaOf
            self.writeBinlog = writeBinlog
        }
    }

    public let root: URL
    public let port: UInt16
    public let configuration: Configuration
    public private(set) var process: ChildProcess
    public let name: String

    public var confPath: String { root.appendingPathComponent("pika.conf").path }
    public var logPath: URL { root.appendingPathComponent("log") }
    /// The binlog directory (`<log-path>/log_db0`).
    public var binlogDirectory: URL { logPath.appendingPathComponent("log_db0") }
    public var dbPath: URL { root.appendingPathComponent("db") }
    public var dumpPath: URL { root.appendingPathComponent("dump") }

    /// Writes the configuration into `root` (which may already hold `db/db0` and `log/log_db0`, as
    /// a restored replica does) and starts the server; returns once it answers PING as this pid.
    public init(name: String, root: URL, configuration: Configuration) async throws {
        try Programs.requireAll()
        self.name = name
        self.root = root
        self.configuration = configuration
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var lastError: Error = PikaSuiteError.failed("no attempt")
        for _ in 0..<4 {
            let port = try PortReservation.reserve()
            do {
                try Self.writeConfiguration(configuration, port: port, root: root)
                let process = try ChildProcess(
                    Programs.pika, ["-c", root.appendingPathComponent("pika.conf").path],
                    output: root.appendingPathComponent("stdout.log").path)
                do {
                    try await Self.waitForPing(process, port: port, root: root)
                } catch {
                    process.stop(grace: 5)
                    throw error
                }
                self.port = port
                self.process = process
                return
            } catch {
                PortReservation.release(port)
                lastError = error
                // A port taken between the probe and Pika's bind: another port. Anything else: fail.
                guard "\(error)".contains("conflict") || "\(error)".contains("Address already in use") else { throw error }
            }
        }
        throw lastError
    }

    private static func writeConfiguration(_ c: Configuration, port: UInt16, root: URL) throws {
        let p = root.path
        var lines = [
            "port : \(port)",
            "network-interface : lo",
            "thread-num : 2",
            "thread-pool-size : \(c.threadPoolSize)",
            "sync-thread-num : 2",
            "log-path : \(p)/log/",
            "db-path : \(p)/db/",
            "dump-path : \(p)/dump/",
            "db-sync-path : \(p)/dbsync/",
            "pidfile : \(p)/pika.pid",
            "daemonize : no",
            "instance-mode : classic",
            "databases : 1",
            "default-slot-num : 1024",
            "write-binlog : \(c.writeBinlog ? "yes" : "no")",
            "binlog-file-size : \(c.binlogFileSize)",
            // No purge while a test runs: a replica asks for the binlog from a dump's offset.
            "expire-logs-days : 3650",
            "expire-logs-nums : 100000",
            "write-buffer-size : 4M",
            "compression : snappy",
            "maxclients : 2000",
        ]
        if let r = c.replicaOf {
            lines.append("slaveof : 127.0.0.1:\(r.port)")
            lines.append("master-run-id : \(r.runID)")
        }
        try (lines.joined(separator: "\n") + "\n").write(
            to: root.appendingPathComponent("pika.conf"), atomically: true, encoding: .utf8)
    }

    /// Up to 60 s for PING → PONG from this very process (`INFO server`'s process_id), so that an
    /// older server still holding the port is never taken for it. (It answers within a second
    /// alone; the whole test run starting beside it on two cores slows it down.)
    private static func waitForPing(_ process: ChildProcess, port: UInt16, root: URL) async throws {
        var deadline = Deadline(seconds: 60, interval: 0.1)
        var last = "no answer"
        while deadline.more() {
            if let t = process.poll() {
                let log = (try? String(contentsOf: root.appendingPathComponent("stdout.log"), encoding: .utf8)) ?? ""
                let fatal = (try? String(contentsOf: root.appendingPathComponent("log/pika.FATAL"), encoding: .utf8)) ?? ""
                throw PikaSuiteError.failed(
                    "pika on port \(port) ended (\(t)) before answering: \(fatal.suffix(400)) \(log.suffix(800))")
            }
            do {
                let c = try RedisConnection(port: port, timeoutSeconds: 5)
                if case .simple("PONG") = try c.call([Array("PING".utf8)]) {
                    let info = try Self.info(c, "server")
                    if info["process_id"] == String(process.pid) { return }
                    last = "port \(port) answered as process \(info["process_id"] ?? "?"), not \(process.pid)"
                }
            } catch {
                last = "\(error)"
            }
            await deadline.sleep()
        }
        let log = (try? String(contentsOf: root.appendingPathComponent("log/pika.INFO"), encoding: .utf8)) ?? "(no pika.INFO)"
        throw PikaSuiteError.timeout(
            "pika (pid \(process.pid)) on port \(port) did not answer PING within 60 s: \(last); its log ends: \(log.suffix(1200))")
    }

    deinit {
        process.kill()
        PortReservation.release(port)
    }

    /// A connection whose reads and writes wait at most `timeoutSeconds`.
    public func connect(timeoutSeconds: Int = 60) throws -> RedisConnection {
        try RedisConnection(port: port, timeoutSeconds: timeoutSeconds)
    }

    /// Sends one command; throws on an error reply.
    @discardableResult
    public func command(_ words: String...) throws -> RedisReply {
        let reply = try connect().call(words.map { Array($0.utf8) })
        if case .error(let e) = reply { throw PikaSuiteError.failed("\(name): \(words.joined(separator: " ")): \(e)") }
        return reply
    }

    /// `INFO section` as key → value.
    public func info(_ section: String) throws -> [String: String] {
        try Self.info(connect(), section)
    }

    public static func info(_ c: RedisConnection, _ section: String) throws -> [String: String] {
        let reply = try c.call([Array("INFO".utf8), Array(section.utf8)])
        guard let bytes = reply.bytes else { throw PikaSuiteError.failed("INFO \(section): \(reply)") }
        var out: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            if let colon = line.firstIndex(of: ":") {
                out[String(line[..<colon])] = String(line[line.index(after: colon)...])
            } else if line.hasPrefix("db0 binlog_offset=") {
                // "db0 binlog_offset=F O,safety_purge=…"
                let value = line.dropFirst("db0 binlog_offset=".count).prefix { $0 != "," }
                out["db0_binlog_offset"] = String(value)
            }
        }
        return out
    }

    public var runID: String {
        get throws {
            guard let id = try info("server")["run_id"], id.count == 40 else {
                throw PikaSuiteError.failed("\(name): no run_id in INFO server")
            }
            return id
        }
    }

    /// The producer position `F O` of db0 (`INFO replication`).
    public func binlogOffset() throws -> String {
        guard let o = try info("replication")["db0_binlog_offset"] else {
            throw PikaSuiteError.failed("\(name): no db0 binlog_offset in INFO replication")
        }
        return o
    }

    /// Every key, type, value and TTL presence.
    public func dataset() throws -> RedisDataset {
        try RedisDataset.read(connect())
    }

    /// The dataset once two reads 0.5 s apart agree (≤ `seconds`). A 3.5.0 replica logs a received
    /// item, which moves its binlog offset, before a worker of its own applies it to the data: an
    /// offset equal to the master's does not mean the data is there yet.
    public func settledDataset(seconds: Double = 30) async throws -> RedisDataset {
        var deadline = Deadline(seconds: seconds, interval: 0.5)
        var previous = try dataset()
        while deadline.more() {
            await deadline.sleep()
            let now = try dataset()
            if now == previous { return now }
            previous = now
        }
        throw PikaSuiteError.timeout("\(name): data still changing after \(Int(seconds)) s")
    }

    /// BGSAVE, waits (≤ 60 s) until it is over, and moves the dump directory (`dump/<date>`) to
    /// `destination`. Returns the dump's `db0` directory, or nil when Pika's bgsave failed (it then
    /// leaves `db0_FAILED`: a backup that raced a compaction, seen on this build).
    public func bgsave(to destination: URL) async throws -> URL? {
        try command("BGSAVE")
        var deadline = Deadline(seconds: 60, interval: 0.05)
        while true {
            await deadline.sleep()
            if try info("stats")["is_bgsaving"] == "No" { break }
            if !deadline.more() { throw PikaSuiteError.timeout("\(name): BGSAVE still running after 60 s") }
        }
        let dated = try FileManager.default.contentsOfDirectory(atPath: dumpPath.path)
        guard dated.count == 1 else { throw PikaSuiteError.failed("\(name): dump directory holds \(dated)") }
        try FileManager.default.moveItem(at: dumpPath.appendingPathComponent(dated[0]), to: destination)
        let db0 = destination.appendingPathComponent("db0")
        return FileManager.default.fileExists(atPath: db0.appendingPathComponent("info").path) ? db0 : nil
    }

    /// Waits (≤ `seconds`) until two reads of the binlog offset 0.5 s apart agree: no write in flight.
    public func waitQuiescent(seconds: Double = 30) async throws -> String {
        var deadline = Deadline(seconds: seconds, interval: 0.5)
        var previous = try binlogOffset()
        while deadline.more() {
            await deadline.sleep()
            let now = try binlogOffset()
            if now == previous { return now }
            previous = now
        }
        throw PikaSuiteError.timeout("\(name): binlog offset still moving after \(Int(seconds)) s")
    }

    /// Waits (≤ `seconds`) until this replica's binlog offset equals the master's and the master
    /// sees its link with no lag.
    public func waitCaughtUp(with master: PikaServer, seconds: Double = 60) async throws {
        var deadline = Deadline(seconds: seconds, interval: 0.2)
        var last = ""
        while deadline.more() {
            let mine = try info("replication")
            let target = try master.binlogOffset()
            last = "replica \(mine["db0_binlog_offset"] ?? "?") (link \(mine["master_link_status"] ?? "?")), master \(target)"
            if mine["master_link_status"] == "up" && mine["db0_binlog_offset"] == target {
                let masterView = try master.info("replication")
                if masterView.values.contains(where: { $0.contains("port=\(port),") && $0.contains("lag=(db0:0)") }) {
                    return
                }
            }
            await deadline.sleep()
        }
        throw PikaSuiteError.timeout("\(name) not caught up with \(master.name) after \(Int(seconds)) s: \(last)")
    }

    /// Stops the server: SIGTERM, up to 20 s, then SIGKILL (one shutdown in six hung on this build).
    @discardableResult
    public func stop() -> String {
        let (t, killed) = process.stop(grace: 20)
        return killed ? "\(name) killed after 20 s (\(t.map(\.description) ?? "?"))" : "\(name) stopped (\(t.map(\.description) ?? "?"))"
    }

    /// ``stop()`` sleeping between polls instead of blocking its thread.
    @discardableResult
    public func shutDown() async -> String {
        if process.poll() == nil {
            kill(process.pid, SIGTERM)
            var deadline = Deadline(seconds: 20, interval: 0.05)
            while process.poll() == nil && deadline.more() { await deadline.sleep() }
        }
        return stop()
    }

    /// Starts the server again from the same directory and configuration file; `whileStopped`
    /// runs between the shutdown and the start.
    public func restart(whileStopped: () throws -> Void = {}) async throws {
        await shutDown()
        try whileStopped()
        let process = try ChildProcess(
            Programs.pika, ["-c", confPath], output: root.appendingPathComponent("stdout-restart.log").path)
        do {
            try await Self.waitForPing(process, port: port, root: root)
        } catch {
            process.stop(grace: 5)
            throw error
        }
        self.process = process
    }

    /// Rewrites the configuration file (for the next start).
    public func reconfigure(_ change: (inout Configuration) -> Void) throws {
        var c = configuration
        change(&c)
        try Self.writeConfiguration(c, port: port, root: root)
    }
}

/// Ports P in [20000, 22000): P+2000 falls in [22000, 24000) and P+10001 in [30001, 32001), below
/// Linux's ephemeral range and apart from each other, so two instances collide only on equal P.
/// Each P is probed (bind) with its two companions and kept out of reuse by this process.
public enum PortReservation {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var reserved: Set<UInt16> = []

    public static func reserve() throws -> UInt16 {
        for _ in 0..<200 {
            let p = UInt16.random(in: 20000..<22000)
            lock.lock()
            let taken = reserved.contains(p)
            if !taken { reserved.insert(p) }
            lock.unlock()
            if taken { continue }
            if [p, p + 2000, p + 10001].allSatisfy(LoopbackPort.isFree) { return p }
            release(p)
        }
        throw PikaSuiteError.setup("no free port P in 20000..<22000 with P+2000 and P+10001 free")
    }

    public static func release(_ p: UInt16) {
        lock.lock()
        reserved.remove(p)
        lock.unlock()
    }
}
