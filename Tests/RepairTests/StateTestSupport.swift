import BinlogFormat
import Foundation
import TestSupport
import Testing

@testable import PikaStorage
@testable import Repair

/// Helpers for the State* suites (KeyspaceModel and the idempotent rewrite).
enum StateTest {
    /// UTF-8 bytes.
    static func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Latin-1 bytes: every character of `text` is one byte (how `commands.jsonl` stores binary).
    static func latin1(_ text: String) -> [UInt8] { text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) } }

    /// Text of bytes for messages and assertions.
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// An argv, each word one argument.
    static func argv(_ line: String) -> [[UInt8]] { line.split(separator: " ").map { Array($0.utf8) } }

    /// The commands of a `.replace`, each as one space-joined line; nil for other decisions.
    static func lines(_ decision: RewriteDecision) -> [String]? {
        guard case .replace(let commands) = decision else { return nil }
        return commands.map { $0.map(text).joined(separator: " ") }
    }

    /// The exec time of the real fixtures (2026-11-20T20:20:21Z).
    static let fixtureTime: UInt32 = 1_795_218_021

    // MARK: Fixtures

    static let repoRoot = PikaFixtures.repoRoot

    /// `Fixtures/pika-real/<case>/binlog/log_db0`.
    static func binlogDirectory(_ fixture: String) -> String {
        repoRoot.appendingPathComponent("Fixtures/pika-real/\(fixture)/binlog/log_db0").path
    }

    /// One decoded item of a real binlog.
    struct LoggedItem {
        var logicID: UInt64
        var execTime: UInt32
        var arguments: [[UInt8]]
        var line: String { arguments.map { text(Array($0.prefix(40))) }.joined(separator: " ") }
    }

    /// Every item of a fixture's binlog, in order, and whether it starts at the beginning of history.
    static func items(_ fixture: String) throws -> (items: [LoggedItem], startsHistory: Bool) {
        let (items, startsHistory, _) = try items(directory: binlogDirectory(fixture))
        return (items, startsHistory)
    }

    /// Every binlog directory of the real fixtures (`…/log_db0`), relative to `pika-real/`, with
    /// its path: the shared copy (complete) when present, else the committed one.
    static func allBinlogDirectories() -> [(name: String, path: String)] {
        let committed = PikaFixtures.committed.path
        let shared = PikaFixtures.shared.path
        var found: [String: String] = [:]
        for base in [committed, shared] {
            guard let walker = FileManager.default.enumerator(atPath: base) else { continue }
            while let relative = walker.nextObject() as? String {
                if relative.hasSuffix("log_db0") { found[relative] = base + "/" + relative }
            }
        }
        return found.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Every item of the binlog in `directory`; padding and damage are counted, not returned.
    static func items(directory dir: String) throws -> (items: [LoggedItem], startsHistory: Bool, otherRecords: Int) {
        // `write2file<N>` and `write2file<N>.lz4` (the committed copy of the bgsave binlog).
        let files = try BinlogDirectory(path: dir).files.map { entry in
            BinlogStream.File(fileNumber: entry.fileNumber) { () throws(BinlogIOError) -> any ByteSource in
                try entry.openSource()
            }
        }
        var stream = BinlogStream(files: files)
        var out: [LoggedItem] = []
        var first = true
        var startsHistory = false
        var otherRecords = 0
        while let record = try stream.next() {
            if first {
                startsHistory = KeyspaceModel.startsAtBeginningOfHistory(record)
                first = false
            }
            guard case .item(let item) = record else {
                otherRecords += 1
                continue
            }
            out.append(
                LoggedItem(
                    logicID: item.header.logicID, execTime: item.header.execTime,
                    arguments: item.command.ownedArguments()))
        }
        return (out, startsHistory, otherRecords)
    }

    /// `commands.jsonl` of a fixture (only in the shared copy): the argv of every command sent.
    static func sentCommands(_ fixture: String) throws -> [[[UInt8]]]? {
        let path = repoRoot.deletingLastPathComponent()
            .appendingPathComponent("shared/fixtures/pika-real/\(fixture)/commands.jsonl").path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var out: [[[UInt8]]] = []
        for line in text.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            out.append((object["args"] as! [String]).map(latin1))
        }
        return out
    }
}

/// A model plus a clock, fed with space-separated command lines.
struct ModelHarness {
    var model: KeyspaceModel
    var time: UInt32 = StateTest.fixtureTime

    init(startsAtBeginningOfHistory: Bool = true, source: (any KeyStateSource)? = nil, dialect: RewriteDialect = .pika)
    {
        model = KeyspaceModel(startsAtBeginningOfHistory: startsAtBeginningOfHistory, source: source, dialect: dialect)
    }

    /// Replays `line` (words split on spaces) at the current time.
    @discardableResult
    mutating func run(_ line: String) throws -> RewriteDecision {
        try model.rewrite(StateTest.argv(line), execTimeSeconds: time)
    }

    /// Replays an argv at the current time.
    @discardableResult
    mutating func run(_ arguments: [[UInt8]]) throws -> RewriteDecision {
        try model.rewrite(arguments, execTimeSeconds: time)
    }

    /// The replacement lines of `line`, or nil when it is not replaced.
    mutating func lines(_ line: String) throws -> [String]? {
        StateTest.lines(try run(line))
    }

    /// The modelled state of `key` now.
    func state(_ key: String) -> KeyspaceModel.KeyState? {
        model.state(of: StateTest.b(key), atMs: Int64(time) * 1000)
    }

    /// The modelled string value of `key`, nil if absent, unknown or not a string.
    func string(_ key: String) -> String? {
        guard case .present(.string(let v), _) = state(key) else { return nil }
        return StateTest.text(v)
    }

    func list(_ key: String) -> [String]? {
        guard case .present(.list(let v), _) = state(key) else { return nil }
        return v.map(StateTest.text)
    }

    func hash(_ key: String) -> [String: String]? {
        guard case .present(.hash(let v), _) = state(key) else { return nil }
        return Dictionary(uniqueKeysWithValues: v.map { (StateTest.text($0.key), StateTest.text($0.value)) })
    }

    func set(_ key: String) -> Set<String>? {
        guard case .present(.set(let v), _) = state(key) else { return nil }
        return Set(v.map(StateTest.text))
    }

    func zset(_ key: String) -> [String: Double]? {
        guard case .present(.zset(let v), _) = state(key) else { return nil }
        return Dictionary(uniqueKeysWithValues: v.map { (StateTest.text($0.key), $0.value) })
    }

    func expiry(_ key: String) -> Int64? {
        guard case .present(_, let e) = state(key) else { return nil }
        return e
    }
}

/// A ``KeyStateSource`` from a dictionary, recording what was asked.
final class DictionaryStateSource: KeyStateSource {
    var states: [[UInt8]: KeyspaceModel.KeyState]
    var asked: [([UInt8], Int64)] = []

    init(_ states: [String: KeyspaceModel.KeyState]) {
        self.states = Dictionary(uniqueKeysWithValues: states.map { (StateTest.b($0.key), $0.value) })
    }

    func state(of key: [UInt8], at referenceTimeMs: Int64) throws -> KeyspaceModel.KeyState? {
        asked.append((key, referenceTimeMs))
        return states[key]
    }
}
