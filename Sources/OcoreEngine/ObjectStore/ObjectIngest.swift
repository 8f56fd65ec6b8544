import Crypto
import Foundation
import OcoreArchive
import OcoreModel
import OcoreRemote

/// Turns a tar stream (files read by `tar` on a server) into snapshot entries: each file is
/// hashed as it arrives and becomes an object named by its content; the uploader gets only those
/// the storage does not already hold (nor this backup, for a file seen twice). A file is held in
/// memory up to `spillAbove`, beyond that in a spool file on this host.
final class ObjectIngest: ByteSink {
    private let store: ObjectStore
    private let uploader: ObjectUploader
    private let spool: String
    private let spillAbove: Int
    private var present: [String: Int64]
    private var parser: TarStreamParser!
    private var header: TarStreamParser.FileHeader?
    private var hasher = SHA256()
    private var buffer = Data()
    private var spillFD: Int32 = -1
    private var spillPath: String?
    private var received: Int64 = 0
    private let progress: (Int64) -> Void
    private(set) var entries: [BackupSnapshot.Entry] = []
    private(set) var bytes: Int64 = 0
    /// Files whose object was already in storage.
    private(set) var reused = 0
    private(set) var reusedBytes: Int64 = 0

    init(store: ObjectStore, uploader: ObjectUploader, present: [String: Int64], spool: String, spillAbove: Int = 16 << 20,
         progress: @escaping (Int64) -> Void = { _ in }) {
        self.store = store
        self.uploader = uploader
        self.present = present
        self.spool = spool
        self.spillAbove = spillAbove
        self.progress = progress
        parser = TarStreamParser(begin: { [unowned self] in try begin($0) }, data: { [unowned self] in try data($0) }, end: { [unowned self] in try end() })
    }

    var isComplete: Bool { parser.isFinished }
    /// Objects this ingest knows to be stored (the index plus what it queued).
    var known: [String: Int64] { present }

    func write(_ bytes: UnsafeRawBufferPointer) throws { try parser.write(bytes) }

    private func begin(_ h: TarStreamParser.FileHeader) throws {
        header = h
        hasher = SHA256()
        buffer.removeAll(keepingCapacity: true)
        received = 0
    }

    private func data(_ chunk: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: chunk)
        received += Int64(chunk.count)
        bytes += Int64(chunk.count)
        progress(bytes)
        if spillFD < 0 && buffer.count + chunk.count > spillAbove {
            let path = spool + "/spill-" + UUID().uuidString.lowercased()
            spillFD = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard spillFD >= 0 else { throw ObjectStoreError.corrupt(path, "cannot create a spool file: \(String(cString: strerror(errno)))") }
            spillPath = path
            try buffer.withUnsafeBytes { try FileDescriptorSink(spillFD).write($0) }
            buffer.removeAll()
        }
        if spillFD >= 0 { try FileDescriptorSink(spillFD).write(chunk) } else { buffer.append(contentsOf: chunk) }
    }

    private func end() throws {
        guard let h = header else { return }
        header = nil
        let sha = hasher.finalize().hex
        let name = store.name(contentSHA256: sha)
        let stored = store.storedSize(plain: received)
        entries.append(BackupSnapshot.Entry(path: h.path, size: received, sha256: sha, object: name == sha ? nil : name,
                                            stored: stored == received ? nil : stored, mtime: h.modified.timeIntervalSince1970))
        if spillFD >= 0 { close(spillFD); spillFD = -1 }
        let spilled = spillPath
        spillPath = nil
        if present[name] == stored {
            reused += 1
            reusedBytes += received
            if let spilled { unlink(spilled) }
            return
        }
        present[name] = stored
        try uploader.add(name: name, content: spilled.map { .file(path: $0, size: received) } ?? .memory(buffer))
        buffer = Data()
        try uploader.checkpoint()
    }

    deinit {
        if spillFD >= 0 { close(spillFD) }
        if let spillPath { unlink(spillPath) }
    }
}
