import Foundation
@testable import OcoreRemote
import Testing

@Suite("PostgreSQL clients start without Debian's version wrapper")
struct PostgresClientPathTests {
    @Test("a client that names its server runs the newest installed version directly, as the wrapper would pick it")
    func namedServerSkipsTheWrapper() throws {
        let wrapped = try #require(PostgresClientPath.lookUp("psql", in: ProcessInfo.processInfo.environment["PATH"]))
        try #require(try FileManager.default.destinationOfSymbolicLink(atPath: wrapped).hasSuffix("pg_wrapper"),
                     "this host's psql is Debian's pg_wrapper")
        let real = PostgresClientPath.program(for: Command(["psql", "-h", "/tmp", "-p", "5432", "-c", "SELECT 1"]))
        #expect(real == PostgresClientPath.newestVersion(of: "psql"))
        #expect(real.hasPrefix("/usr/lib/postgresql/") && real.hasSuffix("/bin/psql"))
        #expect(PostgresClientPath.program(for: Command(["pg_dump", "--host=db.internal", "-d", "x"])).hasSuffix("/bin/pg_dump"))
        #expect(PostgresClientPath.program(for: Command(["pg_restore", "-d", "x"], environment: ["PGHOST": "/tmp"])).hasSuffix("/bin/pg_restore"))
        // And it really runs: the same program answers as through the wrapper.
        let version = try LocalExecutor().output(Command(["psql", "-h", "/tmp", "--version"]))
        #expect(version.hasPrefix("psql (PostgreSQL)"))
    }

    @Test("without a named server, other programs, or a path given, the command is left as it is")
    func otherCommandsUnchanged() {
        // Without a host the wrapper consults the operator's cluster maps (~/.postgresqlrc, PGCLUSTER).
        #expect(PostgresClientPath.program(for: Command(["psql", "-d", "x"])) == "psql" || ProcessInfo.processInfo.environment["PGHOST"] != nil)
        #expect(PostgresClientPath.program(for: Command(["ls", "-h"])) == "ls")
        #expect(PostgresClientPath.program(for: Command(["/usr/bin/psql", "-h", "/tmp"])) == "/usr/bin/psql")
    }

    @Test("versions are compared as numbers, and only one that has the program counts")
    func newestVersionHasTheProgram() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ocore-pgversions-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (version, hasProgram) in [("9.6", true), ("15", true), ("16", false)] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(version)/bin", withIntermediateDirectories: true)
            if hasProgram {
                FileManager.default.createFile(atPath: "\(root)/\(version)/bin/pg_dump", contents: Data("#!/bin/sh\n".utf8),
                                               attributes: [.posixPermissions: 0o755])
            }
        }
        #expect(PostgresClientPath.newestVersion(of: "pg_dump", root: root) == "\(root)/15/bin/pg_dump")
        #expect(PostgresClientPath.newestVersion(of: "psql", root: root) == nil)
    }
}
