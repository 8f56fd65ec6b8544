import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where bytes for a command's standard input come from. `read` returns 0 at end of input, and
/// a negative number for "nothing yet" (the executor keeps reading the command's output and asks
/// again shortly: how a session is held open until its owner is done with it).
public protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Where a command's output goes, chunk by chunk, as it arrives.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// Runs commands on one machine: this host, or a server over SSH. Implementations behave the same:
/// argument vectors (never a shell string), streamed input and output, exit status as a result,
/// timeouts and cancellation.
public protocol Executor: Sendable {
    /// Names the machine in messages ("local", "root@127.0.0.2:2222").
    var hostDescription: String { get }

    /// Runs `command`, streaming `stdin` into it and its output into the sinks until it ends.
    /// Throws only when the command could not be started or the connection broke; how the command
    /// itself ended is in the returned termination.
    func execute(_ command: Command, stdin: ByteSource?, stdout: ByteSink, stderr: ByteSink,
                 cancellation: CancellationFlag?) throws -> CommandResult.Termination
}

extension Executor {
    /// Runs `command` and collects its output, keeping at most `outputLimit` bytes of each stream.
    public func run(_ command: Command, input: Data? = nil, outputLimit: Int = 16 << 20,
                    cancellation: CancellationFlag? = nil) throws -> CommandResult {
        let out = CollectingSink(limit: outputLimit)
        let err = CollectingSink(limit: 1 << 20)
        let source = input.map(DataSource.init)
        let termination = try execute(command, stdin: source, stdout: out, stderr: err, cancellation: cancellation)
        return CommandResult(termination: termination, stdout: out.data, stderr: err.data)
    }

    /// Runs `command` and returns its standard output, throwing a ``CommandFailure`` when it fails.
    public func output(_ command: Command, input: Data? = nil) throws -> String {
        let result = try run(command, input: input)
        guard result.succeeded else { throw CommandFailure(command: command, host: hostDescription, result: result) }
        return result.stdoutText
    }
}

/// A command ran and did not succeed.
public struct CommandFailure: Error, CustomStringConvertible, Sendable {
    public var command: Command
    public var host: String
    public var result: CommandResult

    public init(command: Command, host: String, result: CommandResult) {
        self.command = command
        self.host = host
        self.result = result
    }

    public var description: String { "\(command.program) on \(host) failed (\(result.summary))" }
}

/// Set from any thread to ask a running command to stop; executors poll it. It also tells its
/// owner which local process groups are running for it, so a job engine can kill them after a
/// crash of the process that started them.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private let processStarted: (@Sendable (Int32) -> Void)?
    private let processEnded: (@Sendable (Int32) -> Void)?

    public init(processStarted: (@Sendable (Int32) -> Void)? = nil, processEnded: (@Sendable (Int32) -> Void)? = nil) {
        self.processStarted = processStarted
        self.processEnded = processEnded
    }

    /// A new flag that reports processes to the same owner (for commands started on its behalf).
    public func derived() -> CancellationFlag {
        CancellationFlag(processStarted: processStarted, processEnded: processEnded)
    }

    func started(processGroup: Int32) { processStarted?(processGroup) }
    func ended(processGroup: Int32) { processEnded?(processGroup) }

    public func cancel() { lock.withLock { cancelled = true } }
    public var isCancelled: Bool { lock.withLock { cancelled } }
}

/// Keeps the first `limit` bytes written to it.
public final class CollectingSink: ByteSink {
    public private(set) var data = Data()
    public private(set) var truncated = false
    let limit: Int

    public init(limit: Int) { self.limit = limit }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        let room = limit - data.count
        if bytes.count > room { truncated = true }
        if room > 0 { data.append(contentsOf: bytes.prefix(room)) }
    }
}

/// Counts bytes and drops them.
public final class DiscardingSink: ByteSink {
    public private(set) var count = 0
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { count += bytes.count }
}

/// Feeds a `Data` value as standard input.
public final class DataSource: ByteSource {
    let data: Data
    var offset = 0

    public init(_ data: Data) { self.data = data }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, data.count - offset)
        guard n > 0 else { return 0 }
        data.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

/// Streams from an open file descriptor (e.g. 0, this process's standard input).
public final class FileDescriptorSource: ByteSource {
    let fd: Int32
    public init(_ fd: Int32) { self.fd = fd }
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw ExecutionError.io("read failed: \(String(cString: strerror(errno)))") }
        }
    }
}

/// Writes to an open file descriptor (e.g. 1, this process's standard output).
public final class FileDescriptorSink: ByteSink {
    let fd: Int32
    public init(_ fd: Int32) { self.fd = fd }
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 { if errno == EINTR { continue }; throw ExecutionError.io("write failed: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }
}
