/// The decisions on a run of items and their evidence, set in any order (a key's chain is
/// decided when its last item has been seen).
///
/// The evidence texts are kept as UTF-8 in chunks of about `chunkSize` bytes rather than one
/// `String` each: a 100 000-item window holds 100 000 texts until the report picks the ones it
/// shows, and one allocation per text cost more than the text.
struct Judgements {
    /// Where one item's evidence is: `chunk` −1 while the item has no judgement, −2 when only
    /// its decision was kept.
    private struct Span {
        var chunk: Int32
        var start: UInt32
        var count: UInt32
    }

    private(set) var decisions: [EffectDecision]
    private var spans: [Span]
    private var chunks: [[UInt8]] = []
    private let chunkSize: Int

    init(count: Int, chunkSize: Int = 1 << 20) {
        decisions = Array(repeating: .undecidable, count: count)
        spans = Array(repeating: Span(chunk: -1, start: 0, count: 0), count: count)
        self.chunkSize = max(1, chunkSize)
    }

    var count: Int { decisions.count }

    /// Chunks of evidence held (a text never spans two).
    var chunkCount: Int { chunks.count }

    /// Whether item `index` has its judgement.
    func isSet(_ index: Int) -> Bool { spans[index].chunk != -1 }

    /// Whether item `index`'s evidence was kept.
    func hasEvidence(_ index: Int) -> Bool { spans[index].chunk >= 0 }

    /// Whether some item has its decision without its evidence.
    private(set) var droppedEvidence = false

    /// Sets item `index`'s decision without keeping its evidence (an item no report lists).
    mutating func set(_ index: Int, _ decision: EffectDecision) {
        decisions[index] = decision
        spans[index] = Span(chunk: -2, start: 0, count: 0)
        droppedEvidence = true
    }

    mutating func set(_ index: Int, _ judgement: ItemJudgement) {
        decisions[index] = judgement.decision
        var text = judgement.evidence
        text.withUTF8 { bytes in
            if chunks.isEmpty || (chunks[chunks.count - 1].count + bytes.count > chunkSize && !chunks[chunks.count - 1].isEmpty) {
                var chunk: [UInt8] = []
                chunk.reserveCapacity(max(chunkSize, bytes.count))
                chunks.append(chunk)
            }
            let last = chunks.count - 1
            spans[index] = Span(chunk: Int32(last), start: UInt32(chunks[last].count), count: UInt32(bytes.count))
            chunks[last].append(contentsOf: bytes)
        }
    }

    /// Item `index`'s evidence (empty while it has none, or when it was not kept).
    func evidence(_ index: Int) -> String {
        let span = spans[index]
        guard span.chunk >= 0 else { return "" }
        let start = Int(span.start)
        return String(decoding: chunks[Int(span.chunk)][start..<start + Int(span.count)], as: UTF8.self)
    }

    subscript(index: Int) -> ItemJudgement {
        ItemJudgement(decision: decisions[index], evidence: evidence(index))
    }
}
