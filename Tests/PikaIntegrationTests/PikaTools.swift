import Foundation
import PikaTestSupport
import RedisTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The built binlogtool, run as an operator would. It keeps this process's environment: under
/// scripts/test's date guard it runs ten years ahead, as the suite does.
enum Binlogtool {
    struct Result {
        var status: ChildProcess.Termination
        var output: String
        var arguments: [String]

        var code: Int32? {
            if case .exited(let c) = status { return c }
            return nil
        }

        /// The output as one JSON object (verify-snapshot, prepare-replica `--format json`).
        func json() throws -> [String: Any] {
            guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("{") }),
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            else { throw PikaSuiteError.failed("binlogtool \(arguments.joined(separator: " ")): no JSON in \(output.prefix(800))") }
            return object
        }

        /// The output as JSON lines (check, diff `--format json`).
        func jsonLines() throws -> [[String: Any]] {
            try output.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
                guard let o = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
                    throw PikaSuiteError.failed("not a JSON object: \($0.prefix(200))")
                }
                return o
            }
        }
    }

    /// Runs `binlogtool arguments` (≤ `seconds`, killed after); stdout and stderr together.
    static func run(_ arguments: [String], seconds: Double = 180) async throws -> Result {
        let out = try await Run.capture(
            Programs.binlogtool, arguments, seconds: seconds, environment: ProcessInfo.processInfo.environment)
        return Result(status: out.status, output: out.output, arguments: arguments)
    }
}

enum RedisTools {
    /// `redis-cli -p PORT --pipe < stream`: the number of errors it reports (`errors: N`).
    static func pipe(_ stream: String, port: UInt16) async throws -> (errors: Int, replies: Int, output: String) {
        let out = try await Run.capture(Programs.redisCLI, ["-h", "127.0.0.1", "-p", String(port), "--pipe"], stdin: stream, seconds: 120)
        // "errors: 0, replies: 42"
        guard out.status == .exited(0) || out.status == .exited(1),
            let range = out.output.range(of: "errors: "),
            let errors = Int(out.output[range.upperBound...].prefix { $0.isNumber })
        else { throw PikaSuiteError.failed("redis-cli --pipe < \(stream): \(out.status): \(out.output.suffix(800))") }
        var replies = -1
        if let r = out.output.range(of: "replies: ") { replies = Int(out.output[r.upperBound...].prefix { $0.isNumber }) ?? -1 }
        return (errors, replies, out.output)
    }

    /// `redis-benchmark -c 24 -P 12 -r 48 -n requests` of one command (keys `…__rand_int__`), in
    /// the background.
    static func load(port: UInt16, requests: Int, clients: Int = 24, pipeline: Int = 12, command: [String], log: String) throws
        -> ChildProcess
    {
        try ChildProcess(
            Programs.redisBenchmark,
            ["-h", "127.0.0.1", "-p", String(port), "-c", String(clients), "-P", String(pipeline), "-r", "48",
             "-n", String(requests), "-q"] + command,
            output: log)
    }
}

/// A steady, light write load from a thread of this process: `incr lag:ctr:N` and `rpush
/// lag:list:N x` (N < 48), 16 commands every ~8 ms (≈ 2 000 items/s), until ``stop()``. The
/// benchmark loads write ~40 000 items/s, more than a debug binlogtool reads while they run.
final class SteadyLoad: @unchecked Sendable {
    private let lock = NSLock()
    private var stopping = false
    private var sent = 0
    private var failure: String?
    private let done = DispatchSemaphore(value: 0)
    private let connection: RedisConnection

    init(port: UInt16) throws {
        connection = try RedisConnection(port: port, timeoutSeconds: 30)
        Thread.detachNewThread { [self] in
            defer { done.signal() }
            var batch: [[[UInt8]]] = []
            while true {
                lock.lock()
                let stop = stopping
                lock.unlock()
                if stop { return }
                batch.removeAll(keepingCapacity: true)
                for _ in 0..<8 {
                    batch.append([Array("incr".utf8), Array("lag:ctr:\(Int.random(in: 0..<48))".utf8)])
                    batch.append([Array("rpush".utf8), Array("lag:list:\(Int.random(in: 0..<48))".utf8), Array("x".utf8)])
                }
                do {
                    let replies = try connection.pipeline(batch)
                    if let e = replies.first(where: { if case .error = $0 { return true } else { return false } }) {
                        throw PikaSuiteError.failed("\(e)")
                    }
                } catch {
                    lock.lock()
                    failure = "\(error)"
                    lock.unlock()
                    return
                }
                lock.lock()
                sent += batch.count
                lock.unlock()
                usleep(8_000)
            }
        }
    }

    /// Commands acknowledged so far.
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return sent
    }

    var error: String? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    /// Stops the thread (≤ 30 s: its reads time out).
    func stop() {
        lock.lock()
        stopping = true
        lock.unlock()
        _ = done.wait(timeout: .now() + 60)
    }
}

/// Pika's own restore tool.
enum ManifestGenerator {
    /// `manifest_generator -d DUMP -l LOG_DIR` (it creates only the last component of LOG_DIR;
    /// exits 255 on failure).
    static func run(dump: URL, logDirectory: URL) async throws -> String {
        try FileManager.default.createDirectory(at: logDirectory.deletingLastPathComponent(), withIntermediateDirectories: true)
        let out = try await Run.capture(Programs.manifestGenerator, ["-d", dump.path, "-l", logDirectory.path], seconds: 60)
        guard out.status == .exited(0) else {
            throw PikaSuiteError.failed("manifest_generator -d \(dump.path) -l \(logDirectory.path): \(out.status): \(out.output.suffix(800))")
        }
        return out.output
    }
}

enum Files {
    /// FNV-1a-64 of a file's bytes.
    static func hash(_ path: String) throws -> UInt64 {
        guard let data = FileManager.default.contents(atPath: path) else { throw PikaSuiteError.failed("cannot read \(path)") }
        return data.withUnsafeBytes { raw in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in raw.bindMemory(to: UInt8.self) {
                h ^= UInt64(b)
                h = h &* 0x100_0000_01b3
            }
            return h
        }
    }

    /// `write2file<N>` → N.
    static func binlogNumber(_ name: String) -> Int? {
        name.hasPrefix("write2file") ? Int(name.dropFirst("write2file".count)) : nil
    }

    /// Copies `source` (a directory tree) to `destination`, each file read to its end as it is
    /// then. Not `FileManager.copyItem`: it copies as many bytes as the file had when it looked,
    /// and Pika cuts its newest binlog file (preallocated, zero-filled) back to what it wrote when
    /// it rolls to the next, so a copy of a live binlog taken by it looped on for ever (seen once:
    /// the whole suite hung in `sendfile`).
    static func copyTree(_ source: URL, to destination: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: destination, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: source.path).sorted() {
            let from = source.appendingPathComponent(name)
            let to = destination.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: from.path, isDirectory: &isDirectory) else { continue }  // removed meanwhile
            if isDirectory.boolValue {
                try copyTree(from, to: to)
            } else {
                try copyFile(from.path, to: to.path)
            }
        }
    }

    /// Reads `source` until read(2) says it ended and writes what it read to a new `destination`.
    static func copyFile(_ source: String, to destination: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            if errno == ENOENT { return }  // purged by the server meanwhile
            throw PikaSuiteError.setup("cannot open \(source): \(String(cString: strerror(errno)))")
        }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw PikaSuiteError.setup("cannot create \(destination): \(String(cString: strerror(errno)))") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw PikaSuiteError.setup("cannot read \(source): \(String(cString: strerror(errno)))") }
            if n == 0 { return }
            var done = 0
            while done < n {
                let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + done, n - done) }
                if w < 0 && errno == EINTR { continue }
                guard w > 0 else { throw PikaSuiteError.setup("cannot write \(destination): \(String(cString: strerror(errno)))") }
                done += w
            }
        }
    }
}
