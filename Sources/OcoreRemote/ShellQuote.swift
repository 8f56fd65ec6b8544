/// POSIX shell quoting for the one place a string must cross a shell: the command line an SSH
/// server hands to the remote user's shell. Every argument is single-quoted, so nothing in it
/// (`$()`, backquotes, `;`, quotes, newlines) is ever interpreted.
public enum ShellQuote {
    public static func quote(_ argument: String) -> String {
        "'" + argument.replacingAll("'", with: "'\\''") + "'"
    }

    /// Leaves plain words alone for readability in logs; quotes everything else.
    public static func quoteIfNeeded(_ argument: String) -> String {
        let plain = !argument.isEmpty && argument.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_./=:,@%+".unicodeScalars.contains($0)
        }
        return plain ? argument : quote(argument)
    }

    /// First line the remote shell writes to stderr: its PID, which (sshd starting each command
    /// in a session of its own) is also the process group of everything the command starts.
    public static let pidMarker = "\u{1E}ocore-pid "

    /// A remote command line for `command`: announce the PID, then `cd DIR && exec env K=V… ARGV…`,
    /// all quoted.
    public static func remoteCommandLine(for command: Command, announcePID: Bool = false) -> String {
        var parts: [String] = []
        if announcePID { parts.append("printf '\\036ocore-pid %s\\n' \"$$\" >&2;") }
        if let dir = command.workingDirectory { parts.append("cd \(quote(dir)) &&") }
        parts.append("exec")
        if !command.environment.isEmpty {
            parts.append("env")
            parts += command.environment.keys.sorted().map { quote("\($0)=\(command.environment[$0]!)") }
        }
        parts += command.arguments.map(quote)
        return parts.joined(separator: " ")
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
