import BinlogFormat
import Foundation
import Testing

/// `BinlogStream(files:start:jobs:)` with `jobs > 1` decodes files on worker threads; the records
/// it hands out must be those of one decoder, in the same order, with the same bytes.
@Suite struct DecodeAheadTests {
    /// A record with its borrowed bytes copied, comparable.
    struct Owned: Equatable {
        var kind: String
        var start: PhysicalPosition
        var end: PhysicalPosition
        var payload: [UInt8] = []
        var arguments: [[UInt8]] = []
        var times: [UInt32] = []
        var header: ItemHeader? = nil
        var envelope: ItemEnvelope? = nil
        var fragments = 0

        init(_ record: BinlogRecord) {
            start = record.start
            end = record.end
            switch record {
            case .item(let item):
                kind = "item"
                payload = Array(item.payload)
                arguments = (0..<item.command.count).map { Array(item.command[$0]) }
                times = Array(item.recordTimes)
                header = item.header
                envelope = item.envelope
                fragments = item.fragmentCount
            case .padding(let p): kind = "padding \(p.kind)"
            case .damage(let d): kind = "damage \(d)"
            }
        }
    }

    static func files(_ paths: [(UInt32, String)]) -> [BinlogStream.File] {
        paths.map { number, path in
            BinlogStream.File(fileNumber: number) { () throws(BinlogIOError) -> any ByteSource in
                path.hasSuffix(".lz4") ? try LZ4FileSource(path: path) : try FileSource(path: path)
            }
        }
    }

    /// With `decodeWorkers`, `BinlogStream(files:start:decodeWorkers:)` (one worker is not
    /// `jobs: 1`, which decodes on the caller's thread).
    static func decode(
        _ files: [BinlogStream.File], start: PhysicalPosition? = nil, jobs: Int = 1, decodeWorkers: Int? = nil
    ) throws -> (records: [Owned], trailers: Int, trailerBytes: UInt64, bytes: UInt64) {
        var stream =
            decodeWorkers.map { BinlogStream(files: files, start: start, decodeWorkers: $0) }
            ?? BinlogStream(files: files, start: start, jobs: jobs)
        var records: [Owned] = []
        while let r = try stream.next() { records.append(Owned(r)) }
        return (records, stream.trailerCount, stream.trailerByteCount, stream.bytesConsumed)
    }

    @Test(arguments: ["basic/binlog/log_db0", "minsize/binlog/log_db0", "bgsave/binlog/log_db0", "v4-bgsave/binlog/log_db0"])
    func sameRecordsAsOneDecoder(_ dir: String) throws {
        let paths = RealFixtures.binlogFiles(dir)
        #expect(paths.count >= 5, "\(dir): several files")
        let one = try Self.decode(Self.files(paths), jobs: 1)
        #expect(one.records.contains { $0.kind == "item" })
        for jobs in [2, 3, 8] {
            let many = try Self.decode(Self.files(paths), jobs: jobs)
            #expect(many.records.count == one.records.count)
            #expect(many.records == one.records, "\(dir) jobs \(jobs)")
            #expect(many.trailers == one.trailers)
            #expect(many.trailerBytes == one.trailerBytes)
            #expect(many.bytes == one.bytes)
        }
        let single = try Self.decode(Self.files(paths), decodeWorkers: 1)
        #expect(single.records == one.records, "\(dir) one decoding worker")
        #expect(single.trailers == one.trailers && single.trailerBytes == one.trailerBytes && single.bytes == one.bytes)
    }

    /// A start position in the middle of the third file: the same block-aligned start and the
    /// same later files.
    @Test func sameRecordsFromAStartPosition() throws {
        let paths = RealFixtures.binlogFiles("bgsave/binlog/log_db0")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: paths[2].1)[.size] as? Int)
        #expect(size > 2 * 65536, "write2file\(paths[2].0) spans blocks")
        let start = PhysicalPosition(fileNumber: paths[2].0, offset: UInt64(size / 2))
        let one = try Self.decode(Self.files(paths), start: start, jobs: 1)
        let many = try Self.decode(Self.files(paths), start: start, jobs: 2)
        #expect(one.records.first?.start.fileNumber == paths[2].0)
        #expect(one.records.first.map { $0.start.offset >= UInt64(size / 2 - size / 2 % 65536) } == true)
        #expect(many.records == one.records)
        #expect(try Self.decode(Self.files(paths), start: start, decodeWorkers: 1).records == one.records)
    }

    /// A file that cannot be opened: the records of the files before it, then the same error.
    @Test func ioErrorAfterTheSameRecords() throws {
        var paths = RealFixtures.binlogFiles("basic/binlog/log_db0")
        paths[3].1 = "/nonexistent/write2file\(paths[3].0)"
        func collect(jobs: Int) -> ([Owned], BinlogIOError?) {
            var stream = BinlogStream(files: Self.files(paths), jobs: jobs)
            var records: [Owned] = []
            do {
                while let r = try stream.next() { records.append(Owned(r)) }
            } catch {
                return (records, error)
            }
            return (records, nil)
        }
        let one = collect(jobs: 1)
        let many = collect(jobs: 2)
        #expect(one.1 != nil)
        #expect(one.1?.path == "/nonexistent/write2file\(paths[3].0)")
        #expect(many.1 == one.1)
        #expect(many.0 == one.0)
    }

    /// A consumer that stops early releases the stream: the workers end (the test would hang).
    @Test func stoppingEarlyEndsTheWorkers() throws {
        let paths = RealFixtures.binlogFiles("minsize/binlog/log_db0")
        for _ in 0..<20 {
            var stream = BinlogStream(files: Self.files(paths), jobs: 3)
            let first = try #require(try stream.next())
            #expect(first.start == PhysicalPosition(fileNumber: paths[0].0, offset: 0))
        }
    }
}
