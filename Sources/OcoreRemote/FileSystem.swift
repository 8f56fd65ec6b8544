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

    /// The 1-minute load average, from /proc/loadavg.
    public func loadAverage() throws -> Double {
        let text = try executor.output(Command(["cat", "/proc/loadavg"]))
        guard let first = text.split(separator: " ").first, let load = Double(first) else {
            throw ExecutionError.io("cannot read the load average on \(executor.hostDescription)")
        }
        return load
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

extension RemoteFileSystem {
    /// Bytes used by the tree at `path` (`du -sb`), or nil if it does not exist.
    public func treeSize(_ path: String) throws -> Int64? {
        let result = try executor.run(Command(["du", "-sb", "--", path], environment: ["LC_ALL": "C"]))
        guard result.succeeded else {
            if result.stderrText.contains("No such file") { return nil }
            throw CommandFailure(command: Command(["du", "-sb", path]), host: executor.hostDescription, result: result)
        }
        return result.stdoutText.split(separator: "\t").first.flatMap { Int64($0) }
    }

    public enum EntryKind: Sendable, Equatable { case file, directory, other }

    /// Kind and size of `path`, or nil if it does not exist.
    public func stat(_ path: String) throws -> (kind: EntryKind, size: Int64)? {
        let result = try executor.run(Command(["stat", "-c", "%F|%s", "--", path], environment: ["LC_ALL": "C"]))
        guard result.succeeded else { return nil }
        let parts = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|")
        guard parts.count == 2 else { return nil }
        let kind: EntryKind = parts[0].hasPrefix("regular") ? .file : parts[0] == "directory" ? .directory : .other
        return (kind, Int64(parts[1]) ?? 0)
    }

    /// A new private directory under `/var/tmp` (survives a reboot's /tmp wipe; large dumps fit
    /// better there than in a RAM-backed /tmp). The caller removes it.
    public func makeTemporaryDirectory(prefix: String) throws -> String {
        let path = try executor.output(Command(["mktemp", "-d", "-p", "/var/tmp", "\(prefix)-XXXXXXXX"])).trimmingCharacters(in: .whitespacesAndNewlines)
        guard path.hasPrefix("/var/tmp/\(prefix)-") else { throw ExecutionError.io("mktemp on \(executor.hostDescription) printed \(path)") }
        return path
    }

    /// Reads a small file (a configuration) on the server; more than `limit` bytes is an error.
    public func readFile(_ path: String, limit: Int) throws -> Data {
        let result = try executor.run(Command(["cat", "--", path]), outputLimit: limit + 1)
        guard result.succeeded else { throw ExecutionError.io("cannot read \(path) on \(executor.hostDescription): \(result.summary)") }
        guard result.stdout.count <= limit else { throw ExecutionError.io("\(path) on \(executor.hostDescription) is larger than \(limit) bytes") }
        return result.stdout
    }

    /// Writes a small file (a list, a note) on the server, replacing it.
    public func writeFile(_ path: String, _ data: Data) throws {
        let result = try executor.run(Command(["dd", "of=\(path)", "status=none"]), input: data)
        guard result.succeeded else { throw ExecutionError.io("cannot write \(path) on \(executor.hostDescription): \(result.summary)") }
    }

    public func makeDirectory(_ path: String) throws {
        _ = try executor.output(Command(["mkdir", "-p", "--", path]))
    }

    /// Removes a tree. Refuses `/` and top-level directories, the classic catastrophe.
    public func removeTree(_ path: String) throws {
        let components = path.split(separator: "/").filter { $0 != "." }
        guard path.hasPrefix("/"), components.count >= 2, !components.contains("..") else {
            throw ExecutionError.io("refusing to remove \(path): only absolute paths at least two levels deep are removed")
        }
        _ = try executor.output(Command(["rm", "-rf", "--one-file-system", "--", path]))
    }

    /// Renames `from` to `to`, which must not exist.
    public func rename(_ from: String, to: String) throws {
        if try stat(to) != nil { throw ExecutionError.io("cannot rename \(from): \(to) already exists") }
        _ = try executor.output(Command(["mv", "-T", "--", from, to]))
    }

    /// Whether files copied into `directory` can share `sample`'s blocks (`cp --reflink`: XFS with
    /// reflink, btrfs): one file is cloned there under a probe name and removed again. `sample`
    /// is only read.
    public func canReflink(_ sample: String, into directory: String) -> Bool {
        let probe = directory + "/.ocore-reflink-probe-" + UUID().uuidString.prefix(8)
        let cloned = try? executor.run(Command(["cp", "--reflink=always", "--", sample, probe]))
        _ = try? executor.run(Command(["rm", "-f", "--", probe]))
        return cloned?.succeeded == true
    }

    /// One regular file under `directory`, if it has any.
    public func anyFile(under directory: String) throws -> String? {
        let found = try executor.output(Command(["find", directory, "-type", "f", "-print", "-quit"])).trimmingCharacters(in: .whitespacesAndNewlines)
        return found.isEmpty ? nil : found
    }

    /// Copies a tree as hard links (same file system; Odoo never rewrites a stored file, so a
    /// filestore copied this way is safe and instant).
    public func hardlinkCopy(_ from: String, to: String) throws {
        _ = try executor.output(Command(["cp", "-al", "--", from, to]))
    }

    /// A command writing the tree at `directory` as a tar stream on stdout.
    public static func tarOut(_ directory: String, compress: Bool = false) -> Command { Command(["tar", "-C", directory, compress ? "-czf" : "-cf", "-", "."]) }

    /// A command extracting a tar stream from stdin into `directory` (which must exist).
    public static func tarIn(_ directory: String, compressed: Bool = false) -> Command { Command(["tar", "-C", directory, compressed ? "-xzf" : "-xf", "-"]) }

    /// Copies a tree from one executor's machine to another's as a tar stream through this
    /// process (no temporary file on either side).
    public static func copyTree(from source: RemoteFileSystem, _ sourceDir: String, to target: RemoteFileSystem, _ targetDir: String, compress: Bool = false,
                                progress: (@Sendable (Int64) -> Void)? = nil, cancellation: CancellationFlag? = nil) throws -> Int64 {
        try target.makeDirectory(targetDir)
        let outcome = try Pipe.run(from: source.executor, tarOut(sourceDir, compress: compress), to: target.executor, tarIn(targetDir, compressed: compress),
                                   progress: progress, cancellation: cancellation)
        guard outcome.succeeded else {
            let failed = outcome.source.succeeded ? outcome.sink : outcome.source
            throw ExecutionError.io("copying \(sourceDir) to \(targetDir) failed: \(failed.summary)")
        }
        return outcome.bytes
    }
}

extension RemoteFileSystem {
    /// What a directory ocore is about to move aside or replace turns out to be on the server.
    public enum DirectoryCheck: Equatable, Sendable {
        case absent
        /// Its real path (symlinks resolved) and whether it holds only what a filestore holds.
        case present(realPath: String, looksLikeFilestore: Bool, strangers: [String])
    }

    /// Resolves `path`'s symlinks and lists its entries: an Odoo filestore holds only directories
    /// named by two hex digits (the first byte of each file's SHA-1), and `checklist/`.
    public func inspectFilestore(_ path: String) throws -> DirectoryCheck {
        guard try stat(path) != nil else { return .absent }
        let real = try executor.output(Command(["readlink", "-f", "--", path])).trimmingCharacters(in: .newlines)
        let listing = try executor.run(Command(["find", real + "/", "-mindepth", "1", "-maxdepth", "1", "-printf", "%y %f\\n"]), outputLimit: 1 << 20)
        guard listing.succeeded else { throw ExecutionError.io("cannot list \(real) on \(executor.hostDescription): \(listing.summary)") }
        let hex = Set("0123456789abcdef")
        let strangers = listing.stdoutText.split(separator: "\n").compactMap { line -> String? in
            let kind = line.prefix(1), name = String(line.dropFirst(2))
            let fits = kind == "d" && ((name.count == 2 && name.allSatisfy(hex.contains)) || name == "checklist")
            return fits ? nil : name
        }
        return .present(realPath: real, looksLikeFilestore: strangers.isEmpty, strangers: Array(strangers.prefix(5)))
    }
}
