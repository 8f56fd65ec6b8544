import Crypto
import Foundation

/// Streams the standard output of a command on one executor into the standard input of a command
/// on another (e.g. `pg_dump` on server A into `pg_restore` on server B), through this process,
/// with no temporary file anywhere. A bounded queue gives back-pressure (the faster side waits);
/// bytes are counted for progress and optionally hashed (SHA-256) on the way through.
public enum Pipe {
    public struct Outcome: Sendable {
        public var bytes: Int64
        public var sha256: String?
        public var source: CommandResult
        public var sink: CommandResult

        public var succeeded: Bool { source.succeeded && sink.succeeded }
    }

    /// Runs both commands until both end. If one side fails, the other is stopped.
    public static func run(from source: any Executor, _ sourceCommand: Command, sourceInput: Data? = nil,
                           to sink: any Executor, _ sinkCommand: Command, hashing: Bool = false, filter: (any StreamFilter)? = nil, progress: (@Sendable (Int64) -> Void)? = nil,
                           cancellation: CancellationFlag? = nil) throws -> Outcome {
        let queue = ChunkQueue(capacity: 16)
        let counter = CountingHasher(hashing: hashing, progress: progress)
        let writer = QueueWriter(queue: queue, counter: counter, filter: filter)
        let stop = cancellation?.derived() ?? CancellationFlag()
        let sourceDone = DispatchSemaphore(value: 0)
        let sourceBox = ResultBox()
        let watcher = cancellation.map { outer in
            Thread { while !stop.isCancelled { if outer.isCancelled { stop.cancel() }; Thread.sleep(forTimeInterval: 0.05) } }
        }
        watcher?.start()
        Thread.detachNewThread {
            let err = CollectingSink(limit: 64 << 10)
            do {
                let termination = try source.execute(sourceCommand, stdin: sourceInput.map(DataSource.init), stdout: writer, stderr: err, cancellation: stop)
                if termination == .exited(0) { try writer.finish() }
                sourceBox.set(.success(CommandResult(termination: termination, stderr: err.data)))
            } catch is ReceiverGone {
                // Like a shell pipeline's writer: the reader went away, the writer dies of SIGPIPE.
                sourceBox.set(.success(CommandResult(termination: .signalled(SIGPIPE), stderr: err.data)))
            } catch {
                sourceBox.set(.failure(error))
            }
            // A producer that broke (lost connection, filter error) must not look like a clean end.
            if case .failure? = sourceBox.value { queue.fail() } else { queue.close() }
            if case .success(let r)? = sourceBox.value, !r.succeeded { stop.cancel() }
            if case .failure? = sourceBox.value { stop.cancel() }
            sourceDone.signal()
        }
        let sinkErr = CollectingSink(limit: 64 << 10)
        let sinkOut = CollectingSink(limit: 64 << 10)
        var sinkResult: CommandResult
        do {
            let termination = try sink.execute(sinkCommand, stdin: QueueReader(queue: queue), stdout: sinkOut, stderr: sinkErr, cancellation: stop)
            sinkResult = CommandResult(termination: termination, stdout: sinkOut.data, stderr: sinkErr.data)
        } catch {
            queue.abandon()
            stop.cancel()
            sourceDone.wait()
            stop.cancel()
            if case .failure(let sourceError)? = sourceBox.value { throw sourceError }
            throw error
        }
        if !sinkResult.succeeded { stop.cancel() }
        queue.abandon()  // nobody reads any more: a writer still waiting gives up
        sourceDone.wait()
        stop.cancel()  // ends the watcher
        let sourceResult: CommandResult
        switch sourceBox.value {
        case .success(let r)?: sourceResult = r
        case .failure(let e)?: throw e
        case nil: sourceResult = CommandResult(termination: .cancelled)
        }
        if cancellation?.isCancelled == true { sinkResult.termination = .cancelled }
        return Outcome(bytes: counter.bytes, sha256: counter.digest, source: sourceResult, sink: sinkResult)
    }
}

extension Pipe {
    /// What went through a relay: the consumer's answer, the bytes and their SHA-256.
    public struct Relayed<T> {
        public var value: T
        public var bytes: Int64
        public var sha256: String?
    }

    /// Streams what `produce` writes into what `consume` reads (a download from one storage
    /// into an upload to another), through a bounded queue, never whole in memory or on disk.
    /// A producer that fails makes the consumer's read fail (never a clean end), and a consumer
    /// that stops makes the producer's next write fail; the first error is thrown.
    public static func relay<T>(_ produce: @escaping @Sendable (any ByteSink) throws -> Void, hashing: Bool = true,
                                progress: (@Sendable (Int64) -> Void)? = nil, into consume: (any ByteSource) throws -> T) throws -> Relayed<T> {
        let queue = ChunkQueue(capacity: 16)
        let counter = CountingHasher(hashing: hashing, progress: progress)
        let writer = QueueWriter(queue: queue, counter: counter)
        let produced = ProducerBox()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do {
                try produce(writer)
                queue.close()
            } catch {
                produced.error = error
                queue.fail()
            }
            done.signal()
        }
        let value: T
        do {
            value = try consume(QueueReader(queue: queue))
        } catch {
            queue.abandon()
            done.wait()
            if let producerError = produced.error, !(producerError is ReceiverGone) { throw producerError }
            throw error
        }
        queue.abandon()
        done.wait()
        if let producerError = produced.error { throw producerError }
        return Relayed(value: value, bytes: counter.bytes, sha256: counter.digest)
    }
}

private final class ProducerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Error?
    var error: Error? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// A bounded FIFO of byte chunks between one writer thread and one reader thread.
final class ChunkQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [Data] = []
    private var closed = false
    private var abandoned = false
    private var failed = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Blocks while full. Throws if the reader has gone away.
    func push(_ data: Data) throws {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= capacity && !abandoned { condition.wait() }
        if abandoned { throw ReceiverGone() }
        chunks.append(data)
        condition.broadcast()
    }

    /// Blocks while empty; nil at the end of the stream. Throws if the writer failed, so a
    /// reader never mistakes a broken stream for a complete one.
    func pop() throws -> Data? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !closed && !abandoned && !failed { condition.wait() }
        if failed { throw WriterFailed() }
        guard !chunks.isEmpty else { return nil }
        let chunk = chunks.removeFirst()
        condition.broadcast()
        return chunk
    }

    func close() { condition.lock(); closed = true; condition.broadcast(); condition.unlock() }
    func abandon() { condition.lock(); abandoned = true; chunks.removeAll(); condition.broadcast(); condition.unlock() }
    func fail() { condition.lock(); failed = true; chunks.removeAll(); condition.broadcast(); condition.unlock() }
}

/// The sending side of a stream broke before its end.
public struct WriterFailed: Error, CustomStringConvertible {
    public var description: String { "the stream's producer failed before its end" }
}

final class CountingHasher: @unchecked Sendable {
    private var hasher: SHA256?
    private(set) var bytes: Int64 = 0
    private let progress: (@Sendable (Int64) -> Void)?

    init(hashing: Bool, progress: (@Sendable (Int64) -> Void)?) {
        hasher = hashing ? SHA256() : nil
        self.progress = progress
    }

    func consume(_ bytes: UnsafeRawBufferPointer) {
        hasher?.update(bufferPointer: bytes)
        self.bytes += Int64(bytes.count)
        progress?(self.bytes)
    }

    var digest: String? { hasher.map { $0.finalize().map { String(format: "%02x", $0) }.joined() } }
}

/// Rewrites a stream on its way through a ``Pipe`` (e.g. sanitizing the rows of a `COPY`). It is
/// called on one thread, in order; it may hold back a partial record until its end arrives.
public protocol StreamFilter: AnyObject {
    /// Takes the next bytes of the stream and returns what to pass on now.
    func filter(_ bytes: UnsafeRawBufferPointer) throws -> Data
    /// The stream ended normally: whatever is still held back.
    func finish() throws -> Data
}

final class QueueWriter: ByteSink, @unchecked Sendable {
    let queue: ChunkQueue
    let counter: CountingHasher
    let filter: (any StreamFilter)?
    init(queue: ChunkQueue, counter: CountingHasher, filter: (any StreamFilter)? = nil) {
        self.queue = queue
        self.counter = counter
        self.filter = filter
    }
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        counter.consume(bytes)
        guard let filter else { return try queue.push(Data(bytes)) }
        let out = try filter.filter(bytes)
        if !out.isEmpty { try queue.push(out) }
    }
    func finish() throws {
        guard let filter else { return }
        let out = try filter.finish()
        if !out.isEmpty { try queue.push(out) }
    }
}

final class QueueReader: ByteSource {
    let queue: ChunkQueue
    var current = Data()
    var offset = 0
    init(queue: ChunkQueue) { self.queue = queue }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset >= current.count {
            guard let next = try queue.pop() else { return 0 }
            current = next
            offset = 0
        }
        let n = min(buffer.count, current.count - offset)
        current.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }
}

final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<CommandResult, Error>?
    func set(_ r: Result<CommandResult, Error>) { lock.withLock { result = r } }
    var value: Result<CommandResult, Error>? { lock.withLock { result } }
}

/// The receiving side of a pipe ended before the sender.
public struct ReceiverGone: Error, CustomStringConvertible {
    public var description: String { "the receiving command stopped reading" }
}

/// A bounded in-process byte stream between a producer thread (writing into ``sink``) and a
/// consumer thread (reading from ``source``): how a pushed stream (a command's output, a ZIP
/// being written) feeds something that pulls (an upload, a command's input). The producer
/// waits while the consumer is behind; if the consumer gives up, the producer's next write
/// throws instead of blocking forever.
public final class ByteChannel: @unchecked Sendable {
    private let queue: ChunkQueue
    public let sink: ByteSink
    public let source: ByteSource

    public init(capacity: Int = 16) {
        queue = ChunkQueue(capacity: capacity)
        sink = QueueWriter(queue: queue, counter: CountingHasher(hashing: false, progress: nil))
        source = QueueReader(queue: queue)
    }

    /// End of stream: the consumer reads what is queued, then 0.
    public func finish() { queue.close() }
    /// The consumer stopped: pending and future writes fail.
    public func abandon() { queue.abandon() }
    /// The producer broke: the consumer's next read throws (an upload must abort, not complete).
    public func fail() { queue.fail() }
}
