#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BinlogFormat
import Repair

/// A bgsave dump named on the command line, verified against its master's binlog: what
/// `verify-snapshot`, `rewrite --snapshot` and `prepare-replica` share.
public struct VerifiedSnapshot {
    public var dump: String
    public var info: BgsaveInfo
    public var snapshot: PikaSnapshot
    public var binlog: BinlogDirectory
    public var verification: SnapshotVerification
}

/// How the snapshot verbs read a dump.
public struct SnapshotInputOptions {
    public var pikaVersion: String?
    public var slotCount: Int
    public var verifier: SnapshotVerifier.Options

    public init(pikaVersion: String?, slotCount: Int, verifier: SnapshotVerifier.Options) {
        self.pikaVersion = pikaVersion
        self.slotCount = slotCount
        self.verifier = verifier
    }

    /// Refuses to run in a build without RocksDB (exit 69), naming what needed it.
    public static func requireRocksDB(_ what: String) throws(ToolError) {
        guard SnapshotVerifier.isAvailable else {
            throw ToolError(
                .unavailable,
                "\(what) needs RocksDB, and this binlogtool was built without it (--disable-default-traits); "
                    + "rebuild with the default \"RocksDB\" trait (apt-get install librocksdb-dev).")
        }
    }

    /// Reads `dump`'s `info`, opens its data read-only and verifies it against `binlog`.
    public func verify(_ dump: String, binlog: BinlogDirectory) throws(ToolError) -> VerifiedSnapshot {
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
        do {
            let verification = try SnapshotVerifier(binlog: binlog, snapshot: snapshot, info: info, options: verifier)
                .verify()
            return VerifiedSnapshot(
                dump: dump, info: info, snapshot: snapshot, binlog: binlog, verification: verification)
        } catch {
            switch error {
            case .binlog(let e): throw ToolError(e)
            case .storage(let e): throw ToolError(storage: e)
            case .emptyBinlog: throw ToolError(.dataError, error.description)
            }
        }
    }

    /// The binlog of `dump`'s db: `binlog` itself (a `log_dbN`), or `log_<db>` under a log root
    /// (`db`, else the dump directory's name when the root holds several).
    /// - Parameter several: more than one dump is named: each takes its own `log_<name>`.
    public static func binlogDirectory(
        _ binlog: String, db: String?, for dump: String, several: Bool = false
    ) throws(ToolError) -> BinlogDirectory {
        guard access(binlog, F_OK) == 0 else { throw ToolError(.noInput, "\(binlog): no such file or directory") }
        let name = dumpDatabaseName(dump)
        do {
            if let db { return try BinlogDirectory(path: binlog, db: db) }
            if several { return try BinlogDirectory(path: binlog, db: name) }
            do {
                return try BinlogDirectory(path: binlog)
            } catch .ambiguousDatabase {
                return try BinlogDirectory(path: binlog, db: name)
            }
        } catch {
            throw ToolError(error)
        }
    }

    /// The db a dump directory holds: its last path component (`dump/20261120/db0` → `db0`).
    public static func dumpDatabaseName(_ dump: String) -> String {
        String(dump.split(separator: "/").last ?? "")
    }
}

extension ToolError {
    public init(storage error: PikaStorageError) {
        switch error {
        case .database(.unavailable):
            self.init(.unavailable, error.description)
        case .unreadable:
            self.init(.noInput, error.description)
        case .newerTableFormat:
            self.init(.unavailable, error.description)
        case .layoutMismatch:
            self.init(.usage, error.description)
        default:
            self.init(.dataError, error.description)
        }
    }
}

/// The options `verify-snapshot` and `prepare-replica` share: how to read the snapshot and how far
/// to look past its offset.
public struct SnapshotOptions: ParsableArguments {
    @Option(help: "Which log_<db> to read under a log root (default: the dump directory's name).")
    public var db: String?

    @Option(help: "Pika version that wrote the snapshot (3.3 … 3.5.5, 4.0.0, 4.0.1); detected from the layout and data by default.")
    public var pikaVersion: String?

    @Option(help: "Pika 4.0 default-slot-num (which instance holds a key).")
    public var slotCount: Int = 1024

    @Option(help: "Items examined and shown past the snapshot's recorded offset (more are read when needed).")
    public var window: Int = 64

    public init() {}

    public func validate() throws {
        if window < 1 { throw ValidationError("--window must be at least 1") }
        if slotCount < 1 { throw ValidationError("--slot-count must be at least 1") }
        if let v = pikaVersion, PikaStorageVersion(release: v) == nil {
            throw ValidationError("--pika-version: '\(v)' is not a release this tool reads (3.3 … 3.5.5, 4.0.0, 4.0.1)")
        }
    }

    /// The snapshot reader these options ask for, verifying with `verifier` (its window set here).
    public func input(_ verifier: SnapshotVerifier.Options = .init()) -> SnapshotInputOptions {
        var verifier = verifier
        verifier.window = window
        return SnapshotInputOptions(pikaVersion: pikaVersion, slotCount: slotCount, verifier: verifier)
    }
}
