import BinlogFormat
import Foundation
import Repair
import Testing

extension DiffTests {
    // MARK: - TTL drift

    /// An item's RESP content with one argument's text replaced by another of the same length (so
    /// the replica keeps the master's layout).
    static func edited(_ item: OwnedItem, _ old: String, _ new: String) throws -> OwnedItem {
        precondition(old.utf8.count == new.utf8.count)
        let text = String(decoding: item.content, as: UTF8.self)
        let range = try #require(text.range(of: old), "\(old) not in \(text)")
        var copy = item
        copy.content = Array(text.replacingCharacters(in: range, with: new).utf8)
        return copy
    }

    @Test func expiryWritesWithOtherTimesAreTTLDrift() throws {
        // The replica set inc:str:ttl 3 s later (pksetexat, 203) and inc:h 60 s later (expireat, 259).
        var items = slave.items
        let a = try slave.index(of: 203)
        let b = try slave.index(of: 259)
        items[a] = try Self.edited(items[a], "1795222461", "1795222464")
        items[b] = try Self.edited(items[b], "1795224861", "1795224921")
        let report = try BinlogDiff.diff(master: master, replica: try replica(items))
        let at202 = FindingLocation(slave.items[a - 1].start, logicID: 202)
        #expect(
            report.findings.shapes == [
                Self.replicaStart, Self.prefix(through: at202, count: 2),
                FindingShape(.ttlDrift, .error, loc(7, 1558, 203), loc(7, 1558, 203), count: 1, related: FindingRange(loc(7, 1558, 203))),
                FindingShape(.ttlDrift, .error, loc(7, 6370, 259), loc(7, 6370, 259), count: 1, related: FindingRange(loc(7, 6370, 259))),
            ])
        #expect(
            report.findings[2].message
                == "1 expiry write set another expiry time on the replica than on the master (first: pksetexat "
                + "inc:str:ttl: master 2026-11-21T00:54:21Z at 7:1558 id=203, replica 2026-11-21T00:54:24Z at 7:1558 id=203, "
                + "3 s later): TTL drift, the keys expire at other times on the two sides")
        #expect(report.findings[3].message.contains("expireat inc:h: master 2026-11-21T01:34:21Z at 7:6370 id=259"))
        #expect(report.findings[3].message.contains("60 s later"))
        let s = report.summary
        #expect((s.common, s.ttlDrift, s.missing, s.extra, s.reordered, s.unapplied) == (98, 2, 0, 0, 0, 0))
        // Where replaying the master's binlog makes the replica right again: the first drift.
        #expect(s.divergenceItem == loc(7, 1558, 203))
        #expect(s.divergence == slave.items[a].header.stored)
    }

    /// A crafted pair: the replica logs relative forms at the same times (common), and one write with
    /// a time 2 s earlier and one without the expiry the master set (drift, one run of two).
    @Test func relativeFormsAtTheSameTimeAreCommon() throws {
        let exec: UInt32 = 1_795_000_000
        func item(_ args: String...) -> OwnedItem {
            OwnedItem(
                start: PhysicalPosition(fileNumber: 0, offset: 0), end: PhysicalPosition(fileNumber: 0, offset: 0),
                header: ItemHeader(
                    execTime: exec, termOrServerID: 0, logicID: 0, stored: ResumePoint(fileNumber: 0, offset: 0),
                    contentLength: 0),
                content: RESP.encode(args.map { Array($0.utf8) }), recordTimes: [exec])
        }
        let masterItems = [
            item("set", "a", "1"), item("expireat", "a", "1795000100"), item("pksetexat", "b", "1795000200", "v"),
            item("pexpireat", "c", "1795000300500"), item("pksetexat", "d", "1795000400", "w"),
            item("pksetexat", "e", "1795000500", "x"), item("set", "z", "1"),
        ]
        let replicaItems = [
            item("set", "a", "1"), item("EXPIRE", "a", "100"), item("setex", "b", "200", "v"),
            item("pexpire", "c", "300500"), item("pksetexat", "d", "1795000398", "w"),
            item("pksetexat", "e", "0", "x"), item("set", "z", "1"),
        ]
        let m = try writeBinlog(masterItems, binlogFileSize: 1 << 20, mode: .producer)
        let r = try writeBinlog(replicaItems, binlogFileSize: 1 << 20, mode: .producer)
        defer {
            try? FileManager.default.removeItem(atPath: m.directory)
            try? FileManager.default.removeItem(atPath: r.directory)
        }
        let report = try BinlogDiff.diff(
            master: try BinlogDirectory(path: m.directory), replica: try BinlogDirectory(path: r.directory))
        let drift = report.findings.filter { $0.kind == .ttlDrift }
        #expect(drift.count == 1)
        #expect(drift.first?.count == 2)
        #expect(drift.first?.first == r.location(4))
        #expect(drift.first?.last == r.location(5))
        #expect(drift.first?.message.contains("pksetexat d: master 2026-11-18T11:13:20Z") == true)
        #expect(drift.first?.message.contains("replica 2026-11-18T11:13:18Z") == true)
        #expect(drift.first?.message.contains("2 s earlier") == true)
        // The relative forms are shorter, so the stored positions after them differ (a true warning).
        #expect(
            report.findings.allSatisfy { [.commonPrefix, .positionMismatch, .ttlDrift].contains($0.kind) },
            "\(report.findings.map(\.description))")
        #expect(report.findings.first { $0.kind == .commonPrefix }?.count == 4)
        #expect((report.summary.common, report.summary.ttlDrift) == (5, 2))
    }

    /// Expiry arguments that are not times (not numbers, beyond Int64, overflowing once placed at
    /// the exec time) are no TTL drift: those items differ as any two writes do.
    @Test func expiryArgumentsThatAreNotTimesAreNoDrift() throws {
        let exec: UInt32 = 1_795_000_000
        func item(_ args: String...) -> OwnedItem {
            OwnedItem(
                start: PhysicalPosition(fileNumber: 0, offset: 0), end: PhysicalPosition(fileNumber: 0, offset: 0),
                header: ItemHeader(
                    execTime: exec, termOrServerID: 0, logicID: 0, stored: ResumePoint(fileNumber: 0, offset: 0),
                    contentLength: 0),
                content: RESP.encode(args.map { Array($0.utf8) }), recordTimes: [exec])
        }
        let masterItems = [
            item("set", "a", "1"), item("expireat", "a", "soon"), item("expire", "b", "99999999999999999999"),
            item("pexpire", "c", "9223372036854775807"), item("set", "z", "1"),
        ]
        let replicaItems = [
            item("set", "a", "1"), item("expireat", "a", "later"), item("expire", "b", "99999999999999999998"),
            item("pexpire", "c", "9223372036854775806"), item("set", "z", "1"),
        ]
        let m = try writeBinlog(masterItems, binlogFileSize: 1 << 20, mode: .producer)
        let r = try writeBinlog(replicaItems, binlogFileSize: 1 << 20, mode: .producer)
        defer {
            try? FileManager.default.removeItem(atPath: m.directory)
            try? FileManager.default.removeItem(atPath: r.directory)
        }
        let report = try BinlogDiff.diff(
            master: try BinlogDirectory(path: m.directory), replica: try BinlogDirectory(path: r.directory))
        #expect(!report.findings.contains { $0.kind == .ttlDrift })
        let s = report.summary
        #expect((s.ttlDrift, s.missing, s.extra, s.common) == (0, 3, 3, 2))
        #expect(s.divergenceItem == m.location(1))
    }

    @Test func replicaThatStoppedLagging() throws {
        let items = Array(slave.items[...(try slave.index(of: 260))])
        let report = try BinlogDiff.diff(master: master, replica: try replica(items))
        #expect(
            report.findings.shapes.last
                == FindingShape(
                    .replicaStopped, .warning, loc(7, 6546, 261), loc(11, 56052, 300), count: 40,
                    related: FindingRange(loc(7, 6458, 260))))
    }

    @Test func replicaStuckOnAnItemItRejects() throws {
        // A v4.0.1 master logged PSETEX as pksetexat with milliseconds (item 100); its replica
        // (numbering its own items) has everything before it and nothing after.
        let v4 = try OwnedBinlog("v4-basic/binlog/log_db0")
        var items = v4.items
        let i = try v4.index(of: 100)
        items[i].content = resp("pksetexat", "psx", "1795220800123", "v")
        let size = try CheckFixtures.binlogFileSize("v4-basic")
        let m = try writeBinlog(items, binlogFileSize: size, mode: .producer)
        let r = try writeBinlog(Array(items[..<i]), binlogFileSize: size, mode: .producer)
        let report = try BinlogDiff.diff(
            master: try BinlogDirectory(path: m.directory), replica: try BinlogDirectory(path: r.directory))
        #expect(
            report.findings.shapes == [
                FindingShape(
                    .commonPrefix, .info, loc(0, 0, 1), loc(3, 19426, 99), count: 99,
                    related: FindingRange(first: loc(0, 0, 1), last: loc(3, 19426, 99))),
                FindingShape(
                    .replicaStopped, .error, loc(3, 22503, 100), loc(6, 54357, 342), count: 243,
                    related: FindingRange(loc(3, 19426, 99))),
            ])
        #expect(report.findings[1].rule == "pksetexat-milliseconds")
        #expect(
            report.findings[1].message.contains("the first master item it never applied is pksetexat at 3:22503 id=100")
        )
    }

    @Test func v4ReplicaMissingItemsAlsoLosesTheSharedLayout() throws {
        // A v4.0.1 replica writes its own positions: without 3 items, its later items sit
        // elsewhere than the master's, which breaks Pika's offset-based acks.
        let v4 = try OwnedBinlog("v4-slave/slave/binlog/log_db0")
        var items = v4.items
        let i = try v4.index(of: 10)
        items.removeSubrange(i..<(i + 3))
        let w = try writeBinlog(
            items, binlogFileSize: try CheckFixtures.binlogFileSize("v4-slave/slave"),
            start: ProducerStatus(fileNumber: 7, offset: 42674), mode: .producer)
        let report = try BinlogDiff.diff(
            master: try CheckFixtures.directory("v4-slave/master/binlog/log_db0"),
            replica: try BinlogDirectory(path: w.directory))
        #expect(
            report.findings.shapes.filter { $0.severity > .info } == [
                FindingShape(
                    .positionMismatch, .warning, loc(7, 43532, 10), loc(8, 0, 73), count: 64,
                    related: FindingRange(first: loc(7, 43770, 174), last: loc(8, 0, 237))),
                FindingShape(
                    .missing, .error, loc(7, 43532, 171), loc(7, 43679, 173), count: 3,
                    related: FindingRange(loc(7, 43443, 9))),
            ])
    }

    @Test func nothingInCommon() throws {
        let other = try OwnedBinlog("minsize/binlog/log_db0")
        let w = try writeBinlog(other.items, binlogFileSize: 1 << 20, mode: .producer)
        let report = try BinlogDiff.diff(master: master, replica: try BinlogDirectory(path: w.directory))
        #expect(report.findings.shapes.map(\.kind) == [.noCommonItems])
        #expect(report.summary.alignment == .none)
        #expect(report.hasProblems)
    }
}
