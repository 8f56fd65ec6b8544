import Foundation
import OcoreModel
import OcoreRemote
import OcoreStorage

/// What a sweep of a storage's shared objects did (or, dry, would do).
public struct ObjectSweepOutcome: Sendable, Equatable {
    public var storage: String
    /// Objects some remaining backup needs.
    public var referenced: Int
    /// Objects no backup needs and older than the grace period: removed (or removable).
    public var removed: Int
    public var bytesFreed: Int64
    /// Unreferenced objects kept because they are younger than the grace period (an interrupted
    /// backup's, for the next one to reuse; a running one's).
    public var young: Int
    /// Why nothing was removed, when nothing could safely be.
    public var skipped: String?
    public var dryRun: Bool

    public var summary: String {
        if let skipped { return "\(storage): objects left in place (\(skipped))" }
        return "\(storage): \(removed) unreferenced objects \(dryRun ? "would be removed" : "removed") (\(formatBytes(bytesFreed)) \(dryRun ? "to free" : "freed")); "
            + "\(referenced) in use\(young > 0 ? ", \(young) recent ones kept" : "")"
    }
}

/// Removes the objects of a storage that no incremental backup needs any more, safely beside
/// backups writing to it from this or another ops host:
///
/// 1. the sweep takes its lock, and stops if another sweep or a writer holds one (a writer waits
///    for a sweep; a sweep never removes anything under a writer);
/// 2. every file list left in the storage is read (one unreadable stops the sweep: nothing is
///    removed on a guess); the objects they name stay;
/// 3. of the others, only those older than the grace period go, so objects of an interrupted
///    backup stay long enough to be reused;
/// 4. the index is rewritten first (one segment of what stays), the old segments removed, then
///    the objects. Killed at any point, every remaining backup still has all its objects, and
///    the index never names an object that is gone (at worst it misses some, sent again).
struct ObjectSweep {
    let objects: ObjectStore
    var grace: TimeInterval = 6 * 3600
    var now = Date()

    /// `leaving`: file lists this sweep's retention is about to remove (a dry run counts their
    /// objects as unreferenced).
    func run(dryRun: Bool, leaving: Set<String> = []) throws -> ObjectSweepOutcome {
        var outcome = ObjectSweepOutcome(storage: objects.target.name, referenced: 0, removed: 0, bytesFreed: 0, young: 0, skipped: nil, dryRun: dryRun)
        let lock = StorageLock(provider: objects.provider, kind: .sweep, id: "\(Int(now.timeIntervalSince1970))-\(UUID().uuidString.prefix(8).lowercased())")
        if !dryRun {
            try lock.acquire()
        }
        defer { if !dryRun { lock.release() } }
        if let other = try lock.others(.sweep).first {
            outcome.skipped = "another sweep (\(other)) is running"
            return outcome
        }
        if let writer = try lock.others(.writer).first {
            outcome.skipped = "backup \(writer) is writing to this storage; the next sweep collects"
            return outcome
        }
        let lists = try objects.provider.list(prefix: "backups/").filter { $0.key.hasSuffix(".files") && !leaving.contains($0.key) }
        var referenced = Set<String>()
        for list in lists {
            do { referenced.formUnion(try objects.snapshot(at: list.key).objects.keys) } catch {
                outcome.skipped = "the file list \(list.key) is unreadable (\(error)): nothing removed"
                return outcome
            }
        }
        let listed = try objects.listObjects()
        outcome.referenced = listed.keys.filter { referenced.contains($0) }.count
        var removable: [StoredObject] = []
        for (name, object) in listed where !referenced.contains(name) {
            if let modified = object.modified, now.timeIntervalSince(modified) > grace { removable.append(object) } else { outcome.young += 1 }
        }
        outcome.removed = removable.count
        outcome.bytesFreed = removable.reduce(0) { $0 + $1.size }
        guard !dryRun, !removable.isEmpty else { return outcome }

        let gone = Set(removable.map(\.key))
        let oldSegments = try objects.provider.list(prefix: ObjectStore.indexPrefix)
        try objects.writeSegment("sweep-\(Int(now.timeIntervalSince1970))-\(UUID().uuidString.prefix(6).lowercased()).0",
                                 objects: listed.values.filter { !gone.contains($0.key) }.compactMap { o in BackupSnapshot.objectName(key: o.key).map { ($0, o.size) } })
        for segment in oldSegments { try objects.provider.delete(key: segment.key) }
        for object in removable { try objects.provider.delete(key: object.key) }
        return outcome
    }
}
