@testable import BinlogFormat
import Foundation
import Testing

@testable import PikaStorage
@testable import Repair

/// ``CommandCatalogue`` against each consumer of it (the verifier's footprints, the rewriter's
/// classes, the window's relevance filter, the exact model, `diff`'s expiry stamps, the replica
/// rules), and the fixes it brought: the consumers used to hold tables of their own that
/// disagreed.
@Suite struct CommandCatalogueTests {
    /// `NAME a b c d e`: enough arguments for every key position (the name in upper case, as
    /// clients may send it).
    static func sample(_ spec: CommandSpec) -> [[UInt8]] {
        [spec.name.uppercased(), "a", "b", "c", "d", "e"].map { Array($0.utf8) }
    }

    static func withBorrowed<R>(_ argv: [[UInt8]], _ body: (RESPCommand) throws -> R) throws -> R {
        let bytes = RESP.encode(argv)
        return try bytes.withUnsafeBytes { raw in
            var buffer = ArgumentBuffer(capacity: 64)
            try RESP.parse(raw, into: &buffer)
            return try body(RESPCommand(bytes: raw, ranges: buffer.view))
        }
    }

    @Test func namesAreLowerCaseAndFoundFromBorrowedCommandsInAnyCase() throws {
        #expect(CommandCatalogue.byName.count == CommandCatalogue.all.count)
        for spec in CommandCatalogue.all {
            #expect(spec.name == spec.name.lowercased())
            let found = try Self.withBorrowed(Self.sample(spec)) { CommandCatalogue.spec(of: $0)?.name }
            #expect(found == spec.name)
        }
        #expect(try Self.withBorrowed([Array("NOSUCHCOMMAND".utf8)]) { CommandCatalogue.spec(of: $0) } == nil)
    }

    /// A packed name is its bytes through `asciiLower`, one by one: every byte value at every one
    /// of the 16 places (only `A`–`Z` change; bytes of 0x80 and above stay as they are).
    @Test func packedNamesLowerCaseExactlyAsciiLetters() {
        for place in 0..<16 {
            for value in 0...255 {
                var bytes = [UInt8](repeating: UInt8(ascii: "Q"), count: 16)
                bytes[place] = UInt8(value)
                let packed = bytes.withUnsafeBytes { PackedName($0) }
                var words: (UInt64, UInt64) = (0, 0)
                withUnsafeMutableBytes(of: &words) { w in
                    for i in 0..<16 { w[i] = asciiLower(bytes[i]) }
                }
                #expect(packed.low == words.0 && packed.high == words.1, "byte \(value) at \(place)")
            }
        }
        let short = Array("PkSetExAt".utf8).withUnsafeBytes { PackedName($0) }
        #expect(short == PackedName("pksetexat") && short.count == 9)
    }

    /// The verifier writes exactly the keys the catalogue names (every key for a global one), and
    /// the window's relevance filter lets through every command that writes beyond `argv[1]`.
    @Test func footprintsWriteTheCataloguedKeys() {
        let effects = CommandEffects()
        for spec in CommandCatalogue.all {
            let argv = Self.sample(spec)
            let footprint = effects.footprint(of: LoggedCommand(arguments: argv))
            let global = spec.writes == .every || spec.writes == .dataset
            #expect(footprint.isGlobal == global, "\(spec.name)")
            #expect(Set(footprint.keys.map(\.key)) == Set(spec.writes.keys(of: argv)), "\(spec.name)")
            let beyondFirst = global || footprint.keys.contains { $0.key != argv[1] }
            #expect(!beyondFirst || spec.writesBeyondFirstKey, "\(spec.name)")
        }
        // A command the catalogue does not know: its first argument, conservatively.
        let unknown = effects.footprint(of: LoggedCommand(arguments: [Array("frobnicate".utf8), Array("k".utf8)]))
        #expect(unknown.keys.map(\.key) == [Array("k".utf8)])
    }

    /// Every command name the models switch on is in the catalogue: a handler for a command the
    /// catalogue does not know would get no footprint, no replay safety, no rewriter class.
    @Test func everyNameTheModelsHandleIsCatalogued() throws {
        var sources = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { sources.deleteLastPathComponent() }
        sources.appendPathComponent("Sources/Repair")
        let files = ["State/KeyspaceModel+Dispatch.swift", "Snapshot/CommandEffects.swift"]
        var names = Set<String>()
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            // `case "a", "b",\n "c":` — the quoted labels of each case, over line breaks.
            for match in text.matches(of: /case\s+((?:"[^"]+"(?:\s+where[^,:]*)?,?\s*)+):/) {
                for label in match.output.1.matches(of: /"([^"]+)"/) { names.insert(String(label.output.1)) }
            }
        }
        #expect(names.count > 60)
        let missing = names.filter { CommandCatalogue.spec(named: $0) == nil }.sorted()
        #expect(missing.isEmpty, "not in the catalogue: \(missing)")
    }

    /// The rewriter asks for the state of every key a command writes or reads.
    @Test func rewriterClassesCoverTheCataloguedKeys() throws {
        for spec in CommandCatalogue.all {
            let argv = Self.sample(spec)
            try Self.withBorrowed(argv) { command in
                let cls = CommandClass.of(command)
                var visited = Set<[UInt8]>()
                cls.forEachKey(command) { visited.insert(Array($0)) }
                switch spec.family {
                case .readOnly: #expect(cls.kind == .readOnly, "\(spec.name)")
                case .padding: #expect(cls.kind == .padding, "\(spec.name)")
                default:
                    if spec.writes == .every {
                        #expect(cls.kind == .global, "\(spec.name)")
                    } else {
                        #expect(cls.kind != .readOnly && cls.kind != .padding, "\(spec.name)")
                        let needed = Set(spec.writes.keys(of: argv) + spec.reads.keys(of: argv))
                        #expect(needed.isSubset(of: visited), "\(spec.name)")
                    }
                }
            }
        }
    }

    /// The exact model keeps read-only commands, and a command it does not follow leaves every
    /// key the catalogue says it writes unknown.
    @Test func keyspaceModelFollowsTheCatalogue() throws {
        for spec in CommandCatalogue.all {
            let argv = Self.sample(spec)
            var model = KeyspaceModel(startsAtBeginningOfHistory: true)
            let decision = try model.rewrite(argv, execTimeSeconds: 1_800_000_000)
            if spec.isReadOnly { #expect(decision == .keep, "\(spec.name)") }
            if case .unknownPriorState(_, let reason) = decision, reason.contains("not modelled") {
                for key in spec.writes.keys(of: argv) {
                    #expect(model.storedState(of: key) == nil, "\(spec.name) \(String(decoding: key, as: UTF8.self))")
                }
            }
        }
    }

    /// `diff` stamps exactly the catalogue's expiry forms, each in its unit.
    @Test func expiryStampsFollowTheCatalogue() throws {
        let exec: UInt32 = 1_800_000_000
        for spec in CommandCatalogue.all {
            for argc in [3, 4] {
                let argv = [spec.name, "k", "1795224349", "v"].prefix(argc).map { Array($0.utf8) }
                let stamp = try Self.withBorrowed(argv) { ExpiryStamp.of($0, execTime: exec) }
                guard let rule = spec.expiry, rule.argumentCount == argc else {
                    #expect(stamp == nil, "\(spec.name) with \(argc) arguments")
                    continue
                }
                #expect((5...9).contains(spec.name.utf8.count), "ExpiryStamp's length filter")
                let expected: Int64
                switch rule.time {
                case .relativeSeconds: expected = (Int64(exec) + 1_795_224_349) * 1000
                case .relativeMilliseconds: expected = Int64(exec) * 1000 + 1_795_224_349
                case .absoluteSeconds, .pksetexat: expected = 1_795_224_349_000
                case .absoluteMilliseconds: expected = 1_795_224_349
                }
                #expect(stamp?.milliseconds == expected, "\(spec.name)")
            }
        }
    }

    /// Every replica rule belongs to the entry of the command it matches.
    @Test func replicaRulesSitWithTheirCommand() {
        #expect(!ReplicaApplyRule.all.isEmpty)
        #expect(Set(ReplicaApplyRule.all.map(\.id)).count == ReplicaApplyRule.all.count)
        for rule in ReplicaApplyRule.all {
            let spec = CommandCatalogue.spec(named: rule.command)
            #expect(spec?.replicaRules.map(\.id).contains(rule.id) == true, "\(rule.id)")
        }
    }

    /// Replay safety is the catalogue's (Docs/Format.md §C2), with its argument-dependent cases.
    @Test func replaySafety() {
        func unsafe(_ words: String...) -> Bool {
            CommandEffects().isUnsafeToReplay(LoggedCommand(arguments: words.map { Array($0.utf8) }))
        }
        // Fixed: these moved an element like RPOPLPUSH but counted as safe.
        #expect(unsafe("BRPOPLPUSH", "s", "d", "0"))
        #expect(unsafe("lmove", "s", "d", "LEFT", "RIGHT"))
        #expect(unsafe("blmove", "s", "d", "LEFT", "RIGHT", "0"))
        #expect(unsafe("rpoplpush", "s", "d"))
        #expect(!unsafe("lrem", "k", "0", "v"))
        #expect(unsafe("lrem", "k", "-2", "v"))
        #expect(unsafe("set", "k", "v", "EX", "10"))
        #expect(!unsafe("set", "k", "v", "EXAT", "10"))
        #expect(!unsafe("frobnicate", "k"))
        #expect(!unsafe("get", "k"))
    }

    // MARK: The fixes, on real binlogs written with Pika's framing

    /// Writes `commands` (one item each, one second apart) and replays the history before the
    /// end into an exact model following `keys`.
    static func replay(_ commands: [[String]], following keys: [String]) throws -> (KeyspaceModel, applied: Int) {
        let dir = try CheckFixtures.temporaryDirectory() + "/log_db0"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var writer = try BinlogWriter(output: try BinlogDirectoryOutput(directory: dir), binlogFileSize: 1 << 20)
        for (i, command) in commands.enumerated() {
            try writer.append(content: RESP.encode(command.map { Array($0.utf8) }), execTime: 1_800_000_000 + UInt32(i))
        }
        try writer.finish()
        var model = KeyspaceModel(startsAtBeginningOfHistory: true)
        let (_, applied) = try BinlogWindowReader.replayHistory(
            try BinlogDirectory(path: dir).files, until: PhysicalPosition(fileNumber: 1 << 30, offset: 0),
            keys: Set(keys.map { Array($0.utf8) }), footprints: CommandEffects(), into: &model)
        return (model, applied)
    }

    static func list(_ elements: String...) -> KeyspaceModel.KeyState {
        .present(.list(elements.map { Array($0.utf8) }), expiresAtMs: nil)
    }

    /// LMOVE writes its destination: it used to be missing from the relevance filter and the
    /// footprint, and its LEFT/RIGHT arguments were taken for keys that must be followed, so the
    /// destination kept its state from before the move.
    @Test func lmoveReplaysIntoAFollowedDestination() throws {
        let commands = [["rpush", "src", "x", "y"], ["lmove", "src", "dst", "RIGHT", "LEFT"]]
        let (both, applied) = try Self.replay(commands, following: ["src", "dst"])
        #expect(applied == 2)
        #expect(both.storedState(of: Array("src".utf8)) == Self.list("x"))
        #expect(both.storedState(of: Array("dst".utf8)) == Self.list("y"))
        // Only the destination followed: its new value came from a key not replayed, so unknown.
        let (destination, _) = try Self.replay(commands, following: ["dst"])
        #expect(destination.storedState(of: Array("dst".utf8)) == nil)
    }

    /// BRPOPLPUSH's timeout is not a key: with both lists followed it replays exactly.
    @Test func brpoplpushReplaysExactly() throws {
        let (model, _) = try Self.replay(
            [["rpush", "src", "x", "y"], ["rpush", "dst", "z"], ["brpoplpush", "src", "dst", "0"]],
            following: ["src", "dst"])
        #expect(model.storedState(of: Array("src".utf8)) == Self.list("x"))
        #expect(model.storedState(of: Array("dst".utf8)) == Self.list("y", "z"))
    }

    /// PKPATTERNMATCHDEL deletes every matching key: the window used to skip it unless its
    /// pattern happened to be a followed key's name, leaving the deleted key present.
    @Test func patternDeleteReachesFollowedKeys() throws {
        let (model, applied) = try Self.replay(
            [["set", "user:1", "a"], ["set", "other", "b"], ["pkpatternmatchdel", "user:*"]],
            following: ["user:1", "other"])
        #expect(applied == 3)
        #expect(model.storedState(of: Array("user:1".utf8)) == .absent)
        #expect(model.storedState(of: Array("other".utf8)) == .present(.string(Array("b".utf8)), expiresAtMs: nil))
        // The verifier's partial model agrees.
        var states: [[UInt8]: KeyState] = [Array("user:1".utf8): .unknown, Array("other".utf8): .unknown]
        CommandEffects().apply(
            LoggedCommand(arguments: [Array("pkpatternmatchdel".utf8), Array("user:*".utf8)]), at: 1_800_000_000, to: &states)
        #expect(states[Array("user:1".utf8)] == .absent)
        #expect(states[Array("other".utf8)] == .unknown)
    }

    /// ZUNIONSTORE's sources are the `numkeys` keys: its WEIGHTS were taken for keys that must
    /// be followed, so the destination was never known.
    @Test func zunionstoreReadsOnlyItsSources() throws {
        let (model, _) = try Self.replay(
            [["zadd", "s1", "1", "m"], ["zadd", "s2", "2", "m"], ["zunionstore", "d", "2", "s1", "s2", "WEIGHTS", "1", "10"]],
            following: ["s1", "s2", "d"])
        #expect(model.storedState(of: Array("d".utf8)) == .present(.zset([Array("m".utf8): 21]), expiresAtMs: nil))
    }
}
