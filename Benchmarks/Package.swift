// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so that building binlogtool never fetches or builds the
// benchmark dependency (STYLE §8). Run from the repository root:
//   swift package --package-path Benchmarks benchmark          (in-process: throughput, mallocs)
//   Benchmarks/run-cli.sh                                      (the release CLI, timed end to end)
let package = Package(
    name: "binlogtool-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // No RocksDB: nothing here reads snapshots.
        .package(name: "binlogtool", path: "../", traits: []),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The synthetic corpus: 1 GiB of Pika binlog written with BinlogWriter, cached by version.
        .target(name: "BinlogCorpus", dependencies: [.product(name: "BinlogFormat", package: "binlogtool")]),
        // `generate-binlog DIR SIZE`: the same corpus for Benchmarks/run-cli.sh.
        .executableTarget(name: "generate-binlog", dependencies: ["BinlogCorpus"]),
        // Decode walk, decode + --stats, decode + JSON Lines (the CLI's own formatter and output
        // buffer, from BinlogToolCore).
        .executableTarget(
            name: "BinlogDecoding",
            dependencies: [
                "BinlogCorpus",
                .product(name: "BinlogFormat", package: "binlogtool"),
                .product(name: "Repair", package: "binlogtool"),
                .product(name: "BinlogToolCore", package: "binlogtool"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/BinlogDecoding",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
