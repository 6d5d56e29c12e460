import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

@main
struct BinlogTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "binlogtool",
        abstract: "Explain, verify and repair Pika binlogs and bgsave snapshots, offline.",
        discussion: """
            Inputs are never modified. Examples:
              binlogtool dump /data/pika/log --db db0
              binlogtool dump log/log_db0 --format json --key 'user:*' | jq .
              binlogtool dump log/log_db0 --stats

            \(exitCodeHelp)
            """,
        subcommands: [Dump.self, Check.self, Diff.self, VerifySnapshot.self, Rewrite.self]
    )

    /// Parses, runs, and maps every error to its exit code in one place.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as ToolError {
            printError("binlogtool: \(error.message)")
            Glibc.exit(error.code.rawValue)
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}
