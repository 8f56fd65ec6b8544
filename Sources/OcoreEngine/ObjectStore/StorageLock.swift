import Foundation
import OcoreModel
import OcoreRemote
import OcoreStorage

/// Who is writing objects to a storage, or sweeping it: small files under `locks/` that every
/// ops host sharing the storage sees. A writer (a backup, a second copy) and a sweep each write
/// their own lock first and then look for the other kind, so of two that start together at
/// least one sees the other: a sweep then leaves every object in place, a writer waits for the
/// sweep to end. A lock left by a process that died without removing it (kill -9 of a sweep, a
/// worker whose compensation has not run yet) is ignored: at once when it names a process of this
/// host that is gone, after `staleAfter` when it comes from another host.
struct StorageLock {
    enum Kind: String { case writer, sweep }

    let provider: any StorageProvider
    let kind: Kind
    let id: String
    static let staleAfter: TimeInterval = 24 * 3600

    var key: String { ObjectStore.lockPrefix + "\(kind.rawValue)-\(id)" }

    func acquire(host: String = ProcessInfo.processInfo.hostName) throws {
        let body = "{\"host\":\"\(host.filter { $0 != "\"" && $0 != "\\" })\",\"pid\":\(getpid()),\"since\":\"\(ISO8601DateFormatter().string(from: Date()))\"}\n"
        try? provider.delete(key: key)
        _ = try provider.put(key: key, from: DataSource(Data(body.utf8)), progress: nil)
    }

    func release() { try? provider.delete(key: key) }

    /// The other live locks of a kind (this one's own excluded).
    func others(_ kind: Kind, now: Date = Date(), host: String = ProcessInfo.processInfo.hostName) throws -> [String] {
        try provider.list(prefix: ObjectStore.lockPrefix).compactMap { object in
            let name = (object.key as NSString).lastPathComponent
            guard name.hasPrefix(kind.rawValue + "-"), object.key != key else { return nil }
            if let modified = object.modified, now.timeIntervalSince(modified) > Self.staleAfter { return nil }
            if let holder = try? Self.holder(of: object.key, provider: provider), holder.host == host, kill(holder.pid, 0) != 0, errno == ESRCH {
                return nil
            }
            return String(name.dropFirst(kind.rawValue.count + 1))
        }
    }

    /// Who wrote a lock: its host and process.
    static func holder(of key: String, provider: any StorageProvider) throws -> (host: String, pid: Int32) {
        let sink = CollectingSink(limit: 4096)
        try provider.get(key: key, into: sink)
        struct Body: Decodable { var host: String; var pid: Int32 }
        let body = try JSONDecoder().decode(Body.self, from: sink.data)
        return (body.host, body.pid)
    }

    /// A writer's wait for a sweep in progress (its lock is already in place, so no new sweep
    /// will remove objects under it).
    func waitForSweeps(timeout: TimeInterval = 600, log: (String) -> Void) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var said = false
        while let sweep = try others(.sweep).first {
            if !said { log("waiting for the sweep \(sweep) of this storage to finish"); said = true }
            guard Date() < deadline else { throw ObjectStoreError.locked("a sweep of this storage (\(sweep)) has held its lock for over \(Int(timeout)) s") }
            Thread.sleep(forTimeInterval: 1)
        }
    }
}
