import ArgumentParser
import BinlogToolCore
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

            Manual: man binlogtool, man binlogtool.dump (one page per verb). Shell completion: \
            binlogtool --generate-completion-script bash|zsh|fish; the Debian package installs both \
            (scripts/package, README).

            \(exitCodeHelp)
            """,
        version: binlogtoolVersion,
        subcommands: [Dump.self, Check.self, Diff.self, VerifySnapshot.self, PrepareReplica.self, Rewrite.self]
    )

    /// Parses, runs, and maps every error to its exit code in one place.
    static func main() {
        keepFreedMemory()
        do {
            if let error = unknownSubcommand(in: Array(CommandLine.arguments.dropFirst())) { throw error }
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

extension BinlogTool {
    /// The decoders and output buffers of `--jobs` workers are a few MiB each, allocated and
    /// freed per segment of input. glibc would map each afresh (and the kernel zero its pages:
    /// a third of `dump --stats --jobs 2`'s time) and give freed memory back at once; here freed
    /// blocks stay in the heap for the next segment. The peak is unchanged: only what was in use
    /// at once is ever held.
    static func keepFreedMemory() {
        #if canImport(Glibc)
        // <malloc.h> is not in Glibc's module: mallopt(3) by name; M_TRIM_THRESHOLD is -1,
        // M_MMAP_THRESHOLD -3.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-3, 32 << 20)
        _ = mallopt(-1, 64 << 20)
        #endif
    }

    /// The verbs, as typed.
    static var subcommandNames: [String] { configuration.subcommands.map { $0._commandName } }

    /// A first word that names no verb (`binlogtool dumpp`), or `help` of one that does not exist,
    /// as a usage error that suggests the nearest verb. (The root takes no positional argument, so
    /// a first word that is not an option must be a verb.)
    static func unknownSubcommand(in arguments: [String]) -> ToolError? {
        guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
        var word = first
        if first == "help" {
            guard arguments.count > 1, !arguments[1].hasPrefix("-") else { return nil }
            word = arguments[1]
        }
        guard !subcommandNames.contains(word) else { return nil }
        var message = "'\(word)' is not a binlogtool command"
        message += nearestSubcommand(to: word).map { "; did you mean '\($0)'?" } ?? "."
        message += " Commands: \(subcommandNames.joined(separator: ", ")) (binlogtool help COMMAND)."
        return ToolError(.usage, message)
    }

    /// The verb within two edits of `word`, or that `word` starts (`verify` → `verify-snapshot`).
    static func nearestSubcommand(to word: String) -> String? {
        let typed = Array(word.lowercased().utf8)
        var best: (name: String, distance: Int)? = nil
        for name in subcommandNames {
            let d = editDistance(typed, Array(name.utf8))
            if d < best?.distance ?? Int.max { best = (name, d) }
        }
        if let best, best.distance <= 2 { return best.name }
        if typed.count >= 3 { return subcommandNames.first { $0.utf8.starts(with: typed) } }
        return nil
    }
}

/// Levenshtein distance (insertions, deletions, substitutions of one byte each).
func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
