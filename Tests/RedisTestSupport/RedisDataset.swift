import Foundation
import TestSupport

/// A dataset read back without DUMP: per key its type, its contents and whether it has a TTL.
public struct RedisDataset: Equatable {
    public struct Value: Equatable, CustomStringConvertible {
        public var type: String
        /// Strings: [value]; hashes: field, value pairs sorted by field; lists: elements; sets:
        /// members sorted; zsets: member, score in rank order; streams: id, fields… in order.
        public var contents: [[UInt8]]
        public var hasTTL: Bool

        public init(type: String, contents: [[UInt8]], hasTTL: Bool) {
            self.type = type
            self.contents = contents
            self.hasTTL = hasTTL
        }

        public var description: String {
            let shown = contents.prefix(8).map { String(decoding: $0.prefix(24), as: UTF8.self) }
            return "\(type)\(hasTTL ? " (ttl)" : "") \(shown)\(contents.count > 8 ? "… (\(contents.count))" : "")"
        }
    }

    public var keys: [[UInt8]: Value]

    public init(keys: [[UInt8]: Value]) { self.keys = keys }

    /// Reads every key with TYPE, PTTL, then GET/HGETALL/LRANGE/SMEMBERS/ZRANGE WITHSCORES/XRANGE.
    public static func read(_ c: RedisConnection) throws -> RedisDataset {
        guard case .array(let keyReplies?) = try c.call([Array("KEYS".utf8), Array("*".utf8)]) else {
            throw RedisError.protocolError("KEYS")
        }
        let names = keyReplies.compactMap(\.bytes)
        var meta: [[[UInt8]]] = []
        for k in names {
            meta.append([Array("TYPE".utf8), k])
            meta.append([Array("PTTL".utf8), k])
        }
        let metaReplies = try c.pipeline(meta)
        var reads: [[[UInt8]]] = []
        var types: [String] = []
        for (i, k) in names.enumerated() {
            let type = String(decoding: metaReplies[2 * i].bytes ?? [], as: UTF8.self)
            types.append(type)
            switch type {
            case "string": reads.append([Array("GET".utf8), k])
            case "hash": reads.append([Array("HGETALL".utf8), k])
            case "list": reads.append([Array("LRANGE".utf8), k, Array("0".utf8), Array("-1".utf8)])
            case "set": reads.append([Array("SMEMBERS".utf8), k])
            case "zset":
                reads.append([Array("ZRANGE".utf8), k, Array("0".utf8), Array("-1".utf8), Array("WITHSCORES".utf8)])
            case "stream": reads.append([Array("XRANGE".utf8), k, Array("-".utf8), Array("+".utf8)])
            default: reads.append([Array("TYPE".utf8), k])
            }
        }
        let contentReplies = try c.pipeline(reads)
        var keys: [[UInt8]: Value] = [:]
        for (i, k) in names.enumerated() {
            guard types[i] != "none" else { continue }  // expired between KEYS and TYPE
            var contents = contentReplies[i].flattened
            switch types[i] {
            case "hash":
                var pairs: [([UInt8], [UInt8])] = []
                for p in stride(from: 0, to: contents.count - 1, by: 2) { pairs.append((contents[p], contents[p + 1])) }
                contents = pairs.sorted { $0.0.lexicographicallyPrecedes($1.0) }.flatMap { [$0.0, $0.1] }
            case "set":
                contents.sort { $0.lexicographicallyPrecedes($1) }
            default:
                break
            }
            let pttl = metaReplies[2 * i + 1].integer ?? -1
            keys[k] = Value(type: types[i], contents: contents, hasTTL: pttl >= 0)
        }
        return RedisDataset(keys: keys)
    }

    /// Keys whose values differ (or exist on one side only), as text.
    public func differences(from other: RedisDataset) -> [String] {
        var out: [String] = []
        for key in Set(keys.keys).union(other.keys.keys).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let a = keys[key]
            let b = other.keys[key]
            if a != b {
                let name = String(decoding: key, as: UTF8.self)
                out.append("\(name): \(a.map(\.description) ?? "absent") ≠ \(b.map(\.description) ?? "absent")")
            }
        }
        return out
    }
}
