import BinlogFormat

/// The stream that repairs a replica which started from a lagging dump (``FullSyncDoubleApply``):
/// every key a non-replay-safe item was applied twice to, set to the master's state at the last
/// master item the replica has, whatever the replica holds for it (`del`, then the whole value and
/// its expiry). Keys nothing applied twice are right on the replica and are left alone, and the
/// replica's position in the master's binlog does not move: once the stream is in, the replica
/// goes on replicating from where it was.
///
/// The state comes from the dump (the master's data at its corrected point, the seed of
/// `rewrite --snapshot`) rolled forward through the master's items the dump lacks, up to the
/// replica's last one.
public struct FullSyncRepair {
    public struct Result {
        /// The commands, key by key, in the order of ``FullSyncDoubleApply/damagedKeys``.
        public var commands: [[[UInt8]]]
        /// The keys written, and the keys whose state could not be known (with why): those are
        /// not in the stream and need another repair (a full resync of the replica).
        public var repaired: [[UInt8]]
        public var unknown: [(key: [UInt8], why: String)]
        /// Master items replayed through the model after the dump's corrected point.
        public var itemsReplayed: Int
    }

    /// Builds the stream.
    /// - Parameters:
    ///   - master: the master's binlog the dump was verified against.
    ///   - seed: the dump's verification and its key states.
    ///   - doubleApply: what the diff with the dump found (its `replicaThrough` bounds the replay).
    public static func build(
        master: BinlogDirectory, seed: SnapshotSeed, doubleApply: FullSyncDoubleApply, dialect: RewriteDialect
    ) throws(RewriteError) -> Result {
        let verification = seed.verification
        var model = KeyspaceModel(startsAtBeginningOfHistory: false, source: seed.source, dialect: dialect)
        var result = Result(commands: [], repaired: [], unknown: [], itemsReplayed: 0)
        guard let through = doubleApply.replicaThrough, !doubleApply.damagedKeys.isEmpty else { return result }
        // Items from the first one the dump lacks; those it holds out of order (skip) are in it.
        let skip = Set(verification.skip.map(\.reference.start))
        // The first item the dump lacks; when every item examined is in it, the one after the last.
        let firstMissing = verification.correctedItem?.start
        let lastHeld = verification.lastCommitted?.start
        var time = doubleApply.replicaThroughExecTime.map(Int64.init) ?? verification.snapshotTime.milliseconds / 1000
        var stream = BinlogDiff.stream(of: master)
        do {
            while let record = try stream.next() {
                guard case .item(let item) = record else { continue }
                if item.start > through.position { break }
                if let firstMissing {
                    guard item.start >= firstMissing else { continue }
                } else {
                    guard let lastHeld, item.start > lastHeld else { continue }
                }
                if skip.contains(item.start) {
                    model.noteItemNotReplayed()
                    continue
                }
                _ = try model.rewrite(item)
                result.itemsReplayed += 1
                if item.envelope == .pikaItem { time = Int64(item.header.execTime) }
            }
            for key in doubleApply.damagedKeys {
                switch try model.resetCommands(key, execSeconds: time) {
                case .success(let commands):
                    result.commands += commands
                    result.repaired.append(key)
                case .failure(let unknown):
                    result.unknown.append((key, unknown.why))
                }
            }
        } catch let e as BinlogIOError {
            throw .read(e)
        } catch {
            throw .snapshot("\(error)")
        }
        return result
    }
}
