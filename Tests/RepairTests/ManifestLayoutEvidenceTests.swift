import BinlogFormat
import Foundation
@testable import PikaStorage
@testable import Repair
import Testing

/// The manifest layout when the file numbers cannot tell (issue 12.5).
@Suite struct ManifestLayoutEvidenceTests {
    /// The real bgsave manifest (v3.3 layout: 11:229610 logic_id 20234 term 0) beside its
    /// write2file0 alone: term 0 equals the highest file number 0, as v2's file number would, but
    /// bytes 12–19 hold a logic id, which v2 never writes. Read as v3, nothing is made up.
    @Test func termZeroBesideWriteToFileZeroAloneIsNotV2() throws {
        let dir = try CheckFixtures.temporaryDirectory() + "/log_db0"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for name in ["manifest", "write2file0"] {
            try FileManager.default.copyItem(atPath: CheckFixtures.path("bgsave/binlog/log_db0/" + name), toPath: dir + "/" + name)
        }
        let directory = try BinlogDirectory(path: dir)
        let manifest = try #require(directory.manifest)
        #expect(manifest.detection.layout == .v3_3)
        #expect(manifest.detection.isConfident)
        #expect(manifest.manifest.producer == ResumePoint(fileNumber: 11, offset: 229610))
        #expect(manifest.manifest.logicID == 20234)
        let report = try CheckFixtures.check(directory: dir)
        #expect(report.summary.correctedManifest == nil)
        #expect(report.findings.map(\.kind) == [.manifestFileMissing])
        #expect(!report.findings.contains { $0.message.contains("0:986167440834571") })
    }

    /// Bytes both layouts read differently with nothing to tell them apart: reported as a guess,
    /// and no manifest finding or corrected value is built on it.
    @Test func anAmbiguousLayoutIsReportedAndNothingIsBuiltOnIt() throws {
        let dir = try CheckFixtures.copy("basic/binlog/log_db0")
        // v3 reading: write2file6 at offset 0, logic id 0, term 6; v2 reading: offset 6 in write2file6.
        var bytes = [UInt8](repeating: 0, count: Manifest.byteCount)
        bytes[0] = 6
        bytes[20] = 6
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/manifest"))
        let report = try CheckFixtures.check(directory: dir)
        #expect(report.findings.map(\.kind) == [.manifestLayout])
        #expect(report.findings[0].message.contains("not compared with the items nor corrected"))
        #expect(report.summary.correctedManifest == nil)
    }
}
