import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A throw-away `redis-server` on a free loopback port, with no persistence; stopped by `stop()`
/// (and on deinit).
///
/// Its connections replay a log at the log's time, not the wall clock's: Redis judges every expiry
/// on its own clock, and a log replayed weeks after Pika wrote it carries absolute expiry times
/// (EXPIREAT, PXAT, pksetexat…) that were in the future for Pika and are in the past today. So a
/// connection moves every absolute expiry time it sends by the distance between the server's clock
/// and `logTime` (see ``RedisConnection/clockShiftMs``): the replay sees each expiry as the server
/// that wrote the log did, on any date. (Faking the server's clock with libfaketime does not work:
/// redis-server's allocator reads the clock while the preload initializes, and it never starts.)
public final class RedisServerProcess {
    public static let executable = "/usr/bin/redis-server"

    public let port: UInt16
    /// The unix time (seconds) a replay's clock starts at.
    public let logTime: Int64
    private let process = Process()
    private let directory: URL

    public init(logTime: Int64) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw RedisError.setup("\(Self.executable) is missing: run scripts/install-deps (Debian package redis-server)")
        }
        self.logTime = logTime
        port = try LoopbackPort.ephemeral()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "binlogtool-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory.path, "--daemonize", "no", "--loglevel", "warning",
        ]
        // The server runs on the machine's real clock even when the suite runs under libfaketime
        // (scripts/test's date guard): the shift is measured against whatever clock it has.
        process.environment = realClockEnvironment()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    deinit { stop() }

    /// Connects, retrying while the server starts (up to ~5 s).
    public func connect() throws -> RedisConnection {
        var lastError: Error = RedisError.protocolError("no attempt")
        for _ in 0..<100 {
            // Another process took the port between our probe and the server's bind.
            if !process.isRunning { throw RedisError.protocolError("redis-server exited (port \(port) taken?)") }
            do {
                let c = try RedisConnection(port: port)
                if case .simple("PONG") = try c.call([Array("PING".utf8)]) {
                    // Whole seconds, so that second-based forms (EXPIREAT, EXAT) move exactly.
                    c.clockShiftMs = (try c.serverTimeMs() / 1000 - logTime) * 1000
                    return c
                }
            } catch {
                lastError = error
            }
            usleep(50_000)
        }
        throw lastError
    }

    /// Starts a server and connects to it (on another port if the first one was taken), replaying at
    /// `logTime` (unix seconds: the exec time of the last item of the log it will replay, the
    /// moment whose data Pika held), which then advances in real time.
    public static func started(logTime: Int64) throws -> (RedisServerProcess, RedisConnection) {
        var lastError: Error = RedisError.protocolError("no attempt")
        for _ in 0..<3 {
            let server = try RedisServerProcess(logTime: logTime)
            do {
                return (server, try server.connect())
            } catch {
                lastError = error
                server.stop()
            }
        }
        throw lastError
    }

    public func stop() {
        if process.isRunning {
            // SIGKILL: the server inherits a signal mask with SIGTERM blocked from Foundation's
            // spawning thread, and there is nothing to save.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Ports on 127.0.0.1 for the servers tests start (redis-server, pika): the one helper every
/// test target uses.
public enum LoopbackPort {
    /// A port the kernel hands out for 127.0.0.1 (bound, then released).
    public static func ephemeral() throws -> UInt16 {
        guard let p = bind(0) else { throw RedisError.system("bind 127.0.0.1:0", errno) }
        return p
    }

    /// Whether 127.0.0.1:`port` can be bound now.
    public static func isFree(_ port: UInt16) -> Bool { bind(port) == port }

    /// Binds 127.0.0.1:`port` (0: any) and releases it; the port bound, nil when it failed.
    static func bind(_ port: UInt16) -> UInt16? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return named == 0 ? UInt16(bigEndian: address.sin_port) : nil
    }
}

public enum RedisError: Error, CustomStringConvertible {
    case system(String, Int32)
    case protocolError(String)
    case closed
    /// The server cannot be run as the tests need it (a missing package).
    case setup(String)

    public var description: String {
        switch self {
        case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
        case .protocolError(let what): "RESP: \(what)"
        case .closed: "connection closed"
        case .setup(let why): why
        }
    }
}

/// A RESP2 reply.
public indirect enum RedisReply: Equatable {
    case simple(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8]?)
    case array([RedisReply]?)

    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let b): return b
        case .simple(let s): return Array(s.utf8)
        default: return nil
        }
    }

    public var integer: Int64? {
        if case .integer(let v) = self { return v }
        return nil
    }

    /// Every bulk string of a (nested) array reply, in order.
    public var flattened: [[UInt8]] {
        switch self {
        case .array(let items?): return items.flatMap(\.flattened)
        case .bulk(let b?): return [b]
        case .simple(let s): return [Array(s.utf8)]
        case .integer(let i): return [Array(String(i).utf8)]
        default: return []
        }
    }
}

// The C calls under names the connection's methods do not shadow.
private func socketConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

private func socketSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    send(fd, bytes, count, flags)
}

/// A blocking RESP connection over a plain TCP socket, with pipelining.
public final class RedisConnection {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var position = 0

    /// - Parameter timeoutSeconds: when positive, a send or receive that waits longer throws
    ///   (`EAGAIN`) instead of blocking for ever.
    public init(port: UInt16, timeoutSeconds: Int = 0) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RedisError.system("socket", errno) }
        if timeoutSeconds > 0 {
            var limit = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
                guard setsockopt(fd, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
                    throw RedisError.system("setsockopt", errno)
                }
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                socketConnect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            // No close(fd) here: the object is fully initialized, so deinit runs and closes it. A
            // second close would close whatever descriptor another thread opened with that number.
            throw RedisError.system("connect", errno)
        }
    }

    deinit { close(fd) }

    /// The RESP encoding of one command.
    public static func encode(_ argv: [[UInt8]], into out: inout [UInt8]) {
        out.append(contentsOf: Array("*\(argv.count)\r\n".utf8))
        for arg in argv {
            out.append(contentsOf: Array("$\(arg.count)\r\n".utf8))
            out.append(contentsOf: arg)
            out.append(contentsOf: [13, 10])
        }
    }

    public func call(_ argv: [[UInt8]]) throws -> RedisReply {
        try pipeline([argv])[0]
    }

    /// How far the server's clock is ahead of the log's (milliseconds, whole seconds): added to
    /// every absolute expiry time sent (``shifted(_:by:)``), subtracted from the server's clock in
    /// ``logTimeMs()``.
    public var clockShiftMs: Int64 = 0

    /// The replay's "now" in the log's time (unix milliseconds): the server's clock less the shift.
    /// Expiries sent through this connection are judged by Redis as they would be at this time.
    public func logTimeMs() throws -> Int64 {
        try serverTimeMs() - clockShiftMs
    }

    /// The server's clock (`TIME`), in unix milliseconds.
    public func serverTimeMs() throws -> Int64 {
        let reply = try call([Array("TIME".utf8)]).flattened
        guard reply.count == 2, let s = Int64(String(decoding: reply[0], as: UTF8.self)),
            let us = Int64(String(decoding: reply[1], as: UTF8.self))
        else { throw RedisError.protocolError("TIME") }
        return s * 1000 + us / 1000
    }

    /// Sends every command, then reads one reply per command.
    public func pipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply] {
        var out: [UInt8] = []
        for c in commands { Self.encode(clockShiftMs == 0 ? c : Self.shifted(c, by: clockShiftMs), into: &out) }
        return try send(encoded: out, replies: commands.count)
    }

    /// `argv` with each absolute expiry time moved by `shiftMs`: `EXPIREAT key s`, `PEXPIREAT key
    /// ms`, the `EXAT s` / `PXAT ms` options of SET and GETEX, `pksetexat key s value` (0, no
    /// expiry, stays). A time pushed below 1 becomes 1: still in the past, as it was. Relative
    /// forms and arguments that are not numbers stay as they are.
    public static func shifted(_ argv: [[UInt8]], by shiftMs: Int64) -> [[UInt8]] {
        guard argv.count >= 3, argv[0].count <= 9 else { return argv }
        var out = argv
        func move(_ i: Int, seconds: Bool) {
            guard i < out.count, let t = Int64(String(decoding: out[i], as: UTF8.self)) else { return }
            let moved = seconds ? t + shiftMs / 1000 : t + shiftMs
            out[i] = Array(String(max(moved, 1)).utf8)
        }
        switch String(decoding: argv[0], as: UTF8.self).lowercased() {
        case "expireat": move(2, seconds: true)
        case "pexpireat": move(2, seconds: false)
        case "pksetexat": if argv[2] != [UInt8(ascii: "0")] { move(2, seconds: true) }
        case let name where name == "set" || name == "getex":
            // Options follow the key (GETEX) or the value (SET).
            for i in stride(from: name == "set" ? 3 : 2, to: argv.count - 1, by: 1) {
                switch String(decoding: argv[i], as: UTF8.self).lowercased() {
                case "exat": move(i + 1, seconds: true)
                case "pxat": move(i + 1, seconds: false)
                default: break
                }
            }
        default: break
        }
        return out
    }

    /// Sends pre-encoded commands, then reads `replies` replies.
    public func send(encoded: [UInt8], replies: Int) throws -> [RedisReply] {
        try encoded.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = socketSend(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw RedisError.system("send", errno)
                }
                sent += n
            }
        }
        var out: [RedisReply] = []
        out.reserveCapacity(replies)
        for _ in 0..<replies { out.append(try readReply()) }
        return out
    }

    private func fill() throws {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        if n < 0 {
            if errno == EINTR { return }
            throw RedisError.system("recv", errno)
        }
        if n == 0 { throw RedisError.closed }
        buffer.append(contentsOf: chunk[0..<n])
    }

    private func readLine() throws -> [UInt8] {
        while true {
            var i = position
            while i + 1 < buffer.count {
                if buffer[i] == 13 && buffer[i + 1] == 10 {
                    let line = Array(buffer[position..<i])
                    position = i + 2
                    return line
                }
                i += 1
            }
            try fill()
        }
    }

    private func readBytes(_ count: Int) throws -> [UInt8] {
        while buffer.count - position < count + 2 { try fill() }
        let bytes = Array(buffer[position..<(position + count)])
        position += count + 2
        return bytes
    }

    private func readReply() throws -> RedisReply {
        let line = try readLine()
        guard let kind = line.first else { throw RedisError.protocolError("empty line") }
        let rest = String(decoding: line.dropFirst(), as: UTF8.self)
        switch kind {
        case UInt8(ascii: "+"): return .simple(rest)
        case UInt8(ascii: "-"): return .error(rest)
        case UInt8(ascii: ":"):
            guard let v = Int64(rest) else { throw RedisError.protocolError("integer \(rest)") }
            return .integer(v)
        case UInt8(ascii: "$"):
            guard let n = Int(rest) else { throw RedisError.protocolError("bulk \(rest)") }
            return n < 0 ? .bulk(nil) : .bulk(try readBytes(n))
        case UInt8(ascii: "*"):
            guard let n = Int(rest) else { throw RedisError.protocolError("array \(rest)") }
            if n < 0 { return .array(nil) }
            var items: [RedisReply] = []
            for _ in 0..<n { items.append(try readReply()) }
            return .array(items)
        default:
            throw RedisError.protocolError("reply type \(kind)")
        }
    }
}

