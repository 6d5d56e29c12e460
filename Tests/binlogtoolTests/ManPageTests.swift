import Foundation
import TestSupport
import Testing

/// The man pages (generated from the command definitions by `scripts/man`, which `scripts/test`
/// runs into `.build/man`) and the shell completion scripts (issue 14, point 2).
@Suite struct ManPageTests {
    /// `BINLOGTOOL_MAN_DIR`, else `.build/man` in the checkout.
    static let manDirectory = ProcessInfo.processInfo.environment["BINLOGTOOL_MAN_DIR"]
        ?? CLI.repoRoot.appendingPathComponent(".build/man").path

    /// The verbs and their long options, as the command definitions declare them.
    static func verbs() throws -> [(name: String, options: [String])] {
        let dump = try CLI.run(["--experimental-dump-help"])
        let root = try #require(JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        let command = try #require(root["command"] as? [String: Any])
        let subcommands = try #require(command["subcommands"] as? [[String: Any]])
        return subcommands.compactMap { sub in
            guard let name = sub["commandName"] as? String, name != "help" else { return nil }
            let arguments = sub["arguments"] as? [[String: Any]] ?? []
            // Hidden options (kept only to refuse them) are on no page.
            let options = arguments.filter { $0["shouldDisplay"] as? Bool != false }.flatMap { argument in
                (argument["names"] as? [[String: String]] ?? []).filter { $0["kind"] == "long" }.compactMap { $0["name"] }
            }
            return (name, options)
        }
    }

    static func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
        // Without the suite's libfaketime preload (scripts/test's second run): man-db's sandbox
        // and the preload's shared memory do not mix, and no page depends on the date.
        try runProcess("/usr/bin/env", [tool] + arguments, environment: realClockEnvironment().merging(environment) { $1 })
    }

    @Test func everyPageRendersWithoutWarningsAndDocumentsEveryOption() throws {
        let verbs = try Self.verbs()
        #expect(verbs.map(\.name) == ["dump", "check", "diff", "verify-snapshot", "prepare-replica", "rewrite"])
        let pages = [("binlogtool.1", [String]())] + verbs.map { ("binlogtool.\($0.name).1", $0.options) }
        for (page, options) in pages {
            let path = Self.manDirectory + "/" + page
            try #require(
                FileManager.default.fileExists(atPath: path),
                "\(path) is missing: generate the man pages with scripts/man .build/man (scripts/test does)")
            // Wide lines: no option name is hyphenated across two.
            let environment = ["LC_ALL": "C.UTF-8", "MANWIDTH": "200"]
            let groff = try Self.run("groff", ["-mandoc", "-ww", "-z", path], environment: environment)
            #expect(groff.status == 0 && groff.stderr.isEmpty, "\(page): \(groff.stderr)")
            let man = try Self.run("man", ["--warnings", "-l", path], environment: environment)
            #expect(man.status == 0 && man.stderr.isEmpty, "\(page): \(man.stderr)")
            // What the page says, without the terminal's bold and underline, words apart by one space.
            let text = man.stdout.replacing(try Regex(".\u{8}"), with: "")
                .split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(text.contains("EXIT STATUS Exit codes: 0 "), "\(page)")
            #expect(text.contains("64 bad command line"), "\(page)")
            #expect(text.contains("binlogtool "), "\(page)")
            // A page made before an option was added is stale: each option must be on it.
            for option in options {
                #expect(text.contains("--" + option), "\(page) lacks --\(option): regenerate with scripts/man")
            }
        }
        let dump = try Self.run("man", ["-l", Self.manDirectory + "/binlogtool.dump.1"], environment: ["MANWIDTH": "200"])
        // The examples are a literal display, one command a line.
        #expect(dump.stdout.contains("binlogtool dump log/log_db0 --start-position 7:262165 --format resp | redis-cli --pipe\n"))
    }

    @Test func bashCompletionCompletesVerbsOptionsAndValues() throws {
        let script = try CLI.run(["--generate-completion-script", "bash"])
        #expect(script.status == 0)
        let file = try CLI.temporaryDirectory().appendingPathComponent("binlogtool.bash")
        try script.stdout.write(to: file, atomically: true, encoding: .utf8)
        // As bash calls a completion function: COMP_WORDS/COMP_CWORD, then command, word, previous word.
        let probe = """
            source '\(file.path)'
            complete_at() { COMPREPLY=(); COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _binlogtool binlogtool "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"; echo "${COMPREPLY[*]}"; }
            complete_at binlogtool du
            complete_at binlogtool dump --max
            complete_at binlogtool dump --format j
            complete_at binlogtool verify-snapshot --pika
            """
        let r = try Self.run("bash", ["-c", probe])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "dump\n--max-value-bytes\njson\n--pika-version\n")
        for shell in ["zsh", "fish"] {
            let other = try CLI.run(["--generate-completion-script", shell])
            #expect(other.status == 0 && other.stdout.contains("max-value-bytes"), "\(shell)")
        }
    }

    @Test func helpNamesTheManualAndTheCompletionScripts() throws {
        let help = try CLI.run(["--help"])
        #expect(help.stdout.contains("man binlogtool.dump"))
        #expect(help.stdout.contains("--generate-completion-script bash|zsh|fish"))
    }
}
