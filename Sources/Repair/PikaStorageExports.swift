// Pika's storage encodings live in their own module below this one; whoever imports Repair
// (the CLI, the tests, Benchmarks) sees them as before.
@_exported import PikaStorage
