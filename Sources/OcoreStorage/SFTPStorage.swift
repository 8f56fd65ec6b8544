import Foundation
import OcoreModel
import OcoreRemote

/// Backups on an SFTP server (libssh2). SFTP in libssh2 1.10 has no atomic rename-over and
/// servers refuse renaming onto an existing file, so uploads go to a temporary name and are
/// renamed to a final name that must not exist yet.
public final class SFTPStorage: StorageProvider, @unchecked Sendable {
    public let location: SFTPLocation
    private let executor: SSHExecutor

    public init(location: SFTPLocation) {
        self.location = location
        self.executor = SSHExecutor(endpoint: location.endpoint)
    }

    public var description: String { "sftp://\(location.endpoint.destination)\(location.path)" }

    private func path(_ key: String) -> String { location.path + "/" + key }

    public func put(key: String, from source: ByteSource, progress: (@Sendable (Int64) -> Void)?) throws -> StoredObject {
        try StorageKey.validate(key)
        let sftp = try executor.sftp()
        let final = path(key)
        let dir = (final as NSString).deletingLastPathComponent
        try sftp.makeDirectories(dir)
        if try sftp.stat(path: final) != nil {
            throw StorageError.failed(target: description, operation: "put \(key)", reason: "an object with that name already exists")
        }
        let temp = dir + "/.tmp-" + UUID().uuidString.lowercased() + "-" + (final as NSString).lastPathComponent
        do {
            let size = try sftp.write(path: temp, from: source, progress: progress)
            try sftp.rename(from: temp, to: final)
            return StoredObject(key: key, size: size)
        } catch {
            try? sftp.remove(path: temp)
            throw error
        }
    }

    public func get(key: String, into sink: ByteSink) throws {
        try StorageKey.validate(key)
        let sftp = try executor.sftp()
        guard try sftp.stat(path: path(key)) != nil else { throw StorageError.notFound(key) }
        try sftp.read(path: path(key), into: sink)
    }

    /// Walks down from the deepest directory the prefix names (a backup's objects are not read
    /// to list its manifests).
    public func list(prefix: String) throws -> [StoredObject] {
        let start = prefix.hasSuffix("/") ? String(prefix.dropLast()) : (prefix as NSString).deletingLastPathComponent
        let base = start.isEmpty ? "" : start + "/"
        return try executor.sftp().listFiles(under: start.isEmpty ? location.path : path(start))
            .map { entry in var e = entry; e.path = base + entry.path; return e }
            .filter { $0.path.hasPrefix(prefix) && !(($0.path as NSString).lastPathComponent.hasPrefix(".tmp-")) }
            .map { StoredObject(key: $0.path, size: $0.size, modified: $0.modified) }
    }

    public func stat(key: String) throws -> StoredObject? {
        try StorageKey.validate(key)
        return try executor.sftp().stat(path: path(key)).map { StoredObject(key: key, size: $0.size) }
    }

    public func delete(key: String) throws {
        try StorageKey.validate(key)
        try executor.sftp().remove(path: path(key))
    }

    public func removeIncomplete(key: String) throws -> Int {
        try StorageKey.validate(key)
        let dir = (key as NSString).deletingLastPathComponent, name = (key as NSString).lastPathComponent
        let sftp = try executor.sftp()
        let leftovers = try sftp.listFiles(under: location.path).filter {
            ($0.path as NSString).deletingLastPathComponent == dir && ($0.path as NSString).lastPathComponent.hasPrefix(".tmp-") && $0.path.hasSuffix("-" + name)
        }
        for file in leftovers { try? sftp.remove(path: location.path + "/" + file.path) }
        return leftovers.count
    }
}
