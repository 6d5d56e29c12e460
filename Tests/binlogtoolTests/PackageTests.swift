import Foundation
import TestSupport
import Testing

/// `scripts/package` (issue 14, point 1): the .deb holds a binary with the Swift runtime linked
/// in, the man pages and the completions, depends on the Debian packages of librocksdb and liblz4,
/// and, extracted into a scratch root, runs with the Swift toolchain out of reach (a mount
/// namespace with an empty /opt/swift, an environment without it) and prints what the
/// development build prints.
///
/// It builds a release binary (in .build-package, apart from the build under test): minutes the
/// first time; the man pages are those scripts/test generated.
@Suite struct PackageTests {
    /// Runs a command with the test's environment minus libfaketime (the packaging build runs on
    /// the real clock) plus `environment`.
    static func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
        try runProcess(tool, arguments, environment: realClockEnvironment().merging(environment) { $1 }, directory: CLI.repoRoot)
    }

    @Test func theDebianPackageRunsFromAScratchRootWithoutTheSwiftToolchain() throws {
        let dist = try CLI.temporaryDirectory()
        // The man pages scripts/test generated (ManPageTests checks them against the commands).
        let man = ManPageTests.manDirectory
        try #require(
            FileManager.default.fileExists(atPath: man + "/binlogtool.1"),
            "\(man) has no man pages: run scripts/man .build/man (scripts/test does)")
        let package = try Self.run(
            CLI.repoRoot.appendingPathComponent("scripts/package").path, [dist.path], environment: ["BINLOGTOOL_MAN_PAGES": man])
        try #require(package.status == 0, "scripts/package failed: \(package.stderr.suffix(3000))")
        let version = try CLI.run(["--version"]).stdout.split(separator: " ")[1]
        let deb = dist.appendingPathComponent("binlogtool_\(version)_amd64.deb").path
        #expect(package.lines.last.map(String.init) == deb)

        let depends = try Self.run("/usr/bin/dpkg-deb", ["--field", deb, "Depends"]).stdout
        #expect(depends.contains("librocksdb7.8 (>= "), "\(depends)")
        #expect(depends.contains("liblz4-1 (>= "), "\(depends)")
        #expect(!depends.contains("swift"))
        let contents = try Self.run("/usr/bin/dpkg-deb", ["--contents", deb]).stdout
        for path in [
            "./usr/bin/binlogtool", "./usr/share/man/man1/binlogtool.1.gz", "./usr/share/man/man1/binlogtool.dump.1.gz",
            "./usr/share/man/man1/binlogtool.check.1.gz", "./usr/share/man/man1/binlogtool.diff.1.gz",
            "./usr/share/man/man1/binlogtool.verify-snapshot.1.gz", "./usr/share/man/man1/binlogtool.rewrite.1.gz",
            "./usr/share/bash-completion/completions/binlogtool", "./usr/share/zsh/vendor-completions/_binlogtool",
            "./usr/share/fish/vendor_completions.d/binlogtool.fish",
        ] {
            #expect(contents.contains(" \(path)\n"), "\(path) is not in the package")
        }

        let root = try CLI.temporaryDirectory().appendingPathComponent("root")
        #expect(try Self.run("/usr/bin/dpkg-deb", ["-x", deb, root.path]).status == 0)
        let binary = root.appendingPathComponent("usr/bin/binlogtool").path
        let ldd = try Self.run("/usr/bin/ldd", [binary]).stdout
        #expect(!ldd.contains("libswift") && !ldd.contains("/opt/swift") && !ldd.contains("libFoundation"), "\(ldd)")
        #expect(ldd.contains("librocksdb.so") && ldd.contains("liblz4.so"), "\(ldd)")

        // In a mount namespace whose /opt/swift is an empty tmpfs, with PATH and
        // LD_LIBRARY_PATH that do not name the toolchain.
        let basic = CLI.fixture("basic/binlog")
        let dump = CLI.fixture("bgsave/dump/20261120/db0")
        let binlog = CLI.fixture("bgsave/binlog/log_db0")
        let script = """
            mount -t tmpfs none /opt/swift || exit 90
            ls -A /opt/swift | wc -l
            run() { env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu '\(binary)' "$@"; echo "exit $?"; }
            run --version
            run dump '\(basic)' --limit 3
            run check '\(basic)'
            run verify-snapshot '\(dump)' --binlog '\(binlog)'
            """
        let isolated = try Self.run("/usr/bin/unshare", ["--mount", "/bin/sh", "-c", script])
        try #require(isolated.status == 0, "unshare: \(isolated.stderr)")
        let lines = isolated.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "0", "/opt/swift is not empty in the namespace")
        var expected = "0\n"
        for (arguments, code) in [
            (["--version"], 0), (["dump", basic, "--limit", "3"], 0), (["check", basic], 0),
            (["verify-snapshot", dump, "--binlog", binlog], 1),
        ] {
            let development = try CLI.run(arguments)
            #expect(development.status == Int32(code))
            expected += development.stdout + "exit \(code)\n"
        }
        #expect(isolated.stdout == expected)
        #expect(isolated.stdout.contains("RocksDB built in"))
        #expect(isolated.stdout.contains("verdict    lagging, corrected resume point 8:129"))

        // The packaged man page renders without warnings.
        let page = try Self.run(
            "/usr/bin/man", ["--warnings", "-l", root.appendingPathComponent("usr/share/man/man1/binlogtool.dump.1.gz").path],
            environment: ["MANWIDTH": "100", "LC_ALL": "C.UTF-8"])
        #expect(page.status == 0 && page.stderr.isEmpty, "\(page.stderr)")
        #expect(page.stdout.contains("--max-value-bytes"))
    }
}
