import Foundation

/// Runs the built `binlogtool` as an operator would and captures what it prints.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [Substring] { stdout.split(separator: "\n") }
}

enum CLI {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `binlogtool` sits next to the test bundle in the build directory.
    static var executable: URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("binlogtool")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue {
                return candidate
            }
            dir = dir.deletingLastPathComponent()
        }
        return repoRoot.appendingPathComponent(".build/debug/binlogtool")
    }

    static func fixture(_ relative: String) -> String {
        let local = repoRoot.appendingPathComponent("Fixtures/pika-real/" + relative).path
        if FileManager.default.fileExists(atPath: local) { return local }
        return repoRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/pika-real/" + relative).path
    }

    /// Runs binlogtool with `arguments`; `environment` entries are added to (or replace) the
    /// test process's own.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe()
        // stderr goes to a file, so that a full stderr pipe can never block the child.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("binlogtool-stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let err = try FileHandle(forWritingTo: errURL)
        defer { try? FileManager.default.removeItem(at: errURL) }
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try err.close()
        let errData = try Data(contentsOf: errURL)
        return CLIResult(
            status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Where the tests' directories go: one directory per test process, removed when it exits
    /// (what a test leaves behind, a killed rewrite's staging entry included, goes with it).
    static let temporaryRoot: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "binlogtool-cli-\(getpid())-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { CLI.removeTemporaryRoot() }
        return url
    }()

    static func removeTemporaryRoot() {
        // Read-only copies (ReadOnlyTests) are made writable again first, for a non-root user.
        if let walker = FileManager.default.enumerator(atPath: temporaryRoot.path) {
            while let relative = walker.nextObject() as? String {
                chmod(temporaryRoot.path + "/" + relative, 0o755)
            }
        }
        try? FileManager.default.removeItem(at: temporaryRoot)
    }

    /// A fresh writable temporary directory (under ``temporaryRoot``).
    static func temporaryDirectory() throws -> URL {
        let url = temporaryRoot.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Copies a fixture binlog dir into a temp dir, writable.
    static func copyOfFixture(_ relative: String) throws -> URL {
        let dir = try temporaryDirectory().appendingPathComponent("log_db0")
        try FileManager.default.copyItem(atPath: fixture(relative), toPath: dir.path)
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: dir.appendingPathComponent(name).path)
        }
        return dir
    }
}
