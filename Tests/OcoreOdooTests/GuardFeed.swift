import Foundation
import OcoreOdoo

/// Runs `sql` through `guardian` in chunks of `chunk` bytes, as a stream reaches it; returns what it passes on.
func feed(_ sql: String, to guardian: PlainDumpGuard, chunk: Int = .max) throws -> String {
    var out = Data()
    let bytes = Array(sql.utf8)
    var i = 0
    while i < bytes.count {
        let piece = Array(bytes[i..<min(bytes.count, i + chunk)])
        out.append(try piece.withUnsafeBytes { try guardian.filter($0) })
        i += piece.count
    }
    out.append(try guardian.finish())
    return String(decoding: out, as: UTF8.self)
}
