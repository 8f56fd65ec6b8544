import Foundation

/// File-system questions answered through any executor, so they mean the same locally and over SSH.
public struct RemoteFileSystem: Sendable {
    public let executor: any Executor

    public init(_ executor: any Executor) {
        self.executor = executor
    }

    /// Free and total bytes of the file system holding `path`, or of its nearest existing parent.
    public func diskSpace(at path: String) throws -> (free: Int64, total: Int64, mount: String) {
        var candidate = path
        while true {
            let result = try executor.run(Command(["df", "-Pk", candidate], environment: ["LC_ALL": "C"]))
            if result.succeeded, let line = result.stdoutText.split(separator: "\n").dropFirst().first {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                if fields.count >= 6, let total = Int64(fields[1]), let avail = Int64(fields[3]) {
                    return (avail * 1024, total * 1024, String(fields[5]))
                }
            }
            guard candidate != "/" else { throw CommandFailure(command: Command(["df", "-Pk", path]), host: executor.hostDescription, result: result) }
            candidate = (candidate as NSString).deletingLastPathComponent
            if candidate.isEmpty { candidate = "/" }
        }
    }

    public func cpuCount() throws -> Int {
        let text = try executor.output(Command(["nproc"]))
        guard let n = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ExecutionError.io("nproc on \(executor.hostDescription) printed \(text)")
        }
        return n
    }

    /// Total and available memory in bytes, from /proc/meminfo.
    public func memory() throws -> (total: Int64, available: Int64) {
        let text = try executor.output(Command(["cat", "/proc/meminfo"]))
        func value(_ key: String) -> Int64? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return line.split(separator: " ").dropFirst().first.flatMap { Int64($0) }.map { $0 * 1024 }
        }
        guard let total = value("MemTotal") else { throw ExecutionError.io("cannot read memory size on \(executor.hostDescription)") }
        return (total, value("MemAvailable") ?? 0)
    }
}

/// Human-readable byte counts (binary units, as `df -h` prints them).
public func formatBytes(_ bytes: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: value >= 100 ? "%.0f %@" : "%.1f %@", value, units[unit])
}
