import Foundation
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

/// The demo source as plain files, the way other tools lay out their backups.
struct ExternalBackups {
    let f: CloneFixture
    let dir = TestDirectories.make("external-backups", worldTraversable: true)
    var connection: PostgresConnection { TestPostgres.cluster.connection(database: f.source) }
    var filestore: String { f.dataDir + "/filestore/" + f.source }

    func pgDump(_ arguments: [String], to path: String) throws {
        // Through a pipe, as click-odoo and Odoo themselves do: a custom-format archive written
        // to a pipe has no data offsets in its table of contents.
        let c = connection
        let dump = try LocalExecutor().run(Command(["pg_dump", "--no-owner"] + arguments + c.clientArguments + ["-d", f.source], environment: c.clientEnvironment),
                                           outputLimit: 1 << 30)
        guard dump.succeeded else { throw CommandFailure(command: Command(["pg_dump"]), host: "local", result: dump) }
        try dump.stdout.write(to: URL(fileURLWithPath: path))
    }

    func manifest(to path: String) throws {
        try #"{"odoo_dump": "1", "db_name": "x", "version": "17.0", "major_version": "17.0", "pg_version": "15.0", "modules": {}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// click-odoo-backupdb --format folder: `db.dump` (custom format), `filestore/`, `manifest.json`.
    func clickOdooFolder() throws -> String {
        let out = dir + "/click-odoo"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try pgDump(["--format=custom"], to: out + "/db.dump")
        try manifest(to: out + "/manifest.json")
        _ = try LocalExecutor().output(Command(["cp", "-a", filestore, out + "/filestore"]))
        return out
    }

    /// The seeds' archive: `dump.sql`, `filestore.tar.gz` (the tree's contents), `manifest.json`.
    func seedsZip() throws -> String {
        let work = dir + "/seeds"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try pgDump(["--format=plain"], to: work + "/dump.sql")
        try manifest(to: work + "/manifest.json")
        _ = try LocalExecutor().output(Command(["tar", "-czf", work + "/filestore.tar.gz", "-C", filestore, "."]))
        _ = try LocalExecutor().output(Command(["python3", "-c", """
            import zipfile, sys
            with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z:
                for n in ('dump.sql', 'filestore.tar.gz', 'manifest.json'): z.write(sys.argv[1] + '/' + n, n)
            """, work, dir + "/seeds.zip"]))
        return dir + "/seeds.zip"
    }
}

@Suite("Backup formats and imports (real PostgreSQL)")
struct RestoreFormatsTests {
    @Test("folder format: a parallel directory dump beside the filestore, verified; any PostgreSQL tool restores its dump/, and ocore restores it exactly")
    func folderFormat() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        let counts = try OdooWay.rowCounts(f.source)
        let tree = try OdooWay.tree(f.dataDir + "/filestore/" + f.source)

        let backup = try f.ocore.jsonObject(["backup", "create", "production", "--format", "folder", "--json"])
        #expect(backup["status"] as? String == "completed" && backup["is_verified"] as? Bool == true && backup["format"] as? String == "folder")
        let id = try #require(backup["id"] as? String)
        #expect(try f.ocore.jsonObject(["backup", "verify", id, "--json"])["ok"] as? Bool == true)
        // No staging directory is left on the server (this backup's own: other tests back up beside this one).
        let job = try #require(backup["job_id"].map { "\($0)" })
        let log = try f.ocore.ok(["jobs", "show", job])
        let staging = try #require(log.firstMatch(of: /into (\S*ocore-dump-\S*) on/)?.1)
        #expect(!FileManager.default.fileExists(atPath: String(staging)), "\(staging) is left")

        // Exported and unzipped, dump/ is a pg_dump directory that pg_restore -j loads by hand.
        let out = TestDirectories.make("folder-export", worldTraversable: true)
        _ = try f.ocore.ok(["backup", "export", id, out + "/b.zip"])
        _ = try LocalExecutor().output(Command(["python3", "-c", "import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", out + "/b.zip", out]))
        #expect(try OdooWay.tree(out + "/filestore") == tree)
        try TestPostgres.psql().execute("CREATE DATABASE fold_hand TEMPLATE template0;")
        let c = TestPostgres.cluster.connection(database: "fold_hand")
        let hand = try LocalExecutor().run(Command(["pg_restore", "--no-owner", "--exit-on-error", "-j", "2"] + c.clientArguments + ["-d", "fold_hand", out + "/dump"],
                                                   environment: c.clientEnvironment))
        #expect(hand.succeeded, "\(hand.stderrText)")
        #expect(try OdooWay.rowCounts("fold_hand") == counts)

        let restored = try f.ocore.run(["restore", id, "--new", "fold_stg", "--type", "staging", "--preset", "none", "--i-understand-the-risk", "--as-moved", "--yes", "--json"])
        #expect(restored.succeeded, "\(restored.stderrText)")
        #expect(try OdooWay.rowCounts("fold_stg") == counts)
        #expect(try OdooWay.tree(f.dataDir + "/filestore/fold_stg") == tree)
    }

    @Test("import: a click-odoo folder, the seeds' zip, a bare custom-format dump and a plain SQL dump each restore into a new environment")
    func externalFormats() throws {
        let f = try CloneFixture()
        let x = ExternalBackups(f: f)
        let counts = try OdooWay.rowCounts(f.source)
        let tree = try OdooWay.tree(x.filestore)
        func importInto(_ path: String, _ name: String) throws -> CommandResult {
            try f.ocore.run(["restore", "import", path, "--new", name, "--type", "development", "--preset", "none", "--i-understand-the-risk", "--as-moved", "--yes", "--json"])
        }

        let click = try importInto(try x.clickOdooFolder(), "click_imp")
        #expect(click.succeeded, "\(click.stderrText)")
        let cc = try OdooWay.rowCounts("click_imp")
        #expect(cc == counts, "\(cc.filter { counts[$0.key] != $0.value }) vs \(counts.filter { cc[$0.key] != $0.value })")
        #expect(try OdooWay.tree(f.dataDir + "/filestore/click_imp") == tree)

        let seeds = try importInto(try x.seedsZip(), "seeds_imp")
        #expect(seeds.succeeded, "\(seeds.stderrText)")
        #expect(try OdooWay.rowCounts("seeds_imp") == counts)
        #expect(try OdooWay.tree(f.dataDir + "/filestore/seeds_imp") == tree)

        try x.pgDump(["--format=custom"], to: x.dir + "/prod.dump")
        let custom = try importInto(x.dir + "/prod.dump", "cdump_imp")
        #expect(custom.succeeded, "\(custom.stderrText)")
        #expect(try OdooWay.rowCounts("cdump_imp") == counts)

        try x.pgDump(["--format=plain"], to: x.dir + "/prod.sql")
        let plain = try importInto(x.dir + "/prod.sql", "plain_imp")
        #expect(plain.succeeded, "\(plain.stderrText)")
        #expect(try OdooWay.rowCounts("plain_imp") == counts)

        // A ZIP can also become a backup of the environment it was imported into; a bare dump cannot.
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        let reg = try f.ocore.run(["restore", "import", try x.seedsZip(), "--new", "reg_imp", "--type", "development", "--preset", "none",
                                   "--i-understand-the-risk", "--as-moved", "--register", "--yes", "--json"])
        #expect(reg.succeeded, "\(reg.stderrText)")
        let registered = try #require((try JSONSerialization.jsonObject(with: reg.stdout) as? [String: Any])?["registered_backup_id"] as? String)
        let shown = try f.ocore.jsonObject(["backup", "show", registered, "--json"])
        #expect(shown["status"] as? String == "completed" && shown["is_verified"] as? Bool == true && shown["retention_tier"] as? String == "permanent", "\(shown)")
        #expect(try f.ocore.jsonObject(["backup", "verify", registered, "--json"])["ok"] as? Bool == true)
        let again = try f.ocore.run(["restore", registered, "--new", "reg_again", "--type", "development", "--preset", "none", "--i-understand-the-risk",
                                     "--as-moved", "--yes", "--json"])
        #expect(again.succeeded, "\(again.stderrText)")
        #expect(try OdooWay.rowCounts("reg_again") == counts)
        expectCleanFailure(try f.ocore.run(["restore", "import", x.dir + "/prod.sql", "--new", "reg_sql", "--type", "development", "--register", "--yes"]),
                           mentions: "only a ZIP archive can be registered")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'reg_sql'") == "0")

        // Anything else is refused before anything is created.
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: x.dir + "/noise.bin"))
        let noise = try importInto(x.dir + "/noise.bin", "noise_imp")
        #expect(!noise.succeeded)
        #expect((noise.stderrText + noise.stdoutText).contains("neither a ZIP backup"), "\(noise.stderrText) \(noise.stdoutText)")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'noise_imp'") == "0")
    }
}
