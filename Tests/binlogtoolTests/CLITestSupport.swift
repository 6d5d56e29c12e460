import Foundation
import TestSupport

/// What a run of the built `binlogtool` printed (ProcessResult of TestSupport).
typealias CLIResult = ProcessResult

enum CLI {
    static let repoRoot = PikaFixtures.repoRoot

    /// The built `binlogtool` (``builtBinlogtool``).
    static var executable: URL { URL(fileURLWithPath: builtBinlogtool) }

    static func fixture(_ relative: String) -> String {
        PikaFixtures.path(relative)
    }

    /// Runs binlogtool with `arguments`; `environment` entries are added to (or replace) the
    /// test process's own.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
        try runProcess(
            executable.path, arguments,
            environment: environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 })
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
