import ArgumentParser
import Repair

#if canImport(Glibc)
import Glibc
#endif

/// What `binlogtool --version` prints: the tool's version and the Pika formats it reads.
let binlogtoolVersion =
    "binlogtool 1.0.0 (binlogs of Pika v2.x-v4.0.1; bgsave snapshots of Pika 3.3-3.5 and 4.0, "
    + (SnapshotVerifier.isAvailable ? "RocksDB built in)" : "built without RocksDB: no verify-snapshot, no rewrite --snapshot)")

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
              binlogtool check log/log_db0
              binlogtool diff master/log/log_db0 replica/log/log_db0
              binlogtool verify-snapshot dump/20261120/db0 --binlog log/log_db0
              binlogtool prepare-replica dump/20261120/db0 --binlog master/log/log_db0 --out replica/log/log_db0
              binlogtool rewrite log/log_db0 --snapshot dump/20261120/db0 --out fixed/log_db0
              binlogtool rewrite master/log/log_db0 --replica replica/log/log_db0 --format resp --out fix.resp

            \(exitCodeHelp)
            """,
        version: binlogtoolVersion,
        subcommands: [Dump.self, Check.self, Diff.self, VerifySnapshot.self, PrepareReplica.self, Rewrite.self]
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
