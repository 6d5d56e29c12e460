import ArgumentParser
import BinlogFormat
import Repair

#if canImport(Glibc)
import Glibc
#endif

enum VerifyFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json
}

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
            already applied are listed to skip (the input of `rewrite`).

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

    @Option(help: "Which log_<db> to read under a log root (default: the dump directory's name).")
    var db: String?

    @Option(help: "Pika version that wrote the snapshot (3.3 … 3.5.5, 4.0.0, 4.0.1); detected from the layout and data by default.")
    var pikaVersion: String?

    @Option(help: "Items shown past the recorded offset (the check reads further when needed).")
    var window: Int = 64

    @Option(help: "Time to judge the snapshot's expiries at (ISO 8601 or unix seconds); default: the exec time of the last item before the offset.")
    var snapshotTime: String?

    @Flag(help: "Do not rebuild the window's keys from the start of the binlog.")
    var noHistory = false

    @Option(help: "Pika 4.0 default-slot-num (which instance holds a key).")
    var slotCount: Int = 1024

    @Option(help: "Output: text, or json (one report object per dump).")
    var format: VerifyFormat = .text

    func validate() throws {
        if dumps.isEmpty { throw ValidationError("name a dump directory (dump/<date>/db<N>)") }
        if window < 1 { throw ValidationError("--window must be at least 1") }
        if slotCount < 1 { throw ValidationError("--slot-count must be at least 1") }
        if let v = pikaVersion, PikaStorageVersion(release: v) == nil {
            throw ValidationError("--pika-version: '\(v)' is not a release this tool reads (3.3 … 3.5.5, 4.0.0, 4.0.1)")
        }
        if let t = snapshotTime, parseTime(t) == nil {
            throw ValidationError("--snapshot-time: cannot read '\(t)' as ISO 8601 or unix seconds")
        }
    }

    func run() throws {
        guard SnapshotVerifier.isAvailable else {
            throw ToolError(
                .unavailable,
                "verify-snapshot needs RocksDB, and this binlogtool was built without it (--disable-default-traits); "
                    + "rebuild with the default \"RocksDB\" trait (apt-get install librocksdb-dev).")
        }
        let out = OutputBuffer()
        var clean = true
        for dump in dumps {
            let report = try verify(dump)
            clean = clean && report.isClean
            switch format {
            case .text: VerificationFormatter.appendText(report, dump: dump, next: nextStep(report, dump: dump), to: out)
            case .json: VerificationFormatter.appendJSON(report, dump: dump, to: out)
            }
            out.flush()
        }
        if !clean { throw ExitCode(1) }
    }

    /// What to do with the verdict: nothing when the recorded offset is a valid resume point the
    /// data agrees with, else rewrite's repair from the corrected point.
    func nextStep(_ r: SnapshotVerification, dump: String) -> [String] {
        if r.isClean {
            return ["nothing to fix: a replica restored from this dump resumes correctly at its recorded offset \(r.recorded)"]
        }
        let dbOption = db.map { " --db \(shellQuoted($0))" } ?? ""
        return [
            "binlogtool rewrite \(shellQuoted(binlog))\(dbOption) --snapshot \(shellQuoted(dump)) --out fixed_binlog",
            "writes the binlog to resume from \(r.corrected) without the items the dump already holds "
                + "(the dump is only read); Docs/Replica-Repair.md, \"1. Restoring a replica from a dump\"",
        ]
    }

    private func verify(_ dump: String) throws(ToolError) -> SnapshotVerification {
        guard isDirectory(dump) else { throw ToolError(.noInput, "\(dump): no such directory") }
        let info: BgsaveInfo
        do {
            info = try BgsaveInfo.read(path: dump + "/" + BgsaveInfo.fileName)
        } catch {
            switch error {
            case .io(let e): throw ToolError(e)
            case .tooLarge, .malformed: throw ToolError(.dataError, error.description)
            }
        }
        let directory = try binlogDirectory(for: dump)
        let snapshot: PikaSnapshot
        do {
            snapshot = try PikaSnapshot(
                directory: dump,
                options: .init(
                    version: pikaVersion.flatMap(PikaStorageVersion.init(release:)), slotCount: slotCount,
                    openZSetScoreIndex: false))
        } catch {
            throw ToolError(storage: error)
        }
        var options = SnapshotVerifier.Options(window: window, replayHistory: !noHistory)
        if let t = snapshotTime.flatMap(parseTime) { options.snapshotTime = UnixTime(seconds: Int64(t)) }
        do {
            return try SnapshotVerifier(binlog: directory, snapshot: snapshot, info: info, options: options).verify()
        } catch {
            switch error {
            case .binlog(let e): throw ToolError(e)
            case .storage(let e): throw ToolError(storage: e)
            case .emptyBinlog: throw ToolError(.dataError, error.description)
            }
        }
    }

    /// The binlog of `dump`'s db: `--binlog` itself, or `log_<db>` under it.
    private func binlogDirectory(for dump: String) throws(ToolError) -> BinlogDirectory {
        guard access(binlog, F_OK) == 0 else { throw ToolError(.noInput, "\(binlog): no such file or directory") }
        let name = String(dump.split(separator: "/").last ?? "")
        do {
            if let db { return try BinlogDirectory(path: binlog, db: db) }
            if dumps.count > 1 { return try BinlogDirectory(path: binlog, db: name) }
            do {
                return try BinlogDirectory(path: binlog)
            } catch .ambiguousDatabase {
                return try BinlogDirectory(path: binlog, db: name)
            }
        } catch {
            throw ToolError(error)
        }
    }
}

extension ToolError {
    init(storage error: PikaStorageError) {
        switch error {
        case .database where error.description.contains("built without RocksDB"):
            self.init(.unavailable, error.description)
        case .layoutMismatch:
            self.init(.usage, error.description)
        default:
            self.init(.dataError, error.description)
        }
    }
}
