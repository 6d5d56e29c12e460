import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Where the suite's external programs are: Pika's v3.5.0 build beside the repository (like the
/// shared fixtures), the Redis tools from Debian's redis-tools, the built binlogtool.
public enum Programs {
    public static let repoRoot = PikaFixtures.repoRoot
    public static let pikaDirectory = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/pika/v3.5.0").path
    public static let pika = pikaDirectory + "/pika"
    public static let manifestGenerator = pikaDirectory + "/manifest_generator"
    public static let redisCLI = "/usr/bin/redis-cli"
    public static let redisBenchmark = "/usr/bin/redis-benchmark"

    /// The built `binlogtool` (``builtBinlogtool``).
    public static var binlogtool: String { builtBinlogtool }

    /// Checks once per process that every program runs here (the server's runtime libraries
    /// included); throws with the reason and the fix otherwise.
    public static func requireAll() throws {
        try checked.get()
    }

    private static let checked: Result<Void, PikaSuiteError> = {
        let hint = "run scripts/install-deps (Pika's runtime packages from \(pikaDirectory)/README.md, redis-tools)"
        for path in [pika, manifestGenerator, redisCLI, redisBenchmark] where access(path, X_OK) != 0 {
            return .failure(.setup("\(path) is missing or not executable: \(hint)"))
        }
        if access(binlogtool, X_OK) != 0 {
            return .failure(.setup("\(binlogtool) is missing: build it first (swift build --build-tests)"))
        }
        do {
            let version = try Run.captureBlocking(pika, ["-v"], seconds: 20)
            guard version.status == .exited(0), version.output.contains("pika_version: 3.5.0") else {
                return .failure(.setup("\(pika) -v gave \(version.status): \(version.output.prefix(600)) — \(hint)"))
            }
            for tool in [redisCLI, redisBenchmark] {
                let v = try Run.captureBlocking(tool, ["--version"], seconds: 20)
                guard v.status == .exited(0) else {
                    return .failure(.setup("\(tool) --version gave \(v.status): \(v.output.prefix(400)) — \(hint)"))
                }
            }
        } catch let e as PikaSuiteError {
            return .failure(e)
        } catch {
            return .failure(.setup("\(error)"))
        }
        return .success(())
    }()
}

/// Runs a short-lived program to its end (bounded), its output captured through a file.
public enum Run {
    public struct Output {
        public var status: ChildProcess.Termination
        public var output: String
    }

    public static func capture(
        _ executable: String, _ arguments: [String], stdin: String? = nil, seconds: Double,
        environment: [String: String] = realClockEnvironment()
    ) async throws -> Output {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pika-suite-\(UUID().uuidString).out").path
        defer { unlink(file) }
        let child = try ChildProcess(executable, arguments, stdin: stdin, output: file, environment: environment)
        let status = try await child.finish(seconds: seconds)
        let data = FileManager.default.contents(atPath: file) ?? Data()
        return Output(status: status, output: String(decoding: data, as: UTF8.self))
    }

    /// ``capture(_:_:stdin:seconds:environment:)`` blocking its thread (for a one-time check).
    public static func captureBlocking(_ executable: String, _ arguments: [String], seconds: Double) throws -> Output {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pika-suite-\(UUID().uuidString).out").path
        defer { unlink(file) }
        let child = try ChildProcess(executable, arguments, output: file)
        let status = try child.waitOrKill(seconds: seconds)
        let data = FileManager.default.contents(atPath: file) ?? Data()
        return Output(status: status, output: String(decoding: data, as: UTF8.self))
    }
}
