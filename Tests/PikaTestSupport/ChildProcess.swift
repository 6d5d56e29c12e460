import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A process this suite started with `posix_spawn`, stopped and reaped by its pid.
///
/// Not Foundation's `Process`: a child of `Process` inherits the spawning thread's signal mask, in
/// which SIGTERM can be blocked (see `RedisServerProcess.stop`), and Pika shuts down cleanly only
/// on SIGTERM. Here the child starts with an empty mask and default dispositions.
public final class ChildProcess: @unchecked Sendable {
    public enum Termination: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exit \(code)"
            case .signaled(let signal): "signal \(signal)"
            }
        }
    }

    public let pid: pid_t
    public let name: String
    private let lock = NSLock()
    private var finished: Termination?

    /// Starts `executable` with `arguments`; stdin from `stdin` (or /dev/null), stdout to the file
    /// `output` and stderr to `errorOutput`, else to `output` too (created or truncated).
    public init(
        _ executable: String, _ arguments: [String], stdin: String? = nil, output: String, errorOutput: String? = nil,
        environment: [String: String] = realClockEnvironment()
    ) throws {
        name = (executable as NSString).lastPathComponent
        guard access(executable, X_OK) == 0 else {
            throw PikaSuiteError.setup("\(executable) is missing or not executable: run scripts/install-deps")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let errorOutput {
            posix_spawn_file_actions_addopen(&actions, 2, errorOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // Nothing else of this process's: a server started while another thread reads a child's
        // output through a pipe would otherwise hold the pipe's write end for as long as it runs,
        // and that reader would never see the end of it (seen: two suites hung on it).
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw PikaSuiteError.setup("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        pid = child
        ChildProcess.registry.add(self)
    }

    deinit { ChildProcess.registry.remove(pid) }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; Swift's Glibc module
    /// does not declare it).
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Reaps the child if it has ended; its termination, or nil while it runs.
    @discardableResult
    public func poll() -> Termination? {
        lock.lock()
        defer { lock.unlock() }
        if let finished { return finished }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return nil }
        let signal = status & 0x7f
        finished = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
        return finished
    }

    public var isRunning: Bool { poll() == nil }

    /// Waits (polling on the monotonic clock) up to `seconds` for the child to end.
    public func wait(seconds: Double) -> Termination? {
        let deadline = Monotonic.now + seconds
        while Monotonic.now < deadline {
            if let t = poll() { return t }
            usleep(20_000)
        }
        return poll()
    }

    /// Waits for the child; kills it (SIGKILL) and throws when it runs longer than `seconds`.
    public func waitOrKill(seconds: Double) throws -> Termination {
        if let t = wait(seconds: seconds) { return t }
        kill()
        throw PikaSuiteError.timeout("\(name) (pid \(pid)) still running after \(Int(seconds)) s: killed")
    }

    /// ``waitOrKill(seconds:)`` sleeping between polls instead of blocking its thread (the tests'
    /// threads are Swift concurrency's few cooperative ones, shared with the other suites).
    public func finish(seconds: Double) async throws -> Termination {
        var deadline = Deadline(seconds: seconds, interval: 0.02)
        while deadline.more() {
            if let t = poll() { return t }
            await deadline.sleep()
        }
        if let t = poll() { return t }
        kill()
        throw PikaSuiteError.timeout("\(name) (pid \(pid)) still running after \(Int(seconds)) s: killed")
    }

    /// SIGTERM, up to `grace` seconds, then SIGKILL. Returns how it ended and whether it had to be
    /// killed.
    @discardableResult
    public func stop(grace: Double = 20) -> (Termination?, killed: Bool) {
        if let t = poll() { return (t, false) }
        Glibc.kill(pid, SIGTERM)
        if let t = wait(seconds: grace) { return (t, false) }
        kill()
        return (poll(), true)
    }

    /// SIGINT, then up to `seconds` for it to end; kills it and throws when it does not.
    public func interrupt(seconds: Double) throws -> Termination {
        if let t = poll() { return t }
        Glibc.kill(pid, SIGINT)
        return try waitOrKill(seconds: seconds)
    }

    /// SIGKILL and reap.
    public func kill() {
        guard poll() == nil else { return }
        Glibc.kill(pid, SIGKILL)
        _ = wait(seconds: 10)
    }

    /// Every child still alive, killed when the test process exits (a test that failed between a
    /// start and its `defer` cannot leave a server behind).
    private static let registry = Registry()

    private final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var children: [pid_t: () -> Void] = [:]

        init() {
            atexit { ChildProcess.registry.killAll() }
        }

        func add(_ child: ChildProcess) {
            let pid = child.pid
            lock.lock()
            children[pid] = { [weak child] in child?.kill() }
            lock.unlock()
        }

        func remove(_ pid: pid_t) {
            lock.lock()
            children[pid] = nil
            lock.unlock()
        }

        func killAll() {
            lock.lock()
            let all = Array(children.values)
            lock.unlock()
            for k in all { k() }
        }
    }
}

/// A bounded wait that sleeps `interval` between polls: it ends once `seconds` have passed on the
/// monotonic clock *and* it polled as often as that many seconds allow. A sleeping task may not
/// run again for a long time while the suites beside it hold Swift concurrency's few threads (two
/// here): the bound is on what the server did meanwhile, not on how long this task was kept waiting.
public struct Deadline {
    public let end: Double
    public let interval: Double
    public let polls: Int
    private var done = 0

    public init(seconds: Double, interval: Double) {
        end = Monotonic.now + seconds
        self.interval = interval
        polls = Int(seconds / interval)
    }

    /// Whether to poll again (after ``sleep()``).
    public mutating func more() -> Bool {
        done += 1
        return done <= polls || Monotonic.now < end
    }

    public func sleep() async { await pause(interval) }
}

/// Sleeps without holding a thread.
public func pause(_ seconds: Double) async {
    try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
}

/// Seconds since the suite first asked, on Swift's continuous clock (never the date; libfaketime
/// leaves it alone: FAKETIME_DONT_FAKE_MONOTONIC=1). For bounded waits only.
public enum Monotonic {
    private static let origin = ContinuousClock.now
    public static var now: Double {
        let d = ContinuousClock.now - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

public enum PikaSuiteError: Error, CustomStringConvertible {
    /// Something the suite needs is missing: the run cannot prove anything.
    case setup(String)
    case timeout(String)
    case failed(String)

    public var description: String {
        switch self {
        case .setup(let why): "setup: \(why)"
        case .timeout(let what): "timeout: \(what)"
        case .failed(let what): what
        }
    }
}
