import Foundation
import OcoreRemote
import OcoreTestSupport
import Testing

@Suite("Retention never loses the last good backup (real PostgreSQL)")
struct RetentionSafetyTests {
    func backup(_ f: CloneFixture, storage: String) throws -> String {
        try #require(try f.ocore.jsonObject(["backup", "create", "production", "--no-filestore", "--storage", storage, "--json"])["id"] as? String)
    }

    @Test("a sweep that cannot delete: the new backup stays good, the other expired ones still go, the failure names the backup, the newest verified of each storage stays")
    func sweepThatCannotDelete() throws {
        let f = try CloneFixture()
        let nasDir = TestDirectories.make("ocore-nas"), farDir = TestDirectories.make("ocore-far")
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", nasDir, "--default"])
        _ = try f.ocore.ok(["storage", "add", "far", "--dir", farDir])
        let farOld = try backup(f, storage: "far"), farNew = try backup(f, storage: "far"), nasOld = try backup(f, storage: "nas")
        try f.ocore.waitUntilIdle()
        // Every backup so far is past its expiry; `far` can no longer delete anything.
        _ = try LocalExecutor().output(Command(["sqlite3", "-cmd", ".timeout 10000", f.ocore.home + "/ocore.db",
                                                "UPDATE backup SET tier = 'daily', expires_at = '2020-01-01T00:00:00.000Z'"]))
        try FileManager.default.moveItem(atPath: farDir, toPath: farDir + ".moved")
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: farDir))
        defer { try? FileManager.default.removeItem(atPath: farDir); try? FileManager.default.moveItem(atPath: farDir + ".moved", toPath: farDir) }

        let fresh = try f.ocore.jsonObject(["backup", "create", "production", "--no-filestore", "--json"])
        #expect(fresh["status"] as? String == "completed" && fresh["is_verified"] as? Bool == true, "\(fresh)")
        let freshID = try #require(fresh["id"] as? String)
        // The sweep is a job of its own, queued after the backup.
        let sweep = try #require(try f.ocore.jsonArray(["jobs", "list", "--all", "--json"]).first { $0["kind"] as? String == "retention-sweep" })
        let done = try f.ocore.waitForJob(try #require(sweep["id"] as? Int), "the sweep") { ["completed", "failed"].contains($0["status"] as? String ?? "") }
        #expect(done["status"] as? String == "failed")
        #expect((done["error_message"] as? String ?? "").contains("could not be removed (\(farOld))"), "\(done)")
        let logs = (done["logs"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }.joined(separator: "\n")
        #expect(logs.contains("removed \(nasOld) (daily"), "\(logs)")
        #expect(logs.contains("could not remove \(farOld)"), "\(logs)")

        let listed = Dictionary(uniqueKeysWithValues: try f.ocore.jsonArray(["backup", "list", "--all", "--json"]).map { ($0["id"] as! String, $0["status"] as! String) })
        #expect(listed == [freshID: "completed", nasOld: "expired", farOld: "completed", farNew: "completed"])
        #expect(FileManager.default.fileExists(atPath: nasDir + "/" + (try #require(fresh["key"] as? String))))
        #expect(try f.ocore.jsonObject(["backup", "verify", freshID, "--json"])["ok"] as? Bool == true)
        let audit = try f.ocore.jsonArray(["audit", "--json"])
        #expect(audit.contains { $0["action"] as? String == "retention.delete" && ($0["detail"] as? String ?? "").hasPrefix("\(nasOld) (daily") }, "\(audit)")
        #expect(!audit.contains { ($0["detail"] as? String ?? "").hasPrefix(farOld) })

        // The CLI sweep says the same, removes nothing more, and fails naming the backup.
        let cli = try f.ocore.run(["retention", "sweep", "production"])
        #expect(!cli.succeeded && cli.stderrText.contains("could not be removed: \(farOld)"), "\(cli.stderrText)")
        #expect(cli.stdoutText.contains("FAILED") && cli.stdoutText.contains("newest verified backup"))
    }

    @Test("retention counts and extensions are bounded: past 100 years a clear error, nothing stored")
    func bounded() throws {
        let f = try CloneFixture()
        expectCleanFailure(try f.ocore.run(["policy", "set", "production", "--at", "02:00", "--daily", "9223372036854775807"]), mentions: "must be 1 to 36500")
        expectCleanFailure(try f.ocore.run(["policy", "set", "production", "--at", "02:00", "--yearly", "101"]), mentions: "--yearly")
        #expect(try f.ocore.ok(["policy", "show", "production"]).contains("has no backup schedule"))
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        let id = try backup(f, storage: "nas")
        expectCleanFailure(try f.ocore.run(["retention", "extend", id, "--days", "9223372036854775807"]), mentions: "at most 100 years")
    }
}
