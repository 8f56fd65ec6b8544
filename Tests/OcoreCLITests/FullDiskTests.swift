import Foundation
import OcoreRemote
import OcoreTestSupport
import Testing

/// A disk that fills up says so, and where; a restore that would not fit is refused before it starts.
@Suite("Full disks (real PostgreSQL, a 1 MiB tmpfs)")
struct FullDiskTests {
    /// A 1 MiB tmpfs mounted for the test (ocore's tests run as root, as CI does).
    func tinyDisk() throws -> String {
        let dir = TestDirectories.make("ocore-tiny-disk")
        let mount = try LocalExecutor().run(Command(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]))
        #expect(mount.succeeded, "cannot mount a tmpfs: \(mount.stderrText)")
        Cleanup.register(shell: [["umount", "-l", dir]]) { _ = try? LocalExecutor().run(Command(["umount", "-l", dir])) }
        return dir
    }

    @Test("a backup to a full directory says 'no space left on device' and where; nothing half-written is listed")
    func backupToFullDisk() throws {
        let f = try CloneFixture()
        let disk = try tinyDisk()
        _ = try f.ocore.ok(["storage", "add", "tiny", "--dir", disk + "/backups", "--default"])
        let result = try f.ocore.run(["backup", "create", "production"])
        #expect(!result.succeeded)
        let said = result.stdoutText + result.stderrText
        #expect(said.lowercased().contains("no space left on device") && said.contains(disk), "\(said)")
        #expect(!said.contains("the receiving command stopped reading"), "\(said)")
        #expect(try f.ocore.jsonArray(["backup", "list", "production", "--json"]).allSatisfy { $0["status"] as? String != "completed" })
    }

    @Test("a restore whose filestore would not fit the target's disk is refused before anything is touched")
    func restoreThatWouldNotFit() throws {
        let f = try CloneFixture()
        let disk = try tinyDisk()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        let id = try #require(try f.ocore.jsonObject(["backup", "create", "production", "--json"])["id"] as? String)
        _ = try f.ocore.ok(["env", "add", "small", "--project", "acme", "--type", "development", "--server", "local", "--db", "small_db",
                            "--filestore", disk + "/filestore/small_db"])
        try TestPostgres.psql().execute("DROP DATABASE IF EXISTS small_db; CREATE DATABASE small_db;")
        defer { try? TestPostgres.psql().execute("DROP DATABASE small_db WITH (FORCE);") }
        try TestPostgres.psql("small_db").execute("CREATE TABLE marker (x int); INSERT INTO marker VALUES (1);")
        let result = try f.ocore.run(["restore", id, "--to", "small", "--no-safety-backup", "--i-understand-the-risk", "--preset", "none", "--yes"])
        let said = result.stdoutText + result.stderrText
        #expect(!result.succeeded && said.contains("the filestore needs") && said.contains("nothing on the target was touched"), "\(said)")
        #expect(try TestPostgres.psql("small_db").scalar("SELECT count(*) FROM marker") == "1")
    }

    @Test("with no room on this host for the dump's spool, the backup streams the dump first, then the filestore, and is complete")
    func noRoomForTheSpool() throws {
        let f = try CloneFixture()
        // The state home's scratch directory on a 1 MiB disk.
        let scratch = f.ocore.home + "/tmp"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let mount = try LocalExecutor().run(Command(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", scratch]))
        #expect(mount.succeeded, "cannot mount a tmpfs: \(mount.stderrText)")
        Cleanup.register(shell: [["umount", "-l", scratch]]) { _ = try? LocalExecutor().run(Command(["umount", "-l", scratch])) }
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        let created = try f.ocore.jsonObject(["backup", "create", "production", "--json"])
        #expect(created["status"] as? String == "completed" && created["is_verified"] as? Bool == true)
        let id = try #require(created["id"] as? String)
        let log = try f.ocore.ok(["jobs", "show", String(try #require(created["job_id"] as? Int))])
        #expect(log.contains("the dump streams into the archive first"), "\(log)")
        let file = TestDirectories.make("ocore-export") + "/backup.zip"
        _ = try f.ocore.ok(["backup", "export", id, file])
        let names = try LocalExecutor().output(Command(["python3", "-c", "import zipfile,sys; n=zipfile.ZipFile(sys.argv[1]).namelist(); print(n[0], n[1], n[2].split('/')[0])", file]))
        #expect(names.trimmingCharacters(in: .whitespacesAndNewlines) == "dump.sql manifest.json filestore")
    }
}
