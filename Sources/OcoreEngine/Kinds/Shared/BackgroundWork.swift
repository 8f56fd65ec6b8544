import Foundation

/// A byte count written by one thread and read by another.
final class ByteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: Int64 = 0
    func set(_ n: Int64) { lock.withLock { bytes = n } }
    func add(_ n: Int64) { lock.withLock { bytes += n } }
    var value: Int64 { lock.withLock { bytes } }
}

/// Work on its own thread whose result is awaited later.
final class BackgroundWork<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result: Result<T, Error>?

    init(_ work: @escaping @Sendable () throws -> T) {
        Thread.detachNewThread { [self] in
            let r = Result { try work() }
            lock.withLock { result = r }
            done.signal()
        }
    }

    var isDone: Bool { lock.withLock { result != nil } }

    func wait() -> Result<T, Error> {
        done.wait()
        done.signal()
        return lock.withLock { result! }
    }
}


/// A random key for psql's `\\restrict` (letters and digits, as pg_dump makes them).
func randomKey() -> String {
    let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    return String((0..<48).map { _ in letters.randomElement()! })
}

/// Reads a file on this host in chunks.
func readFile(_ path: String, chunk: (Data) throws -> Void) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw StepFailure.check("archive", "cannot read \(path)") }
    defer { try? handle.close() }
    while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty { try chunk(data) }
}
