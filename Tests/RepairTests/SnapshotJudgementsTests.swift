import Testing

@testable import Repair

/// `Judgements`: the verifier's per-item decisions with their evidence texts kept in shared
/// UTF-8 chunks, set in the order the chains are decided rather than item order.
@Suite struct SnapshotJudgementsTests {
    @Test func textsComeBackExactlyWhateverTheOrderAndTheChunks() {
        // Chunks of 16 bytes: a text that does not fit in the last chunk starts a new one.
        var judgements = Judgements(count: 6, chunkSize: 16)
        #expect(judgements.count == 6)
        #expect(!judgements.isSet(3))
        #expect(judgements.evidence(3) == "")
        #expect(judgements.decisions == Array(repeating: .undecidable, count: 6))

        judgements.set(4, ItemJudgement(decision: .notApplied, evidence: "k: found \"v\""))  // 12 bytes
        judgements.set(0, ItemJudgement(decision: .applied, evidence: "déjà"))  // 6 bytes: a new chunk
        judgements.set(2, ItemJudgement(decision: .undecidable, evidence: "a 20-byte text ....."))
        judgements.set(5, ItemJudgement(decision: .applied, evidence: ""))
        judgements.set(1, ItemJudgement(decision: .notApplied, evidence: "k2"))

        #expect(judgements.decisions == [.applied, .notApplied, .undecidable, .undecidable, .notApplied, .applied])
        #expect(judgements.evidence(4) == "k: found \"v\"")
        #expect(judgements.evidence(0) == "déjà")
        #expect(judgements.evidence(2) == "a 20-byte text .....")
        #expect(judgements.evidence(5) == "")
        #expect(judgements.evidence(1) == "k2")
        #expect(judgements[0].decision == .applied && judgements[0].evidence == "déjà")
        #expect((0..<6).map(judgements.isSet) == [true, true, true, false, true, true])
        // Chunks: 12 bytes | 6 | 20 (longer than a chunk: its own) | "" and "k2" (the third is full).
        #expect(judgements.chunkCount == 4)
    }

    /// An item no report lists keeps its decision only, and the store says so.
    @Test func aDecisionWithoutItsEvidence() {
        var judgements = Judgements(count: 3)
        judgements.set(0, ItemJudgement(decision: .notApplied, evidence: "k: expected \"2\""))
        #expect(!judgements.droppedEvidence)
        judgements.set(1, .applied)
        #expect(judgements.droppedEvidence)
        #expect(judgements.decisions == [.notApplied, .applied, .undecidable])
        #expect(judgements.isSet(1) && !judgements.hasEvidence(1))
        #expect(judgements.isSet(0) && judgements.hasEvidence(0))
        #expect(!judgements.isSet(2) && !judgements.hasEvidence(2))
        #expect(judgements.evidence(1) == "")
        #expect(judgements.evidence(0) == "k: expected \"2\"")
        #expect(judgements.chunkCount == 1)
    }

    @Test func settingAgainReplacesTheJudgement() {
        var judgements = Judgements(count: 1)
        judgements.set(0, ItemJudgement(decision: .applied, evidence: "first"))
        judgements.set(0, ItemJudgement(decision: .notApplied, evidence: "second"))
        #expect(judgements[0].decision == .notApplied)
        #expect(judgements[0].evidence == "second")
        #expect(judgements.chunkCount == 1)
    }
}
