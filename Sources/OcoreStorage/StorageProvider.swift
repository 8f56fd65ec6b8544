import Foundation
import OcoreModel
import OcoreRemote

/// An object held by a storage target.
public struct StoredObject: Sendable, Equatable {
    public var key: String
    public var size: Int64
    /// When it was last written, where a listing says (every provider's does); retention of
    /// shared objects keeps anything younger than its grace period.
    public var modified: Date?
}

/// One interface for every place backups go. Keys are relative, `/`-separated paths.
///
/// Contract: `put` makes an object visible only once it is complete (temporary name then rename,
/// or a completed multipart upload); a failed `put` leaves nothing listed. `get` streams the
/// object into the sink. `stat` returns nil for a missing object rather than throwing.
public protocol StorageProvider: Sendable {
    var description: String { get }
    func put(key: String, from source: ByteSource, progress: (@Sendable (Int64) -> Void)?) throws -> StoredObject
    func get(key: String, into sink: ByteSink) throws
    func list(prefix: String) throws -> [StoredObject]
    func stat(key: String) throws -> StoredObject?
    func delete(key: String) throws
    /// Removes what an interrupted `put` of `key` may have left (a temporary file, an
    /// unfinished multipart upload), e.g. after the process writing it was killed. Returns how
    /// many leftovers it removed.
    func removeIncomplete(key: String) throws -> Int
}

extension StorageProvider {
    public func removeIncomplete(key: String) throws -> Int { 0 }
}

public enum StorageError: Error, CustomStringConvertible, Equatable, Sendable {
    case invalidKey(String)
    case notFound(String)
    case failed(target: String, operation: String, reason: String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .invalidKey(let key): "invalid storage key \"\(key)\" (relative path without '..')"
        case .notFound(let key): "no object \(key) in storage"
        case let .failed(target, operation, reason): "\(operation) on \(target) failed: \(reason)"
        case .unsupported(let what): what
        }
    }
}

enum StorageKey {
    /// Refuses keys that could escape the storage root.
    static func validate(_ key: String) throws {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard !key.isEmpty, !key.hasPrefix("/"), !parts.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }),
              !key.contains("\0") else { throw StorageError.invalidKey(key) }
    }
}

/// Builds the provider for a storage location.
public enum StorageProviders {
    public static func make(for location: StorageLocation) throws -> any StorageProvider {
        switch location {
        case .directory(let path): return LocalDirectoryStorage(root: path)
        case .sftp(let sftp): return SFTPStorage(location: sftp)
        case .s3(let s3): return try S3Storage(location: s3)
        case .ftp(let ftp): return try FTPStorage(location: ftp)
        }
    }
}

/// What `storage test` does: a small object through the whole interface, checked at each step.
public struct StorageProbe {
    public let provider: any StorageProvider

    public init(provider: any StorageProvider) {
        self.provider = provider
    }

    /// Returns a line per step that passed; throws at the first that did not.
    public func run() throws -> [String] {
        var steps: [String] = []
        let key = "ocore-probe/probe-\(UUID().uuidString.lowercased()).bin"
        var payload = Data(count: 64 << 10)
        payload.withUnsafeMutableBytes { raw in for i in 0..<raw.count { raw[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) } }
        let started = ContinuousClock.now
        let stored = try provider.put(key: key, from: DataSource(payload), progress: nil)
        defer { try? provider.delete(key: key) }
        guard stored.size == Int64(payload.count) else { throw failure("write", "stored \(stored.size) bytes of \(payload.count)") }
        steps.append("write  \(payload.count) bytes to \(key)")
        guard let seen = try provider.stat(key: key), seen.size == stored.size else { throw failure("stat", "object not visible after write") }
        steps.append("stat   size matches")
        let sink = CollectingSink(limit: payload.count + 1)
        try provider.get(key: key, into: sink)
        guard sink.data == payload else { throw failure("read", "read-back differs from what was written") }
        steps.append("read   content matches")
        guard try provider.list(prefix: "ocore-probe/").contains(where: { $0.key == key }) else { throw failure("list", "object missing from listing") }
        steps.append("list   object listed")
        try provider.delete(key: key)
        guard try provider.stat(key: key) == nil else { throw failure("delete", "object still there after delete") }
        let elapsed = ContinuousClock.now - started
        steps.append("delete object removed (round trip \(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000) ms)")
        return steps
    }

    private func failure(_ op: String, _ reason: String) -> StorageError {
        .failed(target: provider.description, operation: op, reason: reason)
    }
}
