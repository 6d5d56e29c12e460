import BinlogCorpus

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// generate-binlog DIR SIZE       writes the benchmark corpus (≥ SIZE bytes of write2file*) into DIR,
//                                unless DIR already holds that corpus; prints DIR.
// generate-binlog --default-dir SIZE   prints the cache directory the benchmarks use.
// SIZE accepts a K, M or G suffix (powers of 1024).

func fail(_ message: String, _ code: Int32) -> Never {
    let line = message + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(code)
}

func parseSize(_ text: String) -> UInt64? {
    var digits = Substring(text)
    var scale: UInt64 = 1
    switch digits.last {
    case "K", "k": scale = 1 << 10; digits = digits.dropLast()
    case "M", "m": scale = 1 << 20; digits = digits.dropLast()
    case "G", "g": scale = 1 << 30; digits = digits.dropLast()
    default: break
    }
    guard let v = UInt64(digits), v > 0 else { return nil }
    return v * scale
}

let args = Array(CommandLine.arguments.dropFirst())
guard args.count == 2, let size = parseSize(args[1]) else {
    fail("usage: generate-binlog DIR SIZE | generate-binlog --default-dir SIZE   (SIZE like 1G, 64M)", 64)
}
if args[0] == "--default-dir" {
    print(BinlogCorpus.defaultDirectory(size: size))
    exit(0)
}
do {
    print(try BinlogCorpus.ensure(directory: args[0], size: size))
} catch {
    fail("generate-binlog: \(error)", 1)
}
