import Foundation
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

/// A small Odoo-shaped database, its plain dump, and an ocore home with it as production.
struct HostileDumpFixture {
    let ocore = OcoreBinary()
    let source = "hx_\(UUID().uuidString.prefix(8).lowercased())"
    let dir = TestDirectories.make("hostile-dumps", worldTraversable: true)
    /// A file that exists only if something in a dump ran a command.
    let marker: String

    init() throws {
        marker = dir + "/ran"
        try TestPostgres.psql().execute("CREATE DATABASE \(SQL.identifier(source)) TEMPLATE template0;")
        try TestPostgres.psql(source).execute("""
            CREATE TABLE res_users (id serial PRIMARY KEY, login text);
            CREATE TABLE ir_module_module (id serial PRIMARY KEY, name text, state text);
            CREATE TABLE ir_attachment (id serial PRIMARY KEY, store_fname text);
            CREATE TABLE ir_config_parameter (id serial PRIMARY KEY, key text, value text);
            INSERT INTO res_users (login) VALUES ('admin'), ('back\\slash');
            INSERT INTO ir_module_module (name, state) VALUES ('base', 'installed');
            """)
        try ocore.addLocalServer()
        _ = try ocore.ok(["env", "add", "production", "--project", "acme", "--type", "production", "--server", "local", "--db", source])
    }

    /// The source's plain dump (as pg_dump writes it) with `tail` appended.
    func dump(_ name: String, appending tail: String) throws -> String {
        let c = TestPostgres.cluster.connection(database: source)
        let dump = try LocalExecutor().run(Command(["pg_dump", "--no-owner"] + c.clientArguments + ["-d", source], environment: c.clientEnvironment), outputLimit: 1 << 26)
        #expect(dump.succeeded, "\(dump.stderrText)")
        let path = dir + "/" + name
        try (dump.stdout + Data(tail.utf8)).write(to: URL(fileURLWithPath: path))
        return path
    }

    func importInto(_ path: String, _ name: String) throws -> CommandResult {
        try ocore.run(["restore", "import", path, "--new", name, "--type", "development", "--preset", "none", "--i-understand-the-risk", "--as-moved", "--yes"])
    }

    func databaseExists(_ name: String) throws -> Bool {
        try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = \(SQL.literal(name))") == "1"
    }

    /// The temporary load roles a restore's output names that still exist.
    func leftoverRoles(_ result: CommandResult) throws -> [String] {
        let named = said(result).split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).filter { $0.hasPrefix("ocore_load_") }
        #expect(!named.isEmpty, "the restore names its load role")
        return try Set(named).sorted().filter { try TestPostgres.psql().scalar("SELECT count(*) FROM pg_roles WHERE rolname = \(SQL.literal(String($0)))") != "0" }.map(String.init)
    }

    /// The job's whole output and log, to read what it said.
    func said(_ result: CommandResult) -> String { result.stdoutText + result.stderrText }
}

@Suite("Hostile dumps (real PostgreSQL)", .serialized)
struct HostileDumpTests {
    @Test("a dump.sql with \\!, \\o, COPY … TO PROGRAM or ALTER ROLE … SUPERUSER is refused with its line before anything is created or touched; nothing runs")
    func refusedBeforeAnything() throws {
        let f = try HostileDumpFixture()
        try TestPostgres.psql().execute("DROP ROLE IF EXISTS hx_plain; CREATE ROLE hx_plain NOSUPERUSER;")
        let hostile = [
            "\\! touch \(f.marker)\n",
            "SELECT 1; \\o \(f.marker)\n",
            "COPY (SELECT 1) TO PROGRAM 'touch \(f.marker)';\n",
            "ALTER ROLE hx_plain SUPERUSER;\n",
        ]
        let dumpLines = try String(contentsOfFile: try f.dump("plain.sql", appending: ""), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).count
        for (i, tail) in hostile.enumerated() {
            let path = try f.dump("hostile-\(i).sql", appending: tail)
            let result = try f.importInto(path, "hx_new_\(i)")
            #expect(!result.succeeded)
            #expect(f.said(result).contains("the dump is refused (line \(dumpLines):"), "\(f.said(result))")
            #expect(f.said(result).contains("nothing on the target was touched"))
            #expect(!FileManager.default.fileExists(atPath: f.marker), "a dump ran a command: \(tail)")
            #expect(try !f.databaseExists("hx_new_\(i)"))
        }
        #expect(try TestPostgres.psql().scalar("SELECT rolsuper FROM pg_roles WHERE rolname = 'hx_plain'") == "f")

        // In place, into an existing environment: refused before its safety backup or its drop.
        try TestPostgres.psql().execute("CREATE DATABASE hx_victim TEMPLATE \(SQL.identifier(f.source));")
        _ = try f.ocore.ok(["env", "add", "victim", "--project", "acme", "--type", "development", "--server", "local", "--db", "hx_victim"])
        let inPlace = try f.ocore.run(["restore", "import", try f.dump("in-place.sql", appending: hostile[0]), "--to", "victim", "--no-safety-backup", "--i-understand-the-risk",
                                       "--preset", "none", "--yes"])
        #expect(!inPlace.succeeded && f.said(inPlace).contains("the dump is refused"))
        #expect(try TestPostgres.psql("hx_victim").scalar("SELECT count(*) FROM res_users") == "2")
        try TestPostgres.psql().execute("DROP DATABASE hx_victim WITH (FORCE); DROP ROLE hx_plain;")
    }

    @Test("what no reader of the text can see is refused by the load itself: it runs as a role without superuser rights under psql's \\restrict")
    func refusedByTheLoad() throws {
        let f = try HostileDumpFixture()
        // A command built at run time: only PostgreSQL knows, and it refuses the loading role.
        let dynamic = try f.importInto(try f.dump("dynamic.sql", appending: "DO $$BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch \(f.marker)'''; END$$;\n"), "hx_dyn")
        #expect(!dynamic.succeeded)
        #expect(f.said(dynamic).contains("must be superuser or have privileges of the pg_execute_server_program role"), "\(f.said(dynamic))")
        // psql told to read strings another way hides a command from any reader that does not
        // follow the server's settings; \restrict stops it all the same.
        let flipped = try f.importInto(try f.dump("flipped.sql", appending: """
            SELECT pg_catalog.set_config('standard_conforming_strings', 'off', false);
            SELECT 'a\\'' \\! touch \(f.marker) '
            ;

            """), "hx_flip")
        #expect(!flipped.succeeded)
        #expect(f.said(flipped).contains("backslash commands are restricted"), "\(f.said(flipped))")
        #expect(!FileManager.default.fileExists(atPath: f.marker))
        #expect(try !f.databaseExists("hx_dyn") && !f.databaseExists("hx_flip"))
        #expect(try f.leftoverRoles(dynamic) == [] && f.leftoverRoles(flipped) == [])

        // The same dump without the hostile part loads, as its owner, with its rows.
        let clean = try f.importInto(try f.dump("clean.sql", appending: ""), "hx_clean")
        #expect(clean.succeeded, "\(f.said(clean))")
        #expect(try TestPostgres.psql("hx_clean").scalar("SELECT string_agg(login, ',' ORDER BY id) FROM res_users") == "admin,back\\slash")
        #expect(try TestPostgres.psql().scalar("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'hx_clean'") == TestPostgres.cluster.superuser)
        #expect(try f.leftoverRoles(clean) == [])
    }

    @Test("a custom-format dump that brings a foreign-data extension is refused by its table of contents before anything is created")
    func customFormat() throws {
        let f = try HostileDumpFixture()
        try TestPostgres.psql(f.source).execute("CREATE EXTENSION postgres_fdw;")
        let c = TestPostgres.cluster.connection(database: f.source)
        let path = f.dir + "/fdw.dump"
        let dump = try LocalExecutor().run(Command(["pg_dump", "-Fc", "-f", path] + c.clientArguments + ["-d", f.source], environment: c.clientEnvironment))
        #expect(dump.succeeded, "\(dump.stderrText)")
        let result = try f.importInto(path, "hx_fdw")
        #expect(!result.succeeded)
        #expect(f.said(result).contains("EXTENSION postgres_fdw is not allowed"), "\(f.said(result))")
        #expect(try !f.databaseExists("hx_fdw"))
    }

    @Test("archives are checked whole before anything is touched: a CRC-corrupt member, a member lying about its size, a zip bomb and a '..' path are each refused")
    func hostileArchives() throws {
        let f = try HostileDumpFixture()
        let dump = try f.dump("clean.sql", appending: "")
        try TestPostgres.psql().execute("DROP DATABASE IF EXISTS hx_arch WITH (FORCE); CREATE DATABASE hx_arch TEMPLATE \(SQL.identifier(f.source));")
        defer { try? TestPostgres.psql().execute("DROP DATABASE hx_arch WITH (FORCE);") }
        _ = try f.ocore.ok(["env", "add", "arch", "--project", "acme", "--type", "development", "--server", "local", "--db", "hx_arch"])
        try TestPostgres.psql("hx_arch").execute("INSERT INTO res_users (login) VALUES ('still here');")
        _ = try LocalExecutor().output(Command(["python3", "-c", """
            import sys, zipfile, zlib, struct
            dump, out = sys.argv[1], sys.argv[2]
            sql = open(dump, 'rb').read()
            # CRC: a stored member with one byte changed after the fact.
            with zipfile.ZipFile(out + '/crc.zip', 'w', zipfile.ZIP_STORED) as z: z.writestr('dump.sql', sql)
            data = bytearray(open(out + '/crc.zip', 'rb').read()); i = data.find(b'CREATE TABLE'); data[i] ^= 0x20
            open(out + '/crc.zip', 'wb').write(bytes(data))
            # Size: a deflated member that declares twice its real length (both headers patched).
            with zipfile.ZipFile(out + '/size.zip', 'w', zipfile.ZIP_DEFLATED) as z: z.writestr('dump.sql', sql)
            data = bytearray(open(out + '/size.zip', 'rb').read())
            struct.pack_into('<I', data, 22, len(sql) * 2)
            c = data.rfind(b'PK\\x01\\x02'); struct.pack_into('<I', data, c + 24, len(sql) * 2)
            open(out + '/size.zip', 'wb').write(bytes(data))
            # A bomb: 64 MiB of zeros in a few dozen KiB.
            with zipfile.ZipFile(out + '/bomb.zip', 'w', zipfile.ZIP_DEFLATED) as z:
                z.writestr('dump.sql', sql); z.writestr('filestore/ab/abomb', b'\\0' * (64 << 20))
            # A path out of the filestore.
            with zipfile.ZipFile(out + '/dots.zip', 'w') as z:
                z.writestr('dump.sql', sql); z.writestr('filestore/../../../etc/ocore-evil', b'x')
            """, dump, f.dir]))
        let cases = ["crc.zip": "CRC", "size.zip": "declares", "bomb.zip": "refused as a zip bomb", "dots.zip": "a '..' component"]
        for (file, expected) in cases {
            let inPlace = ["--to", "arch", "--confirm", "arch", "--no-safety-backup"]
            let new = ["--new", "hx_new_" + file.split(separator: ".")[0], "--type", "development", "--as-moved"]
            for target in [inPlace, new] {
                let result = try f.ocore.run(["restore", "import", f.dir + "/" + file] + target + ["--preset", "none", "--i-understand-the-risk", "--yes"])
                #expect(!result.succeeded && f.said(result).contains(expected) && f.said(result).contains("nothing on the target was touched"),
                        "\(file) \(target): \(f.said(result))")
            }
            #expect(try !f.databaseExists("hx_new_" + file.split(separator: ".")[0]))
        }
        #expect(try TestPostgres.psql("hx_arch").scalar("SELECT count(*) FROM res_users WHERE login = 'still here'") == "1")
        #expect(!FileManager.default.fileExists(atPath: "/etc/ocore-evil"))
    }
}
