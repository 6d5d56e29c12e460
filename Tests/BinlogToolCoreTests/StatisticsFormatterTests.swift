import BinlogFormat
import BinlogToolCore
import Foundation
import Repair
import Testing

/// `dump --stats` (``StatisticsFormatter``) over the real v3.5.0 `basic` log, in process.
@Suite struct StatisticsFormatterTests {
    static func statistics(_ input: BinlogInput) throws -> (BinlogStatistics, trailers: Int) {
        var stream = BinlogStream(files: input.streamFiles)
        var statistics = BinlogStatistics()
        while let record = try stream.next() {
            switch consume record {
            case .item(let item): statistics.add(item)
            case let other: statistics.add(other)
            }
        }
        return (statistics, stream.trailerCount)
    }

    @Test func jsonCountsTheLogAndComparesTheManifest() throws {
        let input = try Core.input("basic/binlog")
        let (s, trailers) = try Self.statistics(input)
        let json = try Core.written { out in
            StatisticsFormatter(format: .json, out: out).write(s, trailers: trailers, input: input, comparesManifest: true)
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["items"] as? Int == 388)
        #expect(object["first_logic_id"] as? Int == 1)
        #expect(object["last_logic_id"] as? Int == 388)
        #expect((object["commands"] as? [String: Int])?["set"] == 170)
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.map { $0["filenum"] as? Int } == [0, 1, 2, 3, 4, 5, 6])
        #expect(files.last?["end"] as? Int == 70544)
        let manifest = try #require(object["manifest"] as? [String: Any])
        #expect(manifest["filenum"] as? Int == 6 && manifest["offset"] as? Int == 70544 && manifest["logic_id"] as? Int == 388)
        #expect(manifest["agreement"] as? String == "consistent")
        #expect(json.hasSuffix("}\n") && json.split(separator: "\n").count == 1)
    }

    @Test func textNamesTheManifestComparisonOrWhyNot() throws {
        let input = try Core.input("basic/binlog")
        let (s, trailers) = try Self.statistics(input)
        let compared = try Core.written { out in
            StatisticsFormatter(format: .text, out: out).write(s, trailers: trailers, input: input, comparesManifest: true)
        }
        let lines = compared.split(separator: "\n")
        #expect(lines.first == "items            388 (\(s.itemBytes) bytes, \(s.fragments) physical records)")
        #expect(lines.contains("logic ids        1 .. 388"))
        #expect(lines.contains("manifest         6:70544 logic_id 388 term 0: consistent"))
        let filtered = try Core.written { out in
            StatisticsFormatter(format: .text, out: out).write(s, trailers: trailers, input: input, comparesManifest: false)
        }
        #expect(
            filtered.split(separator: "\n").contains(
                "manifest         6:70544 logic_id 388 term 0: not compared (a filter selects the items; check compares the whole binlog)"))
    }
}
