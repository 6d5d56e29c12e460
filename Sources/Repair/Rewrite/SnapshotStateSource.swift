/// Seeds a ``KeyspaceModel`` from a bgsave snapshot: the state of a key before the first item
/// written, read from the snapshot's RocksDB data (read-only, through ``PikaSnapshot``).
///
/// The snapshot's data is the state at its real position in the binlog (the corrected resume
/// point of its verification, plus the items verified as already applied past it), so the
/// rewrite starts there and drops those items instead of applying them to the seed again.
///
/// A key the snapshot holds under several types (Pika 3.x keeps one key per type) or as a stream
/// (not read) is unknown (`nil`); so is a list whose elements do not add up to its length.
public final class SnapshotStateSource: KeyStateSource {
    public let snapshot: PikaSnapshot
    /// Keys read so far.
    public private(set) var readCount = 0

    public init(snapshot: PikaSnapshot) {
        self.snapshot = snapshot
    }

    public func state(of key: [UInt8], at referenceTimeMs: Int64) throws -> KeyspaceModel.KeyState? {
        readCount += 1
        let at = UnixTime(milliseconds: referenceTimeMs)
        let records = try snapshot.liveRecords(for: key, at: at)
        guard let record = records.first else { return .absent }
        guard records.count == 1 else { return nil }
        let expiresAtMs = record.expiry.map { $0.time.milliseconds }
        let value: KeyspaceValue
        switch record.type {
        case .string:
            guard let bytes = record.value else { return nil }
            value = .string(bytes)
        case .hash:
            var fields: [[UInt8]: [UInt8]] = [:]
            for f in try snapshot.hashFields(key, at: at) { fields[f.field] = f.value }
            guard !fields.isEmpty else { return .absent }
            value = .hash(fields)
        case .set:
            let members = try snapshot.setMembers(key, at: at)
            guard !members.isEmpty else { return .absent }
            value = .set(Set(members))
        case .zset:
            var scores: [[UInt8]: Double] = [:]
            for m in try snapshot.zsetMembers(key, at: at) { scores[m.member] = m.score }
            guard !scores.isEmpty else { return .absent }
            value = .zset(scores)
        case .list:
            let elements = try snapshot.listElements(key, at: at)
            guard Int64(elements.count) == record.count else { return nil }
            guard !elements.isEmpty else { return .absent }
            value = .list(elements)
        default:
            return nil
        }
        return .present(value, expiresAtMs: expiresAtMs)
    }
}
