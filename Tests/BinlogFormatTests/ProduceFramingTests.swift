import BinlogFormat
import Testing

/// Pika's `Produce` framing (Docs/Format.md §B4), as ``ProduceFraming`` states it once for the
/// writer and the analysis.
@Suite struct ProduceFramingTests {
    typealias F = ProduceFraming.Fragment

    static func fragments(at blockOffset: Int, _ length: Int) -> ([F], next: Int) {
        var framing = ProduceFraming(blockOffset: blockOffset, payloadLength: length)
        var out: [F] = []
        while let f = framing.next() { out.append(f) }
        return (out, framing.blockOffset)
    }

    @Test func recordsTrailersAndTypes() {
        let room = BinlogConstants.maxRecordPayload  // 65 528
        // One record.
        #expect(Self.fragments(at: 0, 100) == ([F(trailerBytes: 0, length: 100, type: .full)], 108))
        #expect(Self.fragments(at: 0, room) == ([F(trailerBytes: 0, length: room, type: .full)], 65_536))
        // One byte more: First + Last.
        #expect(
            Self.fragments(at: 0, room + 1)
                == ([F(trailerBytes: 0, length: room, type: .first), F(trailerBytes: 0, length: 1, type: .last)], 9))
        #expect(Self.fragments(at: 0, 2 * room + 1).0.map(\.type) == [.first, .middle, .last])
        // 6 bytes left: a zero trailer, then the record opens the next block.
        #expect(Self.fragments(at: 65_530, 100) == ([F(trailerBytes: 6, length: 100, type: .full)], 108))
        // Exactly 8 bytes left: a zero-length First fills them.
        #expect(
            Self.fragments(at: 65_528, 100)
                == ([F(trailerBytes: 0, length: 0, type: .first), F(trailerBytes: 0, length: 100, type: .last)], 108))
        // The block exactly full: no trailer, the next block.
        #expect(Self.fragments(at: 65_536, 100) == ([F(trailerBytes: 0, length: 100, type: .full)], 108))
        // An empty item (failed SETNX, v3.3.0–v3.3.5) is one empty Full record.
        #expect(Self.fragments(at: 40, 0) == ([F(trailerBytes: 0, length: 0, type: .full)], 48))
    }

    @Test func producerOffsetAfterAnItem() {
        #expect(ProduceFraming.end(from: 7 * 65_536 + 100, payloadLength: 200) == 7 * 65_536 + 308)
        #expect(ProduceFraming.end(from: 65_530, payloadLength: 100) == 65_536 + 108)
        #expect(ProduceFraming.end(from: 65_528, payloadLength: 100) == 65_536 + 108)
        #expect(ProduceFraming.end(from: 0, payloadLength: 65_529) == 65_536 + 9)
        #expect(ProduceFraming.end(from: 65_536, payloadLength: 0) == 65_544)
    }
}
