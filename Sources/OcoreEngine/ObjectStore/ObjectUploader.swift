import Foundation
import OcoreModel
import OcoreStorage

/// Stores the objects a backup needs and the storage lacks, several at a time (a connection
/// each), and records them in the storage's index as it goes: every few hundred objects or few
/// seconds a segment lists what was confirmed stored, so a backup killed half way leaves objects
/// the next one finds and does not send again.
final class ObjectUploader: @unchecked Sendable {
    private let store: ObjectStore
    private let segmentPrefix: String
    private let lock = NSCondition()
    private var queue: [(name: String, content: ObjectContent)] = []
    private let capacity: Int
    private var threads: [Thread] = []
    private var running = 0
    private var closed = false
    private var failure: Error?
    /// Confirmed since the last segment.
    private var confirmed: [(name: String, size: Int64)] = []
    private var segments = 0
    private var lastSegment = Date()
    private(set) var objectsAdded = 0
    private(set) var bytesAdded: Int64 = 0

    init(store: ObjectStore, segmentPrefix: String, workers: Int, capacity: Int = 16) throws {
        self.store = store
        self.segmentPrefix = segmentPrefix
        self.capacity = capacity
        for _ in 0..<max(1, workers) {
            let provider = try store.workerProvider()
            let thread = Thread { [self] in work(provider) }
            thread.stackSize = 1 << 20
            threads.append(thread)
        }
        running = threads.count
        threads.forEach { $0.start() }
    }

    /// Queues an object (waits while the queue is full); throws the first upload failure.
    func add(name: String, content: ObjectContent) throws {
        lock.lock()
        defer { lock.unlock() }
        while queue.count >= capacity && failure == nil { lock.wait() }
        if let failure { throw failure }
        queue.append((name, content))
        lock.broadcast()
    }

    var added: (objects: Int, bytes: Int64) { lock.withLock { (objectsAdded, bytesAdded) } }

    /// Writes a segment of what was confirmed since the last one, when enough has gathered.
    func checkpoint(force: Bool = false) throws {
        let batch: [(name: String, size: Int64)] = lock.withLock {
            guard !confirmed.isEmpty, force || confirmed.count >= 500 || Date().timeIntervalSince(lastSegment) > 5 else { return [] }
            defer { confirmed.removeAll(); lastSegment = Date() }
            return confirmed
        }
        guard !batch.isEmpty else { return }
        // A segment names objects only once they are durable.
        try store.syncWritten()
        segments += 1
        try store.writeSegment("\(segmentPrefix).\(segments)", objects: batch)
    }

    /// Waits for every queued object, then writes the last segment. Throws the first failure.
    func finish() throws {
        lock.withLock { closed = true; lock.broadcast() }
        lock.lock()
        while running > 0 { lock.wait() }
        let failure = failure
        lock.unlock()
        if let failure { throw failure }
        try checkpoint(force: true)
    }

    /// Stops the workers (a failed or cancelled backup): what is queued is dropped.
    func abandon(_ error: Error) {
        lock.withLock {
            if failure == nil { failure = error }
            for item in queue { if case .file(let path, _) = item.content { unlink(path) } }
            queue.removeAll()
            closed = true
            lock.broadcast()
        }
        lock.lock()
        while running > 0 { lock.wait() }
        lock.unlock()
    }

    private func work(_ provider: any StorageProvider) {
        while true {
            lock.lock()
            while queue.isEmpty && !closed && failure == nil { lock.wait() }
            if queue.isEmpty || failure != nil {
                running -= 1
                lock.broadcast()
                lock.unlock()
                return
            }
            let item = queue.removeFirst()
            lock.broadcast()
            lock.unlock()
            do {
                let size = try store.put(name: item.name, plain: item.content, with: provider)
                if case .file(let path, _) = item.content { unlink(path) }
                lock.withLock {
                    confirmed.append((item.name, size))
                    objectsAdded += 1
                    bytesAdded += size
                }
            } catch {
                if case .file(let path, _) = item.content { unlink(path) }
                lock.withLock { if failure == nil { failure = error }; lock.broadcast() }
            }
        }
    }
}
