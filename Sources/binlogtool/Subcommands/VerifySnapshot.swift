import ArgumentParser
import BinlogFormat
import BinlogToolCore
import Repair

#if canImport(Glibc)
import Glibc
#endif

struct VerifySnapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-snapshot",
        abstract: "Check a bgsave snapshot's recorded binlog offset against the snapshot's own data.",
        discussion: """
            Reads the dump's `info` (binlog filenum and offset), locates that offset in the binlog \
            (item end, mid-item, block-aligned inside an item, past the end, purged), opens the \
            dump's RocksDB data read-only (Pika 3.3/3.4/3.5 per-type layout or 4.0 instances; no \
            LOCK, nothing written) and decides for the items around the offset whether their \
            effect is in the data. When the binlog starts at write2file0 with logic id 1, the keys \
            involved are first rebuilt from the whole history. Expiry is judged at the items' and \
            the snapshot's time, never the wall clock.

            Verdicts: consistent; lagging (items after the offset are already in the data: a \
            replica resuming there applies them twice); leading (items before the offset are \
            missing); interleaved (applied and missing items mixed). The corrected resume point is \
            the stored position of the earliest item not in the data; items after it that are \
            already applied are listed to skip (the input of `rewrite`). The report ends with the next step \
            (`next`; JSON `next_steps`): position a replica with prepare-replica, nothing to repair, or why no \
            automatic step exists.

            Examples:
              binlogtool verify-snapshot dump/20261120/db0 --binlog log/log_db0
              binlogtool verify-snapshot dump/20261120/db0 dump/20261120/db1 --binlog /data/pika/log
              binlogtool verify-snapshot dump/20261121/db0 --binlog log --format json | jq .verdict

            Exit codes: 0 consistent at a valid resume point; 1 lagging, leading or interleaved, or \
            the recorded offset is not a resume point; 64 bad command line; 65 unreadable `info`, \
            binlog or snapshot data; 66 input missing; 69 built without RocksDB; 70 internal error; \
            74 I/O error.
            """)

    @Argument(help: "Dump directories (dump/<prefix>DATE/dbN, each with its info file).")
    var dumps: [String] = []

    @Option(help: "The binlog: a log_dbN directory, or a log root holding log_<db> directories (one per dump).")
    var binlog: String

    @OptionGroup var snapshot: SnapshotOptions

    @Option(help: "Time to judge the snapshot's expiries at (ISO 8601 or unix seconds); default: the exec time of the last item before the offset.")
    var snapshotTime: String?

    @Flag(help: "Do not rebuild the window's keys from the start of the binlog.")
    var noHistory = false

    @Option(help: "Output: text, or json (one report object per dump).")
    var format: VerifyFormat = .text

    func validate() throws {
        if dumps.isEmpty { throw ValidationError("name a dump directory (dump/<date>/db<N>)") }
        if let t = snapshotTime, parseTime(t) == nil {
            throw ValidationError("--snapshot-time: cannot read '\(t)' as ISO 8601 or unix seconds")
        }
    }

    func run() throws {
        try SnapshotInputOptions.requireRocksDB("verify-snapshot")
        var options = SnapshotVerifier.Options(replayHistory: !noHistory)
        if let t = snapshotTime.flatMap(parseTime) { options.snapshotTime = UnixTime(seconds: Int64(t)) }
        let input = snapshot.input(options)
        let db = snapshot.db
        let out = OutputBuffer()
        var clean = true
        for dump in dumps {
            let directory = try SnapshotInputOptions.binlogDirectory(binlog, db: db, for: dump, several: dumps.count > 1)
            let verified = try input.verify(dump, binlog: directory)
            let report = verified.verification
            clean = clean && report.isClean
            let next = NextSteps.afterVerification(report, dump: dump, binlog: binlog, db: db)
            switch format {
            case .text: VerificationFormatter.appendText(report, dump: dump, nextSteps: next, to: out)
            case .json: VerificationFormatter.appendJSON(report, dump: dump, nextSteps: next, to: out)
            }
            out.flush()
        }
        if !clean { throw ExitCode(1) }
    }
}
