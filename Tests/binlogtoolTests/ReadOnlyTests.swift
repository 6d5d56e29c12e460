import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The verbs that read (`dump`, `check`, `diff`, `verify-snapshot`, and `rewrite`, whose output goes
/// elsewhere) never write to their inputs.
///
/// Three proofs, because the tests run as root and root ignores `chmod -w`:
/// * on a copy made read-only (`chmod -R a-w`), every file's bytes, size, mode and mtime and every
///   directory's entries are the same afterwards;
/// * the same runs as an unprivileged user (`setpriv` to `nobody`), for whom the read-only copy
///   really is read-only: any write attempt would fail, and the output must equal root's;
/// * under `strace`, no input path is opened with `O_WRONLY`, `O_RDWR`, `O_CREAT`, `O_TRUNC` or
///   `O_APPEND`, nor renamed, unlinked, created, linked or chmod-ed.
/// And `verify-snapshot` reads a RocksDB directory whose `LOCK` another process holds (as a running
/// Pika, or `ldb`, holds it) without waiting for it or failing.
@Suite(.serialized) struct ReadOnlyTests {
    /// Read-only copies of every kind of input, under one temporary root.
    struct Inputs {
        var root: URL
        /// Where `rewrite` writes (outside `root`, writable by everyone).
        var outputs: URL
        var binlog: String
        var master: String
        var replica: String
        var dump: String
        var v4Binlog: String
        var v4Dump: String

        /// Every verb on these inputs, as an operator would run them.
        var commands: [[String]] {
            var all = [
                ["dump", binlog],
                ["dump", binlog, "--format", "json", "--start-position", "7:262165"],
                ["dump", binlog, "--stats"],
                ["check", binlog],
                ["check", binlog, "--format", "json"],
                ["diff", master, replica],
                // `rewrite` reads the same inputs; its output goes elsewhere (`@OUT@`, see `run`).
                ["rewrite", binlog, "--out", "@OUT@", "--report", "@OUT@.jsonl"],
                ["rewrite", replica, "--out", "@OUT@", "--format", "resp"],
            ]
            if VerifySnapshotCommandTests.hasRocksDB {
                all.append(["verify-snapshot", dump, "--binlog", binlog, "--window", "50", "--format", "json"])
                all.append(["verify-snapshot", v4Dump, "--binlog", v4Binlog, "--window", "50"])
                all.append(["rewrite", binlog, "--snapshot", dump, "--out", "@OUT@"])
            }
            return all
        }

        /// Runs `command` (through `wrapper`, e.g. setpriv or strace) with `@OUT@` replaced by a
        /// fresh path under ``outputs``; that path is spelled `@OUT@` again in the result.
        func run(_ command: [String], wrapper: [String] = []) throws -> CLIResult {
            let out = outputs.appendingPathComponent("out-\(UUID().uuidString)").path
            let arguments = command.map { $0.replacingOccurrences(of: "@OUT@", with: out) }
            var r =
                wrapper.isEmpty
                ? try CLI.run(arguments)
                : try CLI.runProgram(wrapper[0], Array(wrapper.dropFirst()) + [CLI.executable.path] + arguments)
            r.stdout = r.stdout.replacingOccurrences(of: out, with: "@OUT@")
            r.stderr = r.stderr.replacingOccurrences(of: out, with: "@OUT@")
            return r
        }

        func remove() {
            _ = try? ReadOnlyTests.shell("/bin/chmod", ["-R", "u+w", root.path])
            try? FileManager.default.removeItem(at: root)
            try? FileManager.default.removeItem(at: outputs)
        }
    }

    static func makeInputs(readOnly: Bool = true) throws -> Inputs {
        let root = try CLI.temporaryDirectory()
        // Readable and searchable by everyone (the unprivileged run), writable by nobody.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.path)
        func copy(_ fixture: String, _ name: String) throws -> String {
            let to = root.appendingPathComponent(name).path
            try FileManager.default.createDirectory(
                atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try shell("/bin/cp", ["-R", CLI.fixture(fixture), to])
            return to
        }
        let outputs = try CLI.temporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: outputs.path)
        let inputs = Inputs(
            root: root, outputs: outputs,
            binlog: try copy("bgsave/binlog/log_db0", "bgsave/log_db0"),
            master: try copy("slave/master/binlog/log_db0", "master/log_db0"),
            replica: try copy("slave/slave/binlog/log_db0", "replica/log_db0"),
            dump: try copy("bgsave/dump/20261120/db0", "bgsave/dump/db0"),
            v4Binlog: try copy("v4-bgsave/binlog/log_db0", "v4/log_db0"),
            v4Dump: try copy("v4-bgsave/dump/20261121/db0", "v4/dump/db0"))
        for dir in try FileManager.default.contentsOfDirectory(atPath: root.path) {
            let path = root.appendingPathComponent(dir).path
            try shell("/bin/chmod", ["-R", readOnly ? "a+rX,a-w" : "a+rX,u+w", path])
        }
        return inputs
    }

    /// Runs a helper program; throws unless it exits 0.
    @discardableResult
    static func shell(_ program: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw CLIFailure("\(program) \(arguments.joined(separator: " ")) exited \(p.terminationStatus): \(text)")
        }
        return text
    }

    /// What must not change: each file's bytes, size, mode and mtime, each directory's entries.
    struct Snapshot: Equatable {
        var files: [String: Data] = [:]
        var attributes: [String: String] = [:]
    }

    static func snapshot(_ root: URL) throws -> Snapshot {
        var s = Snapshot()
        let base = root.path
        let enumerator = FileManager.default.enumerator(atPath: base)!
        for case let relative as String in enumerator {
            let path = base + "/" + relative
            var st = stat()
            guard lstat(path, &st) == 0 else { throw CLIFailure("lstat \(path)") }
            s.attributes[relative] =
                "mode \(String(st.st_mode, radix: 8)) size \(st.st_size) mtime \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
            if (st.st_mode & S_IFMT) == S_IFREG {
                s.files[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        return s
    }

    // MARK: chmod -w, as root

    @Test func everyVerbLeavesAReadOnlyCopyUnchanged() throws {
        let inputs = try Self.makeInputs()
        defer { inputs.remove() }
        let before = try Self.snapshot(inputs.root)
        #expect(before.files.count > 50)
        // No RocksDB LOCK in a bgsave dump, and none may appear.
        #expect(!before.attributes.keys.contains { $0.hasSuffix("/LOCK") })
        for command in inputs.commands {
            let r = try inputs.run(command)
            #expect(r.status == 0 || r.status == 1, "\(command): \(r.status) \(r.stderr)")
            #expect(!r.stdout.isEmpty, "\(command)")
        }
        let after = try Self.snapshot(inputs.root)
        #expect(after.attributes == before.attributes)
        #expect(after.files == before.files)
    }

    // MARK: As an unprivileged user

    static var canDropPrivileges: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
    }

    /// `nobody` cannot write to the read-only copy, so a write attempt would fail the run; the
    /// output must be byte-for-byte what root gets.
    @Test(.enabled(if: canDropPrivileges)) func everyVerbRunsAsAnUnprivilegedUser() throws {
        let inputs = try Self.makeInputs()
        defer { inputs.remove() }
        let before = try Self.snapshot(inputs.root)
        let exe = CLI.executable.path
        // The built tool must be reachable by `nobody` (it is under a 0755 checkout normally).
        let probe = try CLI.runProgram("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", exe, "--help"])
        try #require(probe.status == 0, "the built binlogtool is not executable by nobody: \(probe.stderr)")
        for command in inputs.commands {
            let asRoot = try inputs.run(command)
            let asNobody = try inputs.run(command, wrapper: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
            #expect(asNobody.status == asRoot.status, "\(command): \(asNobody.stderr)")
            #expect(asNobody.stdout == asRoot.stdout, "\(command)")
        }
        #expect(try Self.snapshot(inputs.root) == before)
    }

    // MARK: Under strace

    static var hasStrace: Bool {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else { return false }
        // ptrace may be forbidden (containers without CAP_SYS_PTRACE).
        return (try? shell("/usr/bin/strace", ["-f", "-qq", "-o", "/dev/null", "/bin/true"])) != nil
    }

    static let tracedCalls =
        "openat,open,creat,truncate,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,rmdir,link,linkat,"
        + "symlink,symlinkat,chmod,fchmodat,chown,fchownat,lchown,utimensat,mknodat"

    /// Every traced system call that names a path under `root` and could change it.
    static func writeAttempts(in log: String, under root: String) -> [String] {
        log.split(separator: "\n").filter { line in
            guard line.contains(root) else { return false }
            guard line.contains("openat(") || line.contains(" open(") else { return true }
            return ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"].contains { line.contains($0) }
        }.map(String.init)
    }

    @Test(.enabled(if: hasStrace)) func noInputIsOpenedForWriting() throws {
        let inputs = try Self.makeInputs()
        defer { inputs.remove() }
        let log = inputs.root.deletingLastPathComponent().appendingPathComponent("strace-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        for command in inputs.commands {
            let r = try inputs.run(command, wrapper: ["/usr/bin/strace", "-f", "-qq", "-o", log, "-e", "trace=" + Self.tracedCalls])
            #expect(r.status == 0 || r.status == 1, "\(command): \(r.stderr)")
            let trace = try String(contentsOfFile: log, encoding: .utf8)
            // The trace did see the inputs being read.
            #expect(trace.contains(inputs.root.path) && trace.contains("O_RDONLY"), "\(command)")
            let writes = Self.writeAttempts(in: trace, under: inputs.root.path)
            #expect(writes.isEmpty, "\(command): \(writes.prefix(5))")
        }
    }

    /// The detector itself: a traced `touch` of an input is caught.
    @Test(.enabled(if: hasStrace)) func theWriteDetectorCatchesAWrite() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let log = root.appendingPathComponent("strace.log").path
        let target = root.appendingPathComponent("input/write2file0").path
        try FileManager.default.createDirectory(
            atPath: root.appendingPathComponent("input").path, withIntermediateDirectories: true)
        _ = try CLI.runProgram("/usr/bin/strace", ["-f", "-qq", "-o", log, "-e", "trace=" + Self.tracedCalls, "/usr/bin/touch", target])
        let trace = try String(contentsOfFile: log, encoding: .utf8)
        #expect(!Self.writeAttempts(in: trace, under: root.appendingPathComponent("input").path).isEmpty)
    }

    // MARK: A RocksDB LOCK held by another process

    /// Each RocksDB directory of the dump gets a `LOCK` file, locked the way RocksDB locks it
    /// (`fcntl(F_SETLK)`, a POSIX write lock; `PosixEnv::LockFile`) and with `flock(2)` as well, by
    /// this test process: for the `binlogtool` child it is another process holding the database
    /// open. `verify-snapshot` opens the database read-only, which takes no lock, so it neither
    /// waits nor fails, and reports what it reports on the unlocked dump.
    @Test(.enabled(if: VerifySnapshotCommandTests.hasRocksDB)) func verifySnapshotReadsADatabaseLockedByAnotherProcess()
        throws
    {
        let inputs = try Self.makeInputs(readOnly: false)
        defer { inputs.remove() }
        let cases = [(inputs.dump, inputs.binlog), (inputs.v4Dump, inputs.v4Binlog)]
        var expected: [CLIResult] = []
        for (dump, binlog) in cases {
            expected.append(try CLI.run(["verify-snapshot", dump, "--binlog", binlog, "--window", "50", "--format", "json"]))
        }

        var descriptors: [Int32] = []
        defer { for fd in descriptors { close(fd) } }
        for (dump, _) in cases {
            for name in try FileManager.default.contentsOfDirectory(atPath: dump)
            where FileManager.default.fileExists(atPath: dump + "/" + name + "/CURRENT") {
                let lockPath = dump + "/" + name + "/LOCK"
                let fd = open(lockPath, O_RDWR | O_CREAT, 0o644)
                try #require(fd >= 0, "open \(lockPath): errno \(errno)")
                descriptors.append(fd)
                var lock = flock()
                lock.l_type = Int16(F_WRLCK)
                lock.l_whence = Int16(SEEK_SET)
                lock.l_start = 0
                lock.l_len = 0
                try #require(fcntl(fd, F_SETLK, &lock) == 0, "fcntl lock \(lockPath): errno \(errno)")
                let bsd = open(lockPath, O_RDONLY)
                descriptors.append(bsd)
                try #require(bsdFlock(bsd, LOCK_EX | LOCK_NB) == 0, "flock \(lockPath): errno \(errno)")
            }
        }
        // 5 type directories (3.x) + 3 instances (4.0), each with a POSIX and a BSD lock.
        #expect(descriptors.count == 16)
        let locks = try String(contentsOfFile: "/proc/locks", encoding: .utf8)
        let mine = locks.split(separator: "\n").filter { $0.contains(" \(getpid()) ") }
        #expect(mine.filter { $0.contains("POSIX") && $0.contains("WRITE") }.count == 8, "\(mine)")
        #expect(mine.filter { $0.contains("FLOCK") }.count == 8, "\(mine)")

        // (A reader that waited for the locks would hang here, and the run with it: no timed assertion.)
        for ((dump, binlog), before) in zip(cases, expected) {
            let r = try CLI.run(["verify-snapshot", dump, "--binlog", binlog, "--window", "50", "--format", "json"])
            #expect(r.status == before.status, "\(dump): \(r.stderr)")
            #expect(r.stdout == before.stdout)
        }
    }
}

/// `flock(2)`; in Swift the name `flock` is taken by the `fcntl` lock struct.
@_silgen_name("flock") private func bsdFlock(_ fd: Int32, _ operation: Int32) -> Int32

struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension CLI {
    /// Runs any program (a wrapper such as `setpriv` or `strace` around the tool) like ``run(_:)``.
    static func runProgram(_ program: String, _ arguments: [String]) throws -> CLIResult {
        try runProcess(program, arguments)
    }
}
