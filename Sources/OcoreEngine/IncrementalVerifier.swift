import Foundation
import OcoreModel
import OcoreRemote
import OcoreStorage

/// Verification of an incremental backup: its file list against the checksum recorded when it
/// was made; every object it names present with its size (one listing of the storage, not one
/// request per object); with `readData`, the objects themselves (all, or a random share) read
/// and hashed; and the filestore against the attachments the dump's `ir_attachment` references
/// (missing files, and files no attachment uses).
struct IncrementalVerifier {
    let objects: ObjectStore
    let backup: BackupRecord
    let scratch: String

    func checks(readData: Double?) throws -> [(name: String, ok: Bool, detail: String)] {
        var out: [(name: String, ok: Bool, detail: String)] = []
        let list: (plain: Data, stored: Int64, sha256: String)
        do { list = try objects.getDocument(backup.key) } catch {
            return [("file list", false, "unreadable: \(error)")]
        }
        guard list.sha256 == backup.sha256, let snapshot = try? BackupSnapshot.decode(list.plain) else {
            return [("file list", false, "\(formatBytes(list.stored)), sha256 \(list.sha256.prefix(16))… (expected \(backup.sha256?.prefix(16) ?? "?")…)")]
        }
        out.append(("file list", true, "\(snapshot.dump.count) dump files, \(snapshot.filestore.count) filestore files, sha256 matches"))

        let listed = try objects.listObjects()
        let needed = snapshot.objects
        let missing = needed.filter { listed[$0.key] == nil }
        let wrongSize = needed.filter { item in listed[item.key].map { $0.size != item.value } ?? false }
        let byObject = Dictionary((snapshot.dump + snapshot.filestore).map { ($0.objectName, $0.path) }, uniquingKeysWith: { a, _ in a })
        func paths(_ names: [String: Int64]) -> String { names.keys.prefix(5).map { byObject[$0] ?? $0 }.sorted().joined(separator: ", ") }
        out.append(("objects", missing.isEmpty && wrongSize.isEmpty,
                    missing.isEmpty && wrongSize.isEmpty ? "all \(needed.count) present with their sizes (\(formatBytes(needed.values.reduce(0, +))))"
                        : "\(missing.count) missing, \(wrongSize.count) of the wrong size: \(paths(missing.merging(wrongSize) { a, _ in a }))"))

        if let share = readData {
            let entries = snapshot.dump + snapshot.filestore
            var unique: [String: BackupSnapshot.Entry] = [:]
            for entry in entries where unique[entry.objectName] == nil { unique[entry.objectName] = entry }
            var chosen = Array(unique.values)
            if share < 1 {
                chosen.shuffle()
                chosen = Array(chosen.prefix(max(1, Int((Double(chosen.count) * share).rounded(.up)))))
            }
            let bad = ObjectReadCheck(store: objects).run(chosen)
            out.append(("data", bad.isEmpty, bad.isEmpty ? "\(chosen.count) objects read, every hash matches"
                                                          : "\(bad.count) of \(chosen.count) objects read do not match: \(bad.prefix(5).joined(separator: "; "))"))
        }

        if backup.includeFilestore, let referenced = try? attachmentFiles(snapshot) {
            let present = Set(snapshot.filestore.map(\.path))
            let absent = referenced.subtracting(present).sorted()
            let orphans = present.subtracting(referenced).count
            out.append(("attachment files", absent.isEmpty,
                        (absent.isEmpty ? "all \(referenced.count) files ir_attachment references are in the backup"
                                        : "\(absent.count) of the \(referenced.count) files ir_attachment references are missing: \(absent.prefix(5).joined(separator: ", "))")
                        + (orphans > 0 ? "; \(orphans) files no attachment references" : "")))
        }
        return out
    }

    /// `store_fname` of every attachment kept in the filestore, read from the dump itself:
    /// its table of contents and the one table's data file, fetched into a scratch folder.
    private func attachmentFiles(_ snapshot: BackupSnapshot) throws -> Set<String> {
        let dir = scratch + "/verify-\(backup.id)-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fetcher = ObjectFetcher(store: objects, cancellation: CancellationFlag())
        guard let toc = snapshot.dump.first(where: { $0.path == "toc.dat" }) else { return [] }
        try fetcher.write([toc], into: dir) { _ in }
        let listing = try LocalExecutor().run(Command(["pg_restore", "-l", "--", dir]), outputLimit: 64 << 20)
        guard listing.succeeded,
              let line = listing.stdoutText.split(separator: "\n").first(where: { $0.contains(" TABLE DATA public ir_attachment ") }),
              let dumpID = line.split(separator: ";").first.map(String.init),
              let data = snapshot.dump.first(where: { $0.path == "\(dumpID).dat.gz" || $0.path == "\(dumpID).dat" }) else { return [] }
        try fetcher.write([data], into: dir) { _ in }
        let rows = try LocalExecutor().run(Command(["pg_restore", "--data-only", "--table=ir_attachment", "-f", "-", "--", dir]), outputLimit: 1 << 30)
        guard rows.succeeded else { return [] }
        var column: Int?
        var out = Set<String>()
        var copying = false
        for line in rows.stdout.split(separator: 0x0A) {
            if !copying {
                let text = String(decoding: line, as: UTF8.self)
                guard text.hasPrefix("COPY "), let open = text.firstIndex(of: "("), let close = text.firstIndex(of: ")") else { continue }
                column = text[text.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.firstIndex(of: "store_fname")
                copying = true
                continue
            }
            if line.elementsEqual("\\.".utf8) { break }
            guard let column else { break }
            let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
            if column < fields.count, !fields[column].elementsEqual("\\N".utf8), !fields[column].isEmpty {
                out.insert(String(decoding: fields[column], as: UTF8.self))
            }
        }
        return out
    }
}

/// Reads objects back and checks each against its content hash, several at a time.
struct ObjectReadCheck {
    let store: ObjectStore

    /// The failures, one line each.
    func run(_ entries: [BackupSnapshot.Entry]) -> [String] {
        let work = SharedWork(entries)
        let bad = FailureList()
        let threads = (0..<4).compactMap { _ -> BackgroundWork<Void>? in
            guard let provider = try? store.workerProvider() else { return nil }
            return BackgroundWork<Void> { [store] in
                while let entry = work.next(unless: false) {
                    do { try store.get(entry, into: DiscardingSink(), with: provider) } catch { bad.add("\(entry.path): \(error)") }
                }
            }
        }
        for thread in threads { _ = thread.wait() }
        return bad.items
    }
}

final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ line: String) { lock.withLock { list.append(line) } }
    var items: [String] { lock.withLock { list.sorted() } }
}
