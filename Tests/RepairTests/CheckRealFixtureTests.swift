import BinlogFormat
import Repair
import Testing

/// `check` on binlogs written by real Pika servers: the healthy ones come out clean (info only),
/// with exactly the padding, flush, zero-tail and manifest notes their NOTES.md describe.
@Suite struct CheckRealFixtureTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var binlog: String
        var items: Int
        var firstLogicID: UInt64
        var lastLogicID: UInt64
        var testDescription: String { binlog }
    }

    /// Masters with no flush: no finding at all.
    static let silent: [Case] = [
        Case(binlog: "basic/binlog/log_db0", items: 388, firstLogicID: 1, lastLogicID: 388),
        Case(binlog: "minsize/binlog/log_db0", items: 97, firstLogicID: 1, lastLogicID: 97),
        Case(binlog: "bgsave/binlog/log_db0", items: 20234, firstLogicID: 1, lastLogicID: 20234),
        Case(binlog: "v4-basic/binlog/log_db0", items: 342, firstLogicID: 1, lastLogicID: 342),
        Case(binlog: "v4-bgsave/binlog/log_db0", items: 18169, firstLogicID: 1, lastLogicID: 18169),
    ]

    @Test(arguments: silent)
    func healthyMastersHaveNoFinding(_ c: Case) throws {
        let report = try CheckFixtures.check(c.binlog)
        #expect(report.findings.shapes == [])
        #expect(!report.hasProblems)
        #expect(report.summary.items == c.items)
        #expect(report.summary.firstItem?.logicID == c.firstLogicID)
        #expect(report.summary.lastItem?.logicID == c.lastLogicID)
        #expect(report.summary.correctedManifest == nil)
    }

    @Test func v4BasicHasNoMillisecondPksetexat() throws {
        // The v4-basic workload has SETEX and SET EX (pksetexat with seconds, ids 3 and 4) and
        // INCR/APPEND as `pksetexat k 0 v`, but no PSETEX: nothing a replica would reject.
        let report = try CheckFixtures.check("v4-basic/binlog/log_db0")
        #expect(!report.findings.contains { $0.kind == .replicaCannotApply })
    }

    @Test func masterWithFlushesListsThemAsEpochs() throws {
        let report = try CheckFixtures.check("slave/master/binlog/log_db0")
        #expect(
            report.findings.shapes == [
                FindingShape(.flush, .info, loc(11, 55576, 294), loc(11, 55576, 294), count: 1),
                FindingShape(.flush, .info, loc(11, 55809, 297), loc(11, 55809, 297), count: 1),
            ])
        #expect(report.findings[0].message.hasPrefix("FLUSHDB (flush #1)"))
        #expect(report.findings[1].message.hasPrefix("flushdb (flush #2)"))
        #expect(report.summary.flushes == 2)
        #expect(!report.hasProblems)

        let v4 = try CheckFixtures.check("v4-slave/master/binlog/log_db0")
        #expect(
            v4.findings.shapes == [
                FindingShape(.flush, .info, loc(12, 57028, 297), loc(12, 57028, 297), count: 1),
                FindingShape(.flush, .info, loc(12, 57261, 300), loc(12, 57261, 300), count: 1),
            ])
    }

    @Test func v350ReplicaPaddingAndItsOwnManifestCounter() throws {
        let report = try CheckFixtures.check("slave/slave/binlog/log_db0")
        #expect(
            report.findings.shapes == [
                FindingShape(.padding, .info, loc(7, 0), loc(7, 0), count: 1),
                FindingShape(.flush, .info, loc(11, 55576, 294), loc(11, 55576, 294), count: 1),
                FindingShape(.flush, .info, loc(11, 55809, 297), loc(11, 55809, 297), count: 1),
                FindingShape(.manifestLogicID, .info, loc(11, 56052, 300), loc(11, 56052, 300), count: 0),
            ])
        #expect(!report.hasProblems)
        #expect(report.findings[0].byteCount == 1360)
        #expect(report.findings[0].message.contains("full-sync padding 7:0..7:1360"))
        // The manifest says logic_id 100: the replica's own count since the full sync, while its
        // items keep the master's 201..300 (v3.5.0, Docs/Format.md §R2).
        #expect(report.findings[3].message.contains("manifest logic_id 100 counts this node's own writes"))
        #expect(report.summary.firstItem == loc(7, 1360, 201))
        #expect(report.summary.items == 100)
    }

    @Test func v4ReplicaNumbersItsOwnItems() throws {
        let report = try CheckFixtures.check("v4-slave/slave/binlog/log_db0")
        #expect(
            report.findings.shapes == [
                FindingShape(.padding, .info, loc(7, 0), loc(7, 0), count: 1),
                FindingShape(.flush, .info, loc(12, 57028, 136), loc(12, 57028, 136), count: 1),
                FindingShape(.flush, .info, loc(12, 57261, 139), loc(12, 57261, 139), count: 1),
            ])
        #expect(report.findings[0].byteCount == 42674)
        #expect(report.summary.firstItem == loc(7, 42674, 1))
        #expect(report.summary.lastItem == loc(12, 57504, 142))
    }

    @Test func killedMasterHasAZeroTailAndAConsistentManifest() throws {
        let report = try CheckFixtures.check("crash/binlog/log_db0")
        #expect(report.findings.shapes == [FindingShape(.zeroTail, .info, loc(1, 615216), loc(1, 615216), count: 1)])
        #expect(report.findings[0].byteCount == 3_579_088)
        #expect(report.summary.lastItemEnd == ResumePoint(fileNumber: 1, offset: 615216))
        #expect(report.summary.manifest?.producer == ResumePoint(fileNumber: 1, offset: 615216))
        #expect(report.summary.correctedManifest == nil)
        #expect(!report.hasProblems)
    }
}
