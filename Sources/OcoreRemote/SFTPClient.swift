import CLibssh2
import Foundation

/// File transfer over an SSH connection's SFTP subsystem (libssh2), with streamed reads and writes.
/// Runs in blocking mode with a session timeout; one operation at a time per connection.
public final class SFTPClient: @unchecked Sendable {
    private let ssh: SSHSession

    init(ssh: SSHSession) {
        self.ssh = ssh
    }

    public struct Entry: Sendable, Equatable {
        public var path: String
        public var size: Int64
        public var isDirectory: Bool
        public var modified: Date? = nil
    }

    /// Writes `source` to `path`, which must not exist yet (SFTP has no atomic rename-over).
    @discardableResult
    public func write(path: String, from source: ByteSource, progress: ((Int64) -> Void)? = nil) throws -> Int64 {
        try withSFTP { sftp in
            guard let handle = ocore_sftp_open(sftp, path, ocore_sftp_flags_write_create_excl(), 0o600) else {
                throw failure("create \(path)", sftp)
            }
            var closed = false
            defer { if !closed { _ = ocore_sftp_close(handle) } }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var total: Int64 = 0
            while true {
                let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { break }
                var offset = 0
                while offset < n {
                    let w = buffer.withUnsafeBytes { raw in
                        libssh2_sftp_write(handle, raw.baseAddress!.assumingMemoryBound(to: CChar.self) + offset, n - offset)
                    }
                    guard w > 0 else { throw failure("write \(path)", sftp) }
                    offset += w
                }
                total += Int64(n)
                progress?(total)
            }
            closed = true
            guard ocore_sftp_close(handle) == 0 else { throw failure("close \(path)", sftp) }
            return total
        }
    }

    /// Streams the file at `path` into `sink`.
    public func read(path: String, into sink: ByteSink) throws {
        try withSFTP { sftp in
            guard let handle = ocore_sftp_open(sftp, path, ocore_sftp_flags_read(), 0) else {
                throw failure("open \(path)", sftp)
            }
            defer { _ = ocore_sftp_close(handle) }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = buffer.withUnsafeMutableBytes { raw in
                    libssh2_sftp_read(handle, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
                }
                if n == 0 { return }
                guard n > 0 else { throw failure("read \(path)", sftp) }
                try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
        }
    }

    /// Size of a file, or nil if it does not exist.
    public func stat(path: String) throws -> Entry? {
        try withSFTP { sftp in
            var attrs = LIBSSH2_SFTP_ATTRIBUTES()
            guard ocore_sftp_stat(sftp, path, &attrs) == 0 else {
                if libssh2_sftp_last_error(sftp) == UInt(LIBSSH2_FX_NO_SUCH_FILE) { return nil }
                throw failure("stat \(path)", sftp)
            }
            let isDir = (attrs.permissions & UInt(LIBSSH2_SFTP_S_IFMT)) == UInt(LIBSSH2_SFTP_S_IFDIR)
            return Entry(path: path, size: Int64(attrs.filesize), isDirectory: isDir)
        }
    }

    public func rename(from: String, to: String) throws {
        try withSFTP { sftp in
            guard ocore_sftp_rename(sftp, from, to) == 0 else { throw failure("rename \(from) to \(to)", sftp) }
        }
    }

    public func remove(path: String) throws {
        try withSFTP { sftp in
            guard ocore_sftp_unlink(sftp, path) == 0 || libssh2_sftp_last_error(sftp) == UInt(LIBSSH2_FX_NO_SUCH_FILE) else {
                throw failure("delete \(path)", sftp)
            }
        }
    }

    /// Creates `path` and its missing parents.
    public func makeDirectories(_ path: String) throws {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if let entry = try stat(path: current) {
                guard entry.isDirectory else { throw SSHError.channelFailed(destination: ssh.destination, reason: "\(current) is not a directory") }
                continue
            }
            do {
                try withSFTP { sftp in
                    guard ocore_sftp_mkdir(sftp, current, 0o700) == 0 else { throw failure("mkdir \(current)", sftp) }
                }
            } catch {
                // Another connection made it in the meantime (parallel uploads into one folder).
                guard let made = try stat(path: current), made.isDirectory else { throw error }
            }
        }
    }

    /// Every regular file below `directory`, recursively, with paths relative to it.
    public func listFiles(under directory: String) throws -> [Entry] {
        var result: [Entry] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let dir = relative.isEmpty ? directory : directory + "/" + relative
            let entries: [(String, Entry)] = try withSFTP { sftp in
                guard let handle = libssh2_sftp_open_ex(sftp, dir, UInt32(dir.utf8.count), 0, 0, LIBSSH2_SFTP_OPENDIR) else {
                    if libssh2_sftp_last_error(sftp) == UInt(LIBSSH2_FX_NO_SUCH_FILE) { return [] }
                    throw failure("list \(dir)", sftp)
                }
                defer { _ = ocore_sftp_close(handle) }
                var items: [(String, Entry)] = []
                var name = [CChar](repeating: 0, count: 1024)
                while true {
                    var attrs = LIBSSH2_SFTP_ATTRIBUTES()
                    let n = libssh2_sftp_readdir_ex(handle, &name, name.count, nil, 0, &attrs)
                    if n <= 0 { break }
                    let entryName = String(decoding: name[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    if entryName == "." || entryName == ".." { continue }
                    let isDir = (attrs.permissions & UInt(LIBSSH2_SFTP_S_IFMT)) == UInt(LIBSSH2_SFTP_S_IFDIR)
                    let rel = relative.isEmpty ? entryName : relative + "/" + entryName
                    items.append((rel, Entry(path: rel, size: Int64(attrs.filesize), isDirectory: isDir, modified: Date(timeIntervalSince1970: TimeInterval(attrs.mtime)))))
                }
                return items
            }
            for (rel, entry) in entries {
                if entry.isDirectory { pending.append(rel) } else { result.append(entry) }
            }
        }
        return result.sorted { $0.path < $1.path }
    }

    private func withSFTP<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        try ssh.withSession { session, _ in
            libssh2_session_set_blocking(session, 1)
            libssh2_session_set_timeout(session, 60_000)
            defer { libssh2_session_set_timeout(session, 0) }
            guard let sftp = libssh2_sftp_init(session) else {
                throw SSHError.channelFailed(destination: ssh.destination, reason: "SFTP subsystem unavailable: \(ssh.lastError)")
            }
            defer { libssh2_sftp_shutdown(sftp) }
            return try body(sftp)
        }
    }

    private func failure(_ operation: String, _ sftp: OpaquePointer) -> SSHError {
        let code = libssh2_sftp_last_error(sftp)
        let reason: String = switch code {
        case LIBSSH2_FX_NO_SUCH_FILE: "no such file"
        case LIBSSH2_FX_PERMISSION_DENIED: "permission denied"
        case LIBSSH2_FX_FILE_ALREADY_EXISTS: "file already exists"
        case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM: "no space left"
        case LIBSSH2_FX_FAILURE: "failure"
        default: code == 0 ? ssh.lastError : "SFTP status \(code)"
        }
        return .channelFailed(destination: ssh.destination, reason: "SFTP \(operation): \(reason)")
    }
}

extension SSHExecutor {
    /// An SFTP client on this executor's connection.
    public func sftp() throws -> SFTPClient {
        SFTPClient(ssh: try connectedSession())
    }
}
