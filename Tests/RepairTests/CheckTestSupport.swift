import BinlogFormat
import Foundation
import TestSupport
import Repair
import Testing

/// Real binlogs and edited copies of them for the `check`/`diff` suites.
enum CheckFixtures {
    static let repoRoot = PikaFixtures.repoRoot
    static let committed = PikaFixtures.committed
    /// The complete fixture set (the 4 MiB crash file and the bgsave binlogs are only here).
    static let shared = PikaFixtures.shared

    /// A binlog directory of a case, e.g. `basic/binlog/log_db0` (``PikaFixtures/path(_:)``).
    static func path(_ relative: String) -> String { PikaFixtures.path(relative) }

    static func directory(_ relative: String) throws -> BinlogDirectory {
        try BinlogDirectory(path: path(relative))
    }

    static func check(_ relative: String, configuration: CheckConfiguration = CheckConfiguration()) throws
        -> CheckReport
    {
        try BinlogChecker.check(directory(relative), configuration: configuration)
    }

    static func check(directory path: String, configuration: CheckConfiguration = CheckConfiguration()) throws
        -> CheckReport
    {
        try BinlogChecker.check(BinlogDirectory(path: path), configuration: configuration)
    }

    /// `binlog-file-size` from a case's `pika.conf` (e.g. `basic`, `slave/slave`).
    static func binlogFileSize(_ caseName: String) throws -> UInt64 {
        let text = try String(contentsOfFile: path(caseName + "/pika.conf"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "binlog-file-size", let v = Int64(parts[1]) {
                return BinlogWriter.effectiveBinlogFileSize(configured: v)
            }
        }
        throw CheckTestFailure("no binlog-file-size in \(caseName)/pika.conf")
    }

    /// Where the tests' directories go: one directory per test process, removed when it exits.
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "binlogtool-check-\(getpid())-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { CheckFixtures.removeRoot() }
        return url
    }()

    static func removeRoot() { try? FileManager.default.removeItem(at: root) }

    /// A fresh temporary directory (under ``root``).
    static func temporaryDirectory() throws -> String {
        let url = root.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// A writable copy of a case's binlog directory.
    static func copy(_ relative: String) throws -> String {
        let dir = try temporaryDirectory() + "/log_db0"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let source = path(relative)
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: dir + "/" + name)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: dir + "/" + name)
        }
        return dir
    }
}

struct CheckTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// An item copied out of the decoder, to be edited and written again.
struct OwnedItem {
    var start: PhysicalPosition
    var end: PhysicalPosition
    var header: ItemHeader
    var content: [UInt8]
    var recordTimes: [UInt32]

    var logicID: UInt64 { header.logicID }
    var name: String { String(decoding: content.prefix(40), as: UTF8.self) }
}

/// What is in a binlog directory, kept as values.
struct OwnedBinlog {
    var items: [OwnedItem] = []
    /// The first padding region before any item (a replica's full-sync padding).
    var leadingPadding: PaddingRegion?
    var manifest: Manifest?

    init(_ relative: String) throws {
        try self.init(directory: CheckFixtures.path(relative))
    }

    init(directory path: String) throws {
        let directory = try BinlogDirectory(path: path)
        manifest = directory.manifest?.manifest
        for entry in directory.files {
            var decoder = BinlogFileDecoder(source: try entry.openSource(), fileNumber: entry.fileNumber)
            while let record = try decoder.next() {
                switch record {
                case .item(let i):
                    items.append(
                        OwnedItem(
                            start: i.start, end: i.end, header: i.header, content: Array(i.content),
                            recordTimes: Array(i.recordTimes)))
                case .padding(let p):
                    if items.isEmpty && leadingPadding == nil && p.kind != .zeroTail { leadingPadding = p }
                case .damage:
                    break
                }
            }
        }
    }

    /// The index of the item with this logic id.
    func index(of logicID: UInt64) throws -> Int {
        try #require(items.firstIndex { $0.logicID == logicID }, "no item with logic id \(logicID)")
    }

    /// The item with this logic id.
    func item(_ logicID: UInt64) throws -> OwnedItem { items[try index(of: logicID)] }
}

/// How an edited item list is written back.
enum HeaderMode {
    /// Each item keeps its original header: what copying bytes around (or a v3.0–v3.5.1 replica
    /// writing the master's items) produces.
    case verbatim
    /// Headers are computed again from the writer's producer status, as a master (or a v3.5.2+
    /// replica) logs the commands it is given.
    case producer
}

/// Where a ``BinlogWriter`` put each item of an edited list.
struct WrittenBinlog {
    var directory: String
    var items: [WrittenItem]
    var manifest: ProducerStatus

    /// The physical start of the `k`th item written, as a finding location (logic id from its header).
    func location(_ k: Int) -> FindingLocation {
        FindingLocation(items[k].start, logicID: items[k].header?.logicID)
    }
}

/// Writes `items` into a new directory with Pika's exact framing.
/// - Parameters:
///   - start: the producer status to start from; a non-zero offset writes full-sync padding first.
///   - manifestLogicID: overrides the manifest's logic id (a v3.5.0 replica counts its own puts).
func writeBinlog(
    _ items: [OwnedItem], binlogFileSize: UInt64, start: ProducerStatus = ProducerStatus(), mode: HeaderMode,
    manifestLogicID: UInt64? = nil
) throws -> WrittenBinlog {
    let dir = try CheckFixtures.temporaryDirectory() + "/log_db0"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let output = try BinlogDirectoryOutput(directory: dir)
    var writer = try BinlogWriter(
        output: output, binlogFileSize: binlogFileSize, producer: start,
        paddingTime: items.first?.recordTimes.first ?? 0)
    var written: [WrittenItem] = []
    for item in items {
        switch mode {
        case .verbatim:
            written.append(try writer.append(content: item.content, header: item.header, recordTimes: item.recordTimes))
        case .producer:
            written.append(
                try writer.append(content: item.content, execTime: item.header.execTime, recordTimes: item.recordTimes))
        }
    }
    let manifest = try writer.finish(manifestLogicID: manifestLogicID)
    return WrittenBinlog(directory: dir, items: written, manifest: manifest)
}

/// A RESP command as bytes.
func resp(_ args: String...) -> [UInt8] {
    RESP.encode(args.map { Array($0.utf8) })
}

/// A finding reduced to what the tests compare exactly.
struct FindingShape: Equatable, CustomStringConvertible {
    var kind: FindingKind
    var severity: FindingSeverity
    var first: FindingLocation?
    var last: FindingLocation?
    var count: Int
    var related: FindingRange?

    init(
        _ kind: FindingKind, _ severity: FindingSeverity, _ first: FindingLocation?, _ last: FindingLocation?,
        count: Int, related: FindingRange? = nil
    ) {
        self.kind = kind
        self.severity = severity
        self.first = first
        self.last = last
        self.count = count
        self.related = related
    }

    init(_ f: Finding) {
        self.init(f.kind, f.severity, f.first, f.last, count: f.count, related: f.related)
    }

    var description: String {
        "\(severity.rawValue) \(kind.rawValue) \(first.map { "\($0)" } ?? "-")..\(last.map { "\($0)" } ?? "-") x\(count)"
            + (related.map { " related \($0)" } ?? "")
    }
}

/// `filenum:offset id=logicID`.
func loc(_ file: FileNumber, _ offset: UInt64, _ id: UInt64? = nil) -> FindingLocation {
    FindingLocation(fileNumber: file, offset: offset, logicID: id)
}

extension Array where Element == Finding {
    var shapes: [FindingShape] { map(FindingShape.init) }
    /// The findings worse than info.
    var problems: [Finding] { filter { $0.severity > .info } }
}
