import Foundation

/// What a finished program printed, and how it ended.
public struct ProcessResult: Sendable {
    public var status: Int32
    /// stdout as bytes (RESP and hex output need not be UTF-8).
    public var stdoutBytes: Data
    public var stderr: String
    /// stdout as text.
    public var stdout: String {
        get { String(decoding: stdoutBytes, as: UTF8.self) }
        set { stdoutBytes = Data(newValue.utf8) }
    }
    public var lines: [Substring] { stdout.split(separator: "\n") }

    public init(status: Int32, stdoutBytes: Data, stderr: String) {
        self.status = status
        self.stdoutBytes = stdoutBytes
        self.stderr = stderr
    }
}

/// Runs `program` to its end with stdin from /dev/null and captures its output: stdout through a
/// pipe, stderr through a file, so that a full stderr pipe can never block the child.
/// - Parameters:
///   - environment: the child's whole environment; `nil` inherits this process's.
///   - directory: the working directory; `nil` inherits this process's.
public func runProcess(
    _ program: String, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil
) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = arguments
    if let environment { p.environment = environment }
    if let directory { p.currentDirectoryURL = directory }
    let out = Pipe()
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("test-stderr-\(UUID().uuidString)")
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
    return ProcessResult(status: p.terminationStatus, stdoutBytes: outData, stderr: String(decoding: errData, as: UTF8.self))
}

/// This process's environment without libfaketime: scripts/test runs the suite a second time ten
/// years ahead under an LD_PRELOAD of it; servers, packaging builds and man run on the real clock.
public func realClockEnvironment() -> [String: String] {
    ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FAKETIME") && $0.key != "LD_PRELOAD" }
}

/// The built `binlogtool`: it sits next to the test bundle in the build directory (or, failing
/// that, in `.build/debug` of the checkout).
public var builtBinlogtool: String {
    var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    while dir.path != "/" {
        let candidate = dir.appendingPathComponent("binlogtool").path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
            return candidate
        }
        dir = dir.deletingLastPathComponent()
    }
    return PikaFixtures.repoRoot.appendingPathComponent(".build/debug/binlogtool").path
}
