// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "binlogtool",
    products: [
        .executable(name: "binlogtool", targets: ["binlogtool"]),
        .library(name: "BinlogFormat", targets: ["BinlogFormat"]),
        .library(name: "Repair", targets: ["Repair"]),
        .library(name: "BinlogToolCore", targets: ["BinlogToolCore"]),
    ],
    traits: [
        .trait(name: "RocksDB", description: "Read bgsave snapshots through librocksdb (verify-snapshot, rewrite --snapshot)."),
        .default(enabledTraits: ["RocksDB"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // C libraries, each wrapped by exactly one Swift module.
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .target(
            name: "LZ4Frame",
            dependencies: ["CLZ4"]
        ),
        .systemLibrary(
            name: "CRocksDB",
            pkgConfig: "rocksdb",
            providers: [.apt(["librocksdb-dev"])]
        ),
        .target(
            name: "RocksSnapshot",
            dependencies: [.target(name: "CRocksDB", condition: .when(traits: ["RocksDB"]))]
        ),

        // Bytes <-> records. No Foundation, no printing.
        .target(
            name: "BinlogFormat",
            dependencies: [
                "LZ4Frame",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Pika's RocksDB key and value encodings per storage version, and a dump read through
        // them (PikaSnapshot). Below Repair; no Foundation.
        .target(
            name: "PikaStorage",
            dependencies: ["BinlogFormat", "RocksSnapshot"]
        ),
        // Analysis, snapshot probing, rewriting.
        .target(
            name: "Repair",
            dependencies: ["BinlogFormat", "RocksSnapshot", "PikaStorage"]
        ),
        // The command line's inputs, outputs and errors: what the verbs share, in a library that
        // tests and Benchmarks call in process.
        .target(
            name: "BinlogToolCore",
            dependencies: [
                "BinlogFormat",
                "Repair",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The command line only: the verbs.
        .executableTarget(
            name: "binlogtool",
            dependencies: [
                "BinlogFormat",
                "Repair",
                "BinlogToolCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // A Redis-protocol client, a throw-away redis-server and a whole-keyspace reader, shared by
        // the suites that replay into real servers.
        .target(name: "RedisTestSupport", dependencies: ["TestSupport"], path: "Tests/RedisTestSupport"),
        // What every suite shares: the fixture locator, a seeded generator, a process runner, the
        // environment without libfaketime.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "BinlogFormatTests", dependencies: ["BinlogFormat", "TestSupport"]),
        .testTarget(name: "RepairTests", dependencies: ["Repair", "PikaStorage", "BinlogFormat", "RocksSnapshot", "RedisTestSupport", "TestSupport"]),
        .testTarget(name: "BinlogToolCoreTests", dependencies: ["BinlogToolCore", "BinlogFormat", "Repair", "TestSupport"]),
        .testTarget(
            name: "binlogtoolTests",
            dependencies: ["binlogtool", "BinlogToolCore", "BinlogFormat", "PikaTestSupport", "RedisTestSupport", "TestSupport"]),
        // A real Pika 3.5.0 server (../shared/pika/v3.5.0) on free loopback ports, and the child
        // processes of the suites that run servers.
        .target(name: "PikaTestSupport", dependencies: ["RedisTestSupport", "TestSupport"], path: "Tests/PikaTestSupport"),
        // Real Pika 3.5.0 servers driven through the built binlogtool.
        .testTarget(name: "PikaIntegrationTests", dependencies: ["binlogtool", "PikaTestSupport", "RedisTestSupport", "TestSupport"]),
    ]
)
