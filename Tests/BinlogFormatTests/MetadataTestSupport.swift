import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Fixture paths and temporary directories for the manifest / info / directory / LZ4 suites.
enum MetadataFixtures {
    static let committed = PikaFixtures.committed.path
    static let shared = PikaFixtures.shared.path

    /// `relative` (``PikaFixtures/path(_:)``); `nil` if in neither copy.
    static func path(_ relative: String) -> String? {
        let p = PikaFixtures.path(relative)
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    /// `relative` in the committed fixtures (which must exist).
    static func committedPath(_ relative: String) -> String {
        committed + "/" + relative
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MetadataTestFailure("cannot read \(path)")
        }
        return [UInt8](data)
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw MetadataTestFailure("cannot write \(path)")
        }
    }

    /// A fresh directory from `mkdtemp(3)`; remove it with ``remove(_:)``.
    static func makeTemporaryDirectory() throws -> String {
        var template = Array("/tmp/binlogtool-metadata-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!) }
        guard made != nil else { throw MetadataTestFailure("mkdtemp failed: errno \(errno)") }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    static func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Copies the regular files of `source` (not recursive) into `destination`, which is created.
    /// The copies are writable even when the fixtures are read-only.
    static func copyFiles(of source: String, to destination: String, only names: [String]? = nil) throws {
        try makeDirectory(destination)
        let all = try FileManager.default.contentsOfDirectory(atPath: source)
        for name in names ?? all where all.contains(name) {
            try write(try read(source + "/" + name), to: destination + "/" + name)
        }
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}

struct MetadataTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
