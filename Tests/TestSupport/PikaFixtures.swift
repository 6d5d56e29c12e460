import Foundation

/// The real Pika fixtures: the copies committed under `Fixtures/pika-real`, and the complete set in
/// `../shared/fixtures/pika-real` beside the checkout (the large files left out of the repository
/// are only there). Where both hold a file the two copies are the same bytes
/// (`committedFixturesAreTheSharedBytes` checks it).
public enum PikaFixtures {
    public static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let committed = repoRoot.appendingPathComponent("Fixtures/pika-real")
    public static let shared = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/pika-real")

    /// The path of `relative` (a file or a directory, e.g. `basic/binlog/log_db0`): the committed
    /// copy when it holds everything the shared one does, else the shared copy (a directory the
    /// repository holds only part of, such as `crash/binlog/log_db0` without its 4 MiB file).
    public static func path(_ relative: String) -> String {
        let local = committed.appendingPathComponent(relative).path
        let complete = shared.appendingPathComponent(relative).path
        guard FileManager.default.fileExists(atPath: local) else { return complete }
        return missingFromCommitted(relative).isEmpty ? local : complete
    }

    /// The files under `relative` in the shared copy that the committed copy lacks.
    public static func missingFromCommitted(_ relative: String) -> [String] {
        let base = shared.appendingPathComponent(relative).path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: base, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else {
            return FileManager.default.fileExists(atPath: committed.appendingPathComponent(relative).path) ? [] : [relative]
        }
        var missing: [String] = []
        let walker = FileManager.default.enumerator(atPath: base)
        while let name = walker?.nextObject() as? String {
            let local = committed.appendingPathComponent(relative + "/" + name).path
            if !FileManager.default.fileExists(atPath: local) { missing.append(relative + "/" + name) }
        }
        return missing
    }

    /// A binlog directory's files as (file number, path), sorted, merging the committed and shared
    /// copies. Paths ending in `.lz4` are LZ4 frames (`write2file<N>.lz4`, the bundled compressed
    /// copies).
    public static func binlogFiles(_ relativeDir: String) -> [(fileNumber: UInt32, path: String)] {
        var found: [UInt32: String] = [:]
        for base in [shared, committed] {
            let dir = base.appendingPathComponent(relativeDir).path
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for name in names where name.hasPrefix("write2file") {
                var number = name.dropFirst("write2file".count)
                if number.hasSuffix(".lz4") { number = number.dropLast(4) }
                if let n = UInt32(number) { found[n] = dir + "/" + name }
            }
        }
        return found.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
