import ArgumentParser
import BinlogFormat
import Repair

// The values of the verbs' enumerated options (`--format`, `--dialect`, `--manifest-layout`).

extension ManifestLayout: ExpressibleByArgument {}
extension DumpFormat: ExpressibleByArgument {}
extension RewriteDialect: ExpressibleByArgument {}

public enum VerifyFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json
}

public enum PrepareReplicaFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json
}

public enum RewriteFormat: String, CaseIterable, ExpressibleByArgument {
    case binlog, resp
}
