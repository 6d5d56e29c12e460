/// The texts of `EffectAnalysis`'s evidence: a key's state as the binlog leaves it and as the
/// snapshot holds it, per facet.
extension EffectAnalysis {
    func describe(_ state: KeyState, _ facets: [Facet]) -> String {
        let parts = facets.prefix(3).map { describe(state, $0) }
        return parts.joined(separator: ", ") + (facets.count > 3 ? ", …" : "")
    }

    func describe(_ state: KeyState, _ facet: Facet) -> String {
        switch facet {
        case .stringValue:
            switch state.string.value {
            case .known(let value?): return quoted(value) + expirySuffix(state.string.expiry)
            case .known(nil): return "absent"
            case .unknown: return "unknown"
            }
        case .hashField(let field):
            return describeElement(state.hash.entry(field), "field \(printable(field))") { quoted($0) }
        case .setMember(let member):
            return describeElement(state.set.entry(member), "member \(printable(member))") { _ in "present" }
        case .zsetMember(let member):
            return describeElement(state.zset.entry(member), "member \(printable(member))") { "score " + formatScore($0) }
        case .listHead, .listTail, .listWhole:
            let list = state.list
            if list.complete {
                if list.head.isEmpty { return "absent" }
                let shown = facet == .listHead ? "first \(quotedList(Array(list.head.prefix(2))))" : "last \(quotedList(Array(list.head.suffix(2))))"
                return "LLEN \(list.head.count), \(shown)" + expirySuffix(list.expiry)
            }
            if facet == .listHead && !list.head.isEmpty { return "starts \(quotedList(Array(list.head.prefix(2))))" }
            if facet != .listHead && !list.tail.isEmpty { return "ends \(quotedList(Array(list.tail.suffix(2))))" }
            return "unknown"
        case .collection(let type):
            return describeCount(state, type)
        case .wholeKey:
            var parts: [String] = []
            var unknown = false
            for type in KeyState.modelledTypes {
                switch state.exists(type) {
                case .known(true):
                    parts.append(type == .string ? describe(state, .stringValue) : describeCount(state, type))
                case .unknown: unknown = true
                case .known(false): break
                }
            }
            if parts.isEmpty { return unknown ? "unknown" : "absent" }
            return parts.joined(separator: " + ")
        }
    }

    func describeCount(_ state: KeyState, _ type: PikaDataType) -> String {
        let count: Known<Int64>
        switch type {
        case .hash: count = state.hash.count
        case .set: count = state.set.count
        case .zset: count = state.zset.count
        case .list: count = state.list.count
        default: return describe(state, .stringValue)
        }
        switch (state.exists(type), count) {
        case (.known(false), _): return "absent"
        case (_, .known(let n)): return "\(countName(type)) \(n)" + expirySuffix(state.expiry(type))
        case (.known(true), _): return "a \(type)" + expirySuffix(state.expiry(type))
        default: return "unknown"
        }
    }

    func describeElement<V>(_ element: ElementState<V>, _ label: String, _ show: (V) -> String) -> String {
        switch element {
        case .present(let value): return "\(label) \(show(value))"
        case .presentWithUnknownValue: return "\(label) present"
        case .absent: return "no \(label)"
        case .unknown: return "\(label) unknown"
        }
    }

    func expirySuffix(_ expiry: Known<ExpirySeconds>) -> String {
        if case .known(let e?) = expiry { return " expiring at \(e)" }
        return ""
    }

    func describeObserved(_ observed: ObservedKey, _ facets: [Facet]) throws(PikaStorageError) -> String {
        var parts: [String] = []
        for facet in facets.prefix(3) { parts.append(try describeObserved(observed, facet)) }
        return parts.joined(separator: ", ") + (facets.count > 3 ? ", …" : "")
    }

    func describeObserved(_ observed: ObservedKey, _ facet: Facet) throws(PikaStorageError) -> String {
        let time = observer.snapshotTime
        func status(_ type: PikaDataType) throws(PikaStorageError) -> (ObservedType, String) {
            let found = try observer.type(type, of: observed)
            var suffix = ""
            if let expiry = found.expiry {
                suffix = found.isLive(at: time) ? " expiring at \(expiry.time.seconds)" : " (expired at \(expiry.time.seconds), before the snapshot)"
            }
            return (found, suffix)
        }
        switch facet {
        case .stringValue:
            let (found, suffix) = try status(.string)
            return found.isPresent ? quoted(found.value ?? []) + suffix : "absent"
        case .hashField(let field):
            let (found, suffix) = try status(.hash)
            guard found.isPresent else { return "no hash" }
            return (try observer.hashField(field, of: observed)).map { "field \(printable(field)) \(quoted($0))" + suffix }
                ?? "no field \(printable(field))"
        case .setMember(let member):
            let (found, suffix) = try status(.set)
            guard found.isPresent else { return "no set" }
            return try observer.setContains(member, of: observed)
                ? "member \(printable(member)) present" + suffix : "no member \(printable(member))"
        case .zsetMember(let member):
            let (found, suffix) = try status(.zset)
            guard found.isPresent else { return "no zset" }
            return (try observer.zsetScore(member, of: observed)).map {
                "member \(printable(member)) score \(formatScore($0))" + suffix
            } ?? "no member \(printable(member))"
        case .listHead, .listTail, .listWhole:
            let (found, suffix) = try status(.list)
            guard found.isPresent else { return "absent" }
            let list = try observer.list(of: observed)
            let shown =
                facet == .listHead
                ? "first \(quotedList(Array(list.head.prefix(2))))" : "last \(quotedList(Array(list.elementsFromTheEnd.suffix(2))))"
            return "LLEN \(list.count), \(shown)" + suffix
        case .collection(let type):
            let (found, suffix) = try status(type)
            return found.isPresent ? "\(countName(type)) \(found.count)" + suffix : "absent"
        case .wholeKey:
            var parts: [String] = []
            for type in KeyState.modelledTypes {
                let (found, suffix) = try status(type)
                guard found.isPresent else { continue }
                parts.append(type == .string ? quoted(found.value ?? []) + suffix : "\(countName(type)) \(found.count)" + suffix)
            }
            return parts.isEmpty ? "absent" : parts.joined(separator: " + ")
        }
    }
}

private func countName(_ type: PikaDataType) -> String {
    switch type {
    case .hash: return "HLEN"
    case .set: return "SCARD"
    case .zset: return "ZCARD"
    case .list: return "LLEN"
    case .string: return "STRLEN"
    case .stream: return "XLEN"
    }
}
