import BinlogFormat
import Repair

/// Opens a bgsave dump (`dump/<date>/dbN` with its `info`) and verifies it against a binlog: what
/// `rewrite --snapshot`, `diff --snapshot` and `verify-snapshot` start from.
struct SnapshotInput {
    var dump: String
    var pikaVersion: String?
    var slotCount: Int
    var verifier: SnapshotVerifier.Options

    /// Why a verb cannot read dumps in this build.
    static func requireRocksDB(_ what: String) throws(ToolError) {
        guard SnapshotVerifier.isAvailable else {
            throw ToolError(
                .unavailable,
                "\(what) needs RocksDB, and this binlogtool was built without it (--disable-default-traits); "
                    + "rebuild with the default \"RocksDB\" trait (apt-get install librocksdb-dev).")
        }
    }

    /// The dump's verification against `binlog`, the opened dump and its `info`.
    func open(binlog: BinlogDirectory, option: String) throws(ToolError) -> (SnapshotVerification, PikaSnapshot, BgsaveInfo) {
        try Self.requireRocksDB(option)
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
        let opened: PikaSnapshot
        do {
            opened = try PikaSnapshot(
                directory: dump,
                options: .init(
                    version: pikaVersion.flatMap(PikaStorageVersion.init(release:)), slotCount: slotCount,
                    openZSetScoreIndex: false))
        } catch {
            throw ToolError(storage: error)
        }
        do {
            let verification = try SnapshotVerifier(binlog: binlog, snapshot: opened, info: info, options: verifier).verify()
            return (verification, opened, info)
        } catch {
            switch error {
            case .binlog(let e): throw ToolError(e)
            case .storage(let e): throw ToolError(storage: e)
            case .emptyBinlog: throw ToolError(.dataError, error.description)
            }
        }
    }
}
