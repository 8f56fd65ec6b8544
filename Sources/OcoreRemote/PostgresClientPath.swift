import Foundation

/// Where a PostgreSQL client program really is on this host.
///
/// On Debian and Ubuntu, `psql`, `pg_dump`, `pg_restore`, `createdb`… in `PATH` are links to
/// `pg_wrapper`, a Perl script that picks a version and then runs `/usr/lib/postgresql/N/bin/…`.
/// Starting Perl costs about 25 ms a call; a clone from a golden copy makes a dozen client calls
/// in two seconds, so the wrapper alone was a fifth of it. When the command names its server
/// (`-h`, `--host`, or `PGHOST`), the wrapper's own rule is "the newest installed version that
/// has the program": the same choice is made here, without Perl. Without an explicit host the
/// wrapper consults the operator's cluster maps (`~/.postgresqlrc`, `PGCLUSTER`), so the command
/// is left to it.
enum PostgresClientPath {
    static let wrapper = "/usr/share/postgresql-common/pg_wrapper"
    static let versionsRoot = "/usr/lib/postgresql"

    /// The program to start for `command`: its own name unless it is a wrapped client with an explicit host.
    static func program(for command: Command, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String {
        let name = command.program
        guard !name.contains("/"), namesHost(command), let found = lookUp(name, in: path),
              (try? FileManager.default.destinationOfSymbolicLink(atPath: found)).map(resolvesToWrapper(from: found)) == true,
              let real = newestVersion(of: name) else { return name }
        return real
    }

    static func namesHost(_ command: Command) -> Bool {
        command.environment["PGHOST"] != nil || ProcessInfo.processInfo.environment["PGHOST"] != nil
            || command.arguments.dropFirst().contains { $0.hasPrefix("-h") || $0.hasPrefix("--host") }
    }

    /// The first executable `name` in `path`, as `execvp` would find it.
    static func lookUp(_ name: String, in path: String?) -> String? {
        for dir in (path ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private static func resolvesToWrapper(from link: String) -> (String) -> Bool {
        { destination in
            let absolute = destination.hasPrefix("/") ? destination : (link as NSString).deletingLastPathComponent + "/" + destination
            return (absolute as NSString).standardizingPath == wrapper
        }
    }

    /// `/usr/lib/postgresql/<newest>/bin/<name>`, versions compared as numbers (15 after 9.6).
    static func newestVersion(of name: String, root: String = versionsRoot) -> String? {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .filter { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/\(name)") }
            .sorted { $0.split(separator: ".").compactMap { Int($0) }.lexicographicallyPrecedes($1.split(separator: ".").compactMap { Int($0) }) }
        return versions.last.map { "\(root)/\($0)/bin/\(name)" }
    }
}
