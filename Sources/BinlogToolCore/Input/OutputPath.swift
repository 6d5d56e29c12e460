#if canImport(Glibc)
import Glibc
#endif

/// Refuses an output path that is an input, inside one, or holds one (exit 64).
/// - Parameters:
///   - out: the output path as given.
///   - option: the option that named it (`--out`, `--catch-up`), for the message.
///   - inputs: every input path of the command.
public func checkOutputPath(_ out: String, option: String, against inputs: [String]) throws(ToolError) {
    let target = absolutePath(out)
    for i in inputs {
        let p = absolutePath(i)
        if target == p || p.hasPrefix(target + "/") || target.hasPrefix(p + "/") {
            throw ToolError(.usage, "\(option) \(out) overlaps the input \(i); binlogtool never writes into its inputs")
        }
    }
}

/// `path` made absolute with symlinks resolved as far as it exists.
func absolutePath(_ path: String) -> String {
    var p = path
    while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
    if let r = realpath(p, nil) {
        defer { free(r) }
        return String(cString: r)
    }
    let slash = p.lastIndex(of: "/")
    let parent = slash.map { String(p[..<$0]) } ?? "."
    let name = slash.map { String(p[p.index(after: $0)...]) } ?? p
    if let r = realpath(parent.isEmpty ? "/" : parent, nil) {
        defer { free(r) }
        let base = String(cString: r)
        return (base == "/" ? "" : base) + "/" + name
    }
    return p
}
