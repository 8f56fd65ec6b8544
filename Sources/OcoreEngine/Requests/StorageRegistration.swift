import Foundation
import OcoreArchive
import OcoreModel
import OcoreStore

/// A storage target added: a local directory must be a data directory (judged by where a
/// symlink leads), and an encryption key must be private and load now (a typo found at the
/// first backup would be too late). A key is named by its file or variable, never stored.
public struct StorageRegistration: Sendable {
    public var target: StorageTarget

    public init(target: StorageTarget) {
        self.target = target
    }

    /// Checks and adds the target; returns the key's id when backups there are encrypted.
    public func register(store: SQLiteStateStore, by who: Requester) throws -> String? {
        if case .directory(let path) = target.location {
            try PathRules.validateDataDirectory(path, field: "--dir")
            try PathRules.validateDataDirectory(URL(fileURLWithPath: path).resolvingSymlinksInPath().path, field: "--dir")
        }
        if let encryption = target.encryption {
            if encryption.file != nil && encryption.env != nil { throw RequestRefusal("give --encrypt-key-file or --encrypt-key-env, not both") }
            if let file = encryption.file, let mode = (try? FileManager.default.attributesOfItem(atPath: file))?[.posixPermissions] as? Int, mode & 0o077 != 0 {
                throw RequestRefusal("\(file) can be read by other users (mode \(String(mode, radix: 8))): a backup key must be private; run `chmod 600 \(file)`")
            }
            if let variable = encryption.env, !Environment.isEnvironmentVariableName(variable) {
                throw RequestRefusal("--encrypt-key-env takes the name of an environment variable, not the key itself")
            }
        }
        let key = try target.encryption.map { try BackupKey.load($0) }
        _ = try store.addStorage(target)
        try store.audit(user: who.user, from: who.from, action: "storage.add", environment: nil, detail: "\(target.name) (\(target.location.summary))")
        return key?.id
    }
}
