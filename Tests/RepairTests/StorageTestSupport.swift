import Foundation
import TestSupport
import Testing

@testable import PikaStorage
@testable import Repair

/// Shared helpers for the Storage and RocksSnapshot suites.
enum StorageFixtures {
    /// `<repo>/Fixtures`, found from this file's location (Tests/RepairTests/..).
    static let root = PikaFixtures.committed.deletingLastPathComponent().path

    /// Pika 3.5.0 bgsave dump (per-type layout).
    static let v3Dump = root + "/pika-real/bgsave/dump/20261120/db0"
    /// Pika 4.0.1 bgsave dump (3 instances).
    static let v4Dump = root + "/pika-real/v4-bgsave/dump/20261121/db0"
    /// Pika 3.5.0 slave's live db directory after a clean stop.
    static let v3SlaveDB = root + "/pika-real/slave/slave/db/db0"
    /// Pika 4.0.1 slave's live db directory after a clean stop.
    static let v4SlaveDB = root + "/pika-real/v4-slave/slave/db/db0"

    /// The BGSAVE times from the fixtures' NOTES.md (unix seconds).
    static let v3DumpTime = UnixTime(seconds: 1_795_218_125)
    static let v4DumpTime = UnixTime(seconds: 1_795_220_791)
}

/// UTF-8 bytes of a string literal.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A fresh directory under the system temp dir, removed by `cleanup()`.
struct TemporaryDirectory: ~Copyable {
    let path: String

    init(_ label: String) throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("binlogtool-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A fingerprint of a directory tree: every file's relative path, size, and FNV-1a-64 of its bytes.
enum TreeFingerprint {
    /// FNV-1a, 64-bit.
    static func fnv1a64(_ data: Data) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        data.withUnsafeBytes { buffer in
            for byte in buffer {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
        }
        return hash
    }

    /// Relative path → (byte count, FNV-1a-64), for every regular file under `root`.
    static func of(_ root: String) throws -> [String: [UInt64]] {
        var result: [String: [UInt64]] = [:]
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(atPath: root) else { return result }
        for case let relative as String in enumerator {
            let full = root + "/" + relative
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: full))
            result[relative] = [UInt64(data.count), fnv1a64(data)]
        }
        return result
    }

    /// Relative paths of every file named `name` under `root`.
    static func files(named name: String, under root: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { ($0 as NSString).lastPathComponent == name }
    }
}
