/// What a directory ocore writes into, renames or removes may be: absolute, normalized, and not
/// a system directory. A filestore set to `/etc` or `/` would otherwise be moved aside and
/// extracted over by a restore.
public enum PathRules {
    /// Directories (and their parents) that are never a filestore or a backup folder.
    public static let systemDirectories: Set<String> = [
        "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/media", "/mnt", "/opt", "/proc", "/root", "/run",
        "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var", "/var/lib", "/var/log", "/var/tmp", "/usr/lib", "/usr/local", "/usr/bin",
        "/usr/share", "/var/backups", "/var/cache", "/var/spool", "/var/mail", "/var/run", "/etc/ssh",
    ]

    /// `path` without repeated or trailing slashes and `.` components; nil when it is relative or
    /// has a `..` component (the path is refused, never resolved by guessing).
    public static func normalized(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return nil }
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { return nil }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Checks a directory ocore may write, rename or remove; `field` names the option in errors.
    public static func validateDataDirectory(_ path: String, field: String) throws(ModelError) {
        guard !path.contains(where: { $0.isNewline || $0 == "\0" }) else {
            throw .invalidValue(field: field, value: path.debugDescription, reason: "must not contain a newline or NUL")
        }
        guard path.hasPrefix("/") else { throw .invalidValue(field: field, value: path, reason: "must be an absolute path on the server") }
        guard let normal = normalized(path) else { throw .invalidValue(field: field, value: path, reason: "must not contain '..'") }
        if systemDirectories.contains(normal) {
            throw .invalidValue(field: field, value: path, reason: "is a system directory: give a directory of its own (e.g. /var/lib/odoo/filestore/DB)")
        }
    }
}
