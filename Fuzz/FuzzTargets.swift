#if canImport(Glibc)
import Glibc
#endif

// libFuzzer entry point for the BinlogFormat parsers. Compiled by `Fuzz/run.sh` into the same
// module as `Sources/BinlogFormat/*.swift` (so internal helpers are reachable), with
// `-sanitize=fuzzer,address`. Not part of the SwiftPM package.
//
// The first input byte chooses the target (`selector % FuzzTarget.count`); the rest is the input.
// Every target checks properties, not just "does not crash": a violated property traps, and
// libFuzzer saves the input as a crash. Each finding becomes a test in
// `Tests/BinlogFormatTests/FuzzRegressionTests.swift` (see `Docs/Hardening.md`).

/// The targets, by selector value.
enum FuzzTarget: UInt8, CaseIterable {
    /// `BinlogFileDecoder` over the bytes as a whole file from offset 0.
    case decoder = 0
    /// The bytes placed after 15 blocks of valid padding records, so that they cross the decoder's
    /// 1 MiB chunk boundary (offset 1 048 576 is input byte 65 536).
    case decoderAcrossChunk
    /// The bytes as a file decoded from a block-aligned start offset (leading fragments skipped).
    case decoderFromBlock
    /// Several files (split points from the first bytes) through `BinlogStream`, with a start.
    case stream
    /// `RESP.parse`, and encode ∘ parse.
    case resp
    /// Every `ManifestLayout` decode, `ManifestDetection.detect`, and encode ∘ decode.
    case manifest
    /// `BgsaveInfo.decode`, and decode ∘ encode.
    case info
    /// `ConsensusContext.decode`, and encode ∘ decode.
    case context
    /// Decode, re-frame every item's payload with `BinlogWriter`, decode again: the same items.
    case writerRoundTrip

    static let count = UInt8(allCases.count)
}

/// Targets to run (`FUZZ_TARGETS=resp,manifest` in the environment; all when unset). Inputs for
/// the others return at once, so a campaign can spend its time on some targets; the selector
/// byte keeps its meaning, so every campaign shares one corpus.
nonisolated(unsafe) var fuzzEnabled = [Bool](repeating: true, count: FuzzTarget.allCases.count)
/// Inputs run per target, printed at exit (`Docs/Hardening.md` reports them).
nonisolated(unsafe) var fuzzExecutions = [Int](repeating: 0, count: FuzzTarget.allCases.count)

@_cdecl("LLVMFuzzerInitialize")
public func binlogFormatFuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
    if let list = getenv("FUZZ_TARGETS").map({ String(cString: $0) }), !list.isEmpty {
        let names = Set(list.split(separator: ",").map(String.init))
        fuzzEnabled = FuzzTarget.allCases.map { names.contains("\($0)") }
        let unknown = names.subtracting(FuzzTarget.allCases.map { "\($0)" })
        if !unknown.isEmpty { fatalError("FUZZ_TARGETS: unknown \(unknown.sorted()); known: \(FuzzTarget.allCases)") }
    }
    atexit {
        let counts = FuzzTarget.allCases.map { "\($0)=\(fuzzExecutions[Int($0.rawValue)])" }
        fputs("binlogformat-fuzz executions by target: \(counts.joined(separator: " "))\n", stderr)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func binlogFormatFuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let target = FuzzTarget(rawValue: data[0] % FuzzTarget.count)!
    guard fuzzEnabled[Int(target.rawValue)] else { return 0 }
    fuzzExecutions[Int(target.rawValue)] += 1
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch target {
    case .decoder: fuzzDecoder(input, prefix: [], startOffset: 0)
    case .decoderAcrossChunk: fuzzDecoder(input, prefix: fuzzPaddingPrefix, startOffset: 0)
    case .decoderFromBlock: fuzzDecoderFromBlock(input)
    case .stream: fuzzStream(input)
    case .resp: fuzzRESP(input)
    case .manifest: fuzzManifest(input)
    case .info: fuzzInfo(input)
    case .context: fuzzContext(input)
    case .writerRoundTrip: fuzzWriterRoundTrip(input)
    }
    return 0
}

/// A violated property: trap so that libFuzzer records the input.
func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz property violated: \(message())") }
}

// MARK: - Decoder

/// 15 whole blocks, each one kBadRecord record of `*` (what `SetProducerStatus` writes, Docs/Format.md §B10C).
let fuzzPaddingPrefix: [UInt8] = {
    var out: [UInt8] = []
    let block = BinlogConstants.blockSize
    for _ in 0..<15 {
        var h = [UInt8](repeating: 0, count: 8)
        h.withUnsafeMutableBytes {
            RecordHeader(length: block - 8, time: 1_700_000_000, rawType: RecordType.badRecord.rawValue)
                .store(into: $0, at: 0)
        }
        out += h
        out += [UInt8](repeating: UInt8(ascii: "*"), count: block - 8)
    }
    return out
}()

/// One record copied out of the decoder (items keep their payload bytes).
struct FuzzRecord: Equatable {
    enum Kind: Equatable { case item, padding(PaddingRegion.Kind), damage }
    var kind: Kind
    var start: UInt64
    var end: UInt64
    var payload: [UInt8]
}

/// Drains `decoder`, checking every item's borrowed views and the record count bound.
func fuzzDrain(_ decoder: inout BinlogFileDecoder, byteCount: Int, keepPayloads: Bool = false) -> [FuzzRecord] {
    var records: [FuzzRecord] = []
    while true {
        let next: BinlogRecord?
        do {
            next = try decoder.next()
        } catch {
            fatalError("memory source threw \(error)")
        }
        guard let record = next else { break }
        switch record {
        case .item(let item):
            fuzzCheck(item.start.fileNumber == decoder.fileNumber && item.end.fileNumber == decoder.fileNumber, "file number")
            fuzzCheck(item.fragmentCount >= 1 && item.recordTimes.count == item.fragmentCount, "fragment times")
            fuzzCheck(item.firstRecordTime == item.recordTimes.first && item.lastRecordTime == item.recordTimes.last, "times")
            let payload = item.payload
            let command = item.command
            fuzzCheck(command.count >= 1, "item without arguments")
            // Touch every argument byte: ASan catches a view into freed or foreign memory.
            var sum = 0
            for i in 0..<command.count {
                for b in command[i] { sum &+= Int(b) }
            }
            _ = sum
            if item.envelope == .pikaItem {
                fuzzCheck(payload.count == BinlogConstants.itemHeaderSize + Int(item.header.contentLength), "content length")
            }
            // Header bytes plus the payload cannot exceed the record's extent.
            // An item is its fragments back to back: one 8-byte header each plus the payload.
            fuzzCheck(
                item.end.offset - item.start.offset == UInt64(payload.count + 8 * item.fragmentCount),
                "item extent \(item.start)..<\(item.end) is not \(item.fragmentCount) headers + \(payload.count) bytes")
            records.append(
                FuzzRecord(kind: .item, start: item.start.offset, end: item.end.offset, payload: keepPayloads ? Array(payload) : []))
        case .padding(let p):
            records.append(FuzzRecord(kind: .padding(p.kind), start: p.start.offset, end: p.end.offset, payload: []))
        case .damage(let d):
            _ = d.reason
            records.append(FuzzRecord(kind: .damage, start: d.start.offset, end: d.end.offset, payload: []))
        }
        fuzzCheck(records.count <= byteCount + 2, "more records than bytes: the decoder loops")
    }
    return records
}

/// Records in order, non-empty, not overlapping, inside the file; from offset 0, every gap is a
/// zero block trailer (fewer than 8 bytes before a block end).
func fuzzCheckTiling(_ records: [FuzzRecord], file: [UInt8], startOffset: Int) {
    fuzzCheckTiling(records, count: file.count, startOffset: startOffset) { file[$0] }
}

func fuzzCheckTiling(_ records: [FuzzRecord], count: Int, startOffset: Int, byte: (Int) -> UInt8) {
    let block = BinlogConstants.blockSize
    var at = startOffset
    func checkGap(_ from: Int, _ to: Int) {
        var a = from
        while a < to {
            let blockEnd = (a / block + 1) * block
            let b = min(to, blockEnd)
            fuzzCheck(
                b == min(blockEnd, count) && blockEnd - a < 8 && (a..<b).allSatisfy { byte($0) == 0 },
                "undecoded gap \(a)..<\(b) of \(count) bytes")
            a = b
        }
    }
    for (index, r) in records.enumerated() {
        fuzzCheck(r.start < r.end, "empty or reversed record \(r.start)..<\(r.end)")
        fuzzCheck(Int(r.start) >= at, "record \(r.start)..<\(r.end) overlaps or precedes \(at)")
        fuzzCheck(Int(r.end) <= count, "record \(r.start)..<\(r.end) ends past \(count)")
        // From a block start inside the file, leading fragments of an earlier item are skipped
        // without a record; after the first record, the tiling rule holds.
        if startOffset == 0 || index > 0 { checkGap(at, Int(r.start)) }
        at = Int(r.end)
    }
    if startOffset == 0 || !records.isEmpty { checkGap(at, count) }
}

func fuzzDecoder(_ input: [UInt8], prefix: [UInt8], startOffset: Int) {
    let count = prefix.count + input.count
    let byte = { (i: Int) -> UInt8 in i < prefix.count ? prefix[i] : input[i - prefix.count] }
    var decoder = BinlogFileDecoder(source: FuzzPiecesSource([prefix, input]), fileNumber: 7)
    // Payload copies only where they are compared (small inputs).
    let compare = input.count <= 16_384
    let records = fuzzDrain(&decoder, byteCount: count, keepPayloads: compare)
    fuzzCheckTiling(records, count: count, startOffset: 0, byte: byte)
    fuzzCheck(decoder.bytesConsumed == UInt64(count), "bytesConsumed \(decoder.bytesConsumed) of \(count)")
    if !prefix.isEmpty {
        // The prefix is 15 padding records and nothing else.
        let head = records.prefix { $0.end <= UInt64(prefix.count) }
        fuzzCheck(head.count == 15 && head.allSatisfy { $0.kind == .padding(.badRecord) }, "prefix not decoded as padding")
    } else if compare {
        // A source that hands out the bytes in small pieces gives the same records.
        let step = 1 + Int(input.first ?? 0) % 97
        var trickled = BinlogFileDecoder(source: FuzzTrickleSource(input, step: step), fileNumber: 7)
        fuzzCheck(fuzzDrain(&trickled, byteCount: count, keepPayloads: true) == records, "records depend on read sizes")
    }
}

/// Several byte arrays read as one stream, without joining them.
final class FuzzPiecesSource: ByteSource {
    let pieces: [[UInt8]]
    var piece = 0
    var position = 0

    init(_ pieces: [[UInt8]]) { self.pieces = pieces }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(BinlogIOError) -> Int {
        var written = 0
        while written < buffer.count && piece < pieces.count {
            let n = min(buffer.count - written, pieces[piece].count - position)
            if n > 0 {
                pieces[piece].withUnsafeBytes { src in
                    (buffer.baseAddress! + written).copyMemory(from: src.baseAddress! + position, byteCount: n)
                }
            }
            written += n
            position += n
            if position == pieces[piece].count {
                piece += 1
                position = 0
            }
        }
        return written
    }
}

func fuzzDecoderFromBlock(_ input: [UInt8]) {
    guard let selector = input.first else { return }
    let file = Array(input.dropFirst())
    let block = BinlogConstants.blockSize
    let blocks = file.count / block
    guard blocks > 0 else {
        fuzzDecoder(file, prefix: [], startOffset: 0)
        return
    }
    let start = (1 + Int(selector) % blocks) * block
    var decoder = BinlogFileDecoder(source: MemorySource(Array(file[start...])), fileNumber: 2, startOffset: UInt64(start))
    let records = fuzzDrain(&decoder, byteCount: file.count - start)
    fuzzCheckTiling(records, file: file, startOffset: start)
}

/// Hands out at most `step` bytes per read.
final class FuzzTrickleSource: ByteSource {
    let bytes: [UInt8]
    let step: Int
    var position = 0

    init(_ bytes: [UInt8], step: Int) {
        self.bytes = bytes
        self.step = step
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(BinlogIOError) -> Int {
        let n = min(buffer.count, bytes.count - position, step)
        if n > 0 {
            bytes.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n)
            }
        }
        position += n
        return n
    }
}
