#if canImport(Glibc)
import Glibc
#endif

// MARK: - Stream

func fuzzStream(_ input: [UInt8]) {
    guard input.count >= 4 else { return }
    // Up to three files: split points from bytes 0–1, start file and offset from bytes 2–3.
    let body = Array(input.dropFirst(4))
    let a = body.isEmpty ? 0 : Int(input[0]) * 1031 % (body.count + 1)
    let b = body.isEmpty ? 0 : max(a, Int(input[1]) * 1283 % (body.count + 1))
    let parts = [Array(body[0..<a]), Array(body[a..<b]), Array(body[b...])]
    let files = parts.enumerated().map { index, bytes in
        BinlogStream.File(fileNumber: FileNumber(10 + index)) { () throws(BinlogIOError) -> any ByteSource in
            MemorySource(bytes)
        }
    }
    let startFile = FileNumber(10 + Int(input[2]) % 4)
    let startFileSize = Int(startFile) - 10 < parts.count ? parts[Int(startFile) - 10].count : 0
    let start = PhysicalPosition(fileNumber: startFile, offset: UInt64(Int(input[3]) * 977 % (startFileSize + 1)))
    var stream = BinlogStream(files: files, start: input[2] & 0x80 == 0 ? start : nil)
    var previous: PhysicalPosition? = nil
    var count = 0
    while true {
        let next: BinlogRecord?
        do {
            next = try stream.next()
        } catch {
            fatalError("memory source threw \(error)")
        }
        guard let r = next else { break }
        fuzzCheck(r.start < r.end, "empty record \(r.start)..<\(r.end)")
        if let p = previous { fuzzCheck(r.start >= p, "record \(r.start) before the previous end \(p)") }
        let size = parts[Int(r.start.fileNumber) - 10].count
        fuzzCheck(r.end.fileNumber == r.start.fileNumber && r.end.offset <= UInt64(size), "record past its file")
        previous = r.end
        count += 1
        fuzzCheck(count <= body.count + 6, "stream loops")
    }
    fuzzCheck(stream.bytesConsumed <= UInt64(body.count), "bytesConsumed \(stream.bytesConsumed) of \(body.count)")
}

// MARK: - RESP

func fuzzRESP(_ input: [UInt8]) {
    var arguments = ArgumentBuffer(capacity: 4)
    let parsed: [[UInt8]]? = input.withUnsafeBytes { b in
        do {
            try RESP.parse(b, into: &arguments)
        } catch {
            _ = "\(error)"
            return nil
        }
        // Every range lies inside the bytes (the subscript would trap otherwise).
        return RESPCommand(bytes: b, ranges: arguments.view).ownedArguments()
    }
    guard let argv = parsed else { return }
    fuzzCheck(!argv.isEmpty, "parsed an empty command")
    // What parses re-encodes to bytes that parse to the same arguments.
    let encoded = RESP.encode(argv)
    var again = ArgumentBuffer(capacity: 4)
    let reparsed: [[UInt8]]? = encoded.withUnsafeBytes { b in
        do {
            try RESP.parse(b, into: &again)
            return RESPCommand(bytes: b, ranges: again.view).ownedArguments()
        } catch {
            return nil
        }
    }
    fuzzCheck(reparsed == argv, "RESP encode ∘ parse differs")
    fuzzCheck(encoded.count <= input.count, "canonical encoding longer than the input")
}

// MARK: - Metadata files

func fuzzManifest(_ input: [UInt8]) {
    for layout in ManifestLayout.allCases {
        guard let m = Manifest.decode(input, layout: layout) else {
            fuzzCheck(input.count < layout.fieldByteCount, "\(layout) refused \(input.count) bytes")
            continue
        }
        let encoded = m.encoded(as: layout)
        fuzzCheck(encoded.count == Manifest.byteCount, "manifest size")
        fuzzCheck(Manifest.decode(encoded, layout: layout) == m, "\(layout) encode ∘ decode differs")
        fuzzCheck(Array(encoded.prefix(layout.fieldByteCount)) == Array(input.prefix(layout.fieldByteCount)) || layout == .v2_0 || layout == .v2_3,
                  "\(layout) re-encoding changed the field bytes")
    }
    let highest: FileNumber? = input.count >= 4 && input[0] & 1 == 1 ? input.metadataUInt32(at: 0) : nil
    for n in [nil, highest, input.metadataUInt32(at: 20)] {
        let d = ManifestDetection.detect(input, highestFileNumber: n)
        fuzzCheck(!d.reason.isEmpty, "detection without a reason")
        if input.count >= d.layout.fieldByteCount {
            fuzzCheck(Manifest.decode(input, layout: d.layout) != nil, "detected layout does not decode")
        }
    }
}

func fuzzInfo(_ input: [UInt8]) {
    let info: BgsaveInfo
    do {
        info = try BgsaveInfo.decode(input, path: "info")
    } catch {
        _ = error.description
        return
    }
    fuzzCheck((5...8).contains(info.lineCount), "line count \(info.lineCount)")
    _ = info.remarks.map(\.description)
    // Pika's form of what was read parses back to the same position.
    let again: BgsaveInfo
    do {
        again = try BgsaveInfo.decode(info.encoded(), path: "info")
    } catch {
        fatalError("fuzz property violated: re-encoded info does not parse: \(error)")
    }
    // A host line that still ends in CR after its CRLF was taken off (`…\r\r\n`) loses one more
    // CR per round trip: the reader takes one off every line (finding 2 in Docs/Hardening.md).
    fuzzCheck(again.resumePoint == info.resumePoint && again.port == info.port && again.term == info.term,
              "info decode ∘ encode differs")
    if !info.host.hasSuffix("\r") { fuzzCheck(again.host == info.host, "info host changed by decode ∘ encode") }
}

func fuzzContext(_ input: [UInt8]) {
    guard let c = ConsensusContext.decode(input) else {
        fuzzCheck(input.count < ConsensusContext.fieldByteCount, "context refused \(input.count) bytes")
        return
    }
    let encoded = c.encoded()
    fuzzCheck(ConsensusContext.decode(encoded) == c, "context encode ∘ decode differs")
    fuzzCheck(Array(encoded.prefix(24)) == Array(input.prefix(24)), "context field bytes changed")
}

// MARK: - Writer

func fuzzWriterRoundTrip(_ input: [UInt8]) {
    var decoder = BinlogFileDecoder(source: MemorySource(input), fileNumber: 4)
    let records = fuzzDrain(&decoder, byteCount: input.count, keepPayloads: true)
    let items = records.filter { $0.kind == .item }
    guard !items.isEmpty else { return }
    let output = BinlogMemoryOutput()
    do {
        var writer = try BinlogWriter(output: output, binlogFileSize: 1 << 30, producer: ProducerStatus(fileNumber: 4))
        for item in items {
            try writer.appendPayload(item.payload, recordTimes: [1_700_000_000])
        }
        try writer.finish()
    } catch {
        fatalError("memory writer threw \(error)")
    }
    guard let bytes = output[4] else { fatalError("writer produced no write2file4") }
    var again = BinlogFileDecoder(source: MemorySource(bytes), fileNumber: 4)
    let rewritten = fuzzDrain(&again, byteCount: bytes.count, keepPayloads: true)
    fuzzCheckTiling(rewritten, file: bytes, startOffset: 0)
    fuzzCheck(rewritten.allSatisfy { $0.kind == .item }, "re-framed items decode as something else")
    fuzzCheck(rewritten.map(\.payload) == items.map(\.payload), "re-framed payloads differ")
}
