import Crypto
import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

/// What an incremental backup stored, read from the storage itself (a directory).
struct ObjectDirectory {
    let root: String
    var objects: [String: Int64] {
        var out: [String: Int64] = [:]
        let base = root + "/objects"
        for rel in (try? FileManager.default.subpathsOfDirectory(atPath: base)) ?? [] where rel.count > 60 && !rel.contains(".tmp-") {
            out[(rel as NSString).lastPathComponent] = ((try? FileManager.default.attributesOfItem(atPath: base + "/" + rel))?[.size] as? NSNumber)?.int64Value
        }
        return out
    }
    var bytes: Int64 { objects.values.reduce(0, +) }
}

/// A checksum of every table of a database (rows as text, in order). A restore into a new
/// environment gives it an identity of its own (`database.uuid` in ir_config_parameter).
func tableChecksum(_ db: String, except: Set<String> = ["ir_config_parameter"]) throws -> String {
    let tables = try TestPostgres.psql(db).query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").map { $0[0] }.filter { !except.contains($0) }
    return try tables.map { t in try TestPostgres.psql(db).scalar("SELECT md5(coalesce(string_agg(x::text, '' ORDER BY x::text), '')) FROM \(SQL.identifier(t)) x") ?? "" }
        .joined(separator: ",")
}

@Suite("Incremental backups (real PostgreSQL; directory, SFTP, S3, FTP storage)")
struct IncrementalBackupTests {
    @Test("two backups in a row: the second adds only the dump's changed tables and its lists; 10 new attachments add exactly 10 objects")
    func secondBackupAddsLittle() throws {
        let f = try CloneFixture()
        let (storage, _) = try BackupTests.addStorage(.dir, to: f.ocore)
        let root = try #require(try f.ocore.jsonArray(["storage", "list", "--json"]).first?["path"] as? String)
        let store = ObjectDirectory(root: root)
        let first = try f.ocore.jsonObject(["backup", "create", "production", "--storage", storage, "--format", "incremental", "--json"])
        #expect(first["status"] as? String == "completed" && first["is_verified"] as? Bool == true, "\(first)")
        let afterFirst = store.objects
        let filestore = f.dataDir + "/filestore/" + f.source
        let files = try OdooWay.tree(filestore)
        #expect(afterFirst.count > files.count, "every filestore file and every table of the dump is an object")

        let second = try f.ocore.jsonObject(["backup", "create", "production", "--storage", storage, "--format", "incremental", "--json"])
        #expect(second["status"] as? String == "completed")
        let afterSecond = store.objects
        let new = Set(afterSecond.keys).subtracting(afterFirst.keys)
        // Nothing changed: at most the dump's table of contents is new (it carries the dump's time).
        #expect(new.count <= 1, "\(new.count) new objects")
        // What it added, as the storage has it: the new objects, its file list and its manifest.
        let id = try #require(second["id"] as? String)
        let lists = try ["files", "manifest.json"].map { ext in
            try #require((try FileManager.default.attributesOfItem(atPath: "\(root)/backups/acme/production/\(id).\(ext)")[.size] as? NSNumber)?.int64Value)
        }.reduce(0, +)
        let added = try #require(second["added_bytes"] as? Int)
        #expect(Int64(added) == lists + new.reduce(0) { $0 + afterSecond[$1]! })
        // …and that new object is the dump's table of contents: no table, no attachment was sent again.
        let list = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(root)/backups/acme/production/\(id).files"))) as? [String: Any]
        let entries = ((list?["dump"] as? [[String: Any]]) ?? []) + ((list?["filestore"] as? [[String: Any]]) ?? [])
        #expect(entries.filter { new.contains($0["h"] as? String ?? "") }.map { $0["p"] as? String } == new.map { _ in "toc.dat" })
        #expect(second["size"] as? Int == first["size"] as? Int)

        for i in 0..<10 {
            let content = Data("attachment \(i) \(UUID())".utf8)
            let sha1 = Insecure.SHA1.hash(data: content).map { String(format: "%02x", $0) }.joined()
            try FileManager.default.createDirectory(atPath: filestore + "/" + sha1.prefix(2), withIntermediateDirectories: true)
            try content.write(to: URL(fileURLWithPath: filestore + "/" + sha1.prefix(2) + "/" + sha1))
        }
        let third = try f.ocore.jsonObject(["backup", "create", "production", "--storage", storage, "--format", "incremental", "--json"])
        #expect(third["status"] as? String == "completed")
        let newer = Set(store.objects.keys).subtracting(afterSecond.keys)
        #expect(newer.count >= 10 && newer.count <= 11, "10 attachments (and perhaps the table of contents): \(newer.count)")
    
        // The third backup restores to the same rows and files (hard-linked from the storage: same file system).
        let thirdID = try #require(third["id"] as? String)
        let (restored, doc) = try restore(f, thirdID, as: "inc_copy")
        #expect(restored.succeeded, "\(restored.stderrText) \(doc)")
        #expect(try OdooWay.tree(f.dataDir + "/filestore/inc_copy") == (try OdooWay.tree(filestore)))
        #expect(try tableChecksum("inc_copy") == (try tableChecksum(f.source)))
        #expect(try OdooWay.rowCounts("inc_copy") == (try OdooWay.rowCounts(f.source)))
    }

    @Test("export gives Odoo's own ZIP (restores the Odoo way); a flipped byte in one object passes the size check, is found by verify --read-data, and the restore refuses that file")
    func exportAndCorruption() throws {
        let f = try CloneFixture()
        let (storage, _) = try BackupTests.addStorage(.dir, to: f.ocore)
        let root = try #require(try f.ocore.jsonArray(["storage", "list", "--json"]).first?["path"] as? String)
        let backup = try f.ocore.jsonObject(["backup", "create", "production", "--storage", storage, "--format", "incremental", "--json"])
        let id = try #require(backup["id"] as? String)
        let verified = try f.ocore.jsonObject(["backup", "verify", id, "--read-data", "--json"])
        let checks = (verified["checks"] as? [[String: Any]]) ?? []
        #expect(verified["ok"] as? Bool == true, "\(checks)")
        #expect(checks.contains { $0["name"] as? String == "attachment files" && ($0["detail"] as? String)?.contains("references are in the backup") == true }, "\(checks)")

        let file = TestDirectories.make("ocore-export") + "/backup.zip"
        _ = try f.ocore.ok(["backup", "export", id, file])
        let restored = "ix_\(UUID().uuidString.prefix(8).lowercased())"
        let filestore = try OdooWay.restore(zip: file, into: restored)
        #expect(try OdooWay.rowCounts(restored) == (try OdooWay.rowCounts(f.source)))
        #expect(try OdooWay.tree(filestore) == (try OdooWay.tree(f.dataDir + "/filestore/" + f.source)))

        // One attachment's object gets a flipped byte.
        let list = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(root)/backups/acme/production/\(id).files"))) as? [String: Any])
        let victim = try #require(((list["filestore"] as? [[String: Any]]) ?? []).first { ($0["s"] as? Int ?? 0) > 0 })
        let name = try #require(victim["h"] as? String), path = try #require(victim["p"] as? String)
        let object = "\(root)/objects/\(name.prefix(2))/\(name)"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: object))
        bytes[0] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: object))
        #expect(try f.ocore.run(["backup", "verify", id]).succeeded, "sizes alone cannot see a flipped byte")
        let deep = try f.ocore.run(["backup", "verify", id, "--read-data"])
        #expect(!deep.succeeded && deep.stdoutText.contains(path), "\(deep.stdoutText)")
        let (refused, _) = try restore(f, id, as: "ix_bad")
        #expect(!refused.succeeded && (refused.stdoutText + refused.stderrText).contains(path))
        #expect(!(try f.ocore.ok(["env", "list"]).contains("ix_bad")))
    }

    @Test("retention of shared objects: an expired backup's own objects go (after the grace period, dry run showing the bytes), shared ones stay, every remaining backup verifies and restores")
    func sweepSharedObjects() throws {
        let f = try CloneFixture()
        let (storage, _) = try BackupTests.addStorage(.dir, to: f.ocore)
        let root = try #require(try f.ocore.jsonArray(["storage", "list", "--json"]).first?["path"] as? String)
        let store = ObjectDirectory(root: root)
        let filestore = f.dataDir + "/filestore/" + f.source
        var extra: [String] = []
        for i in 0..<10 {
            let content = Data("only in the first backup \(i) \(UUID())".utf8)
            let sha1 = Insecure.SHA1.hash(data: content).map { String(format: "%02x", $0) }.joined()
            try FileManager.default.createDirectory(atPath: filestore + "/" + sha1.prefix(2), withIntermediateDirectories: true)
            extra.append(filestore + "/" + sha1.prefix(2) + "/" + sha1)
            try content.write(to: URL(fileURLWithPath: extra.last!))
        }
        let first = try #require(try f.ocore.jsonObject(["backup", "create", "production", "--storage", storage, "--format", "incremental", "--json"])["id"] as? String)
        let withExtra = store.objects
        for path in extra { try FileManager.default.removeItem(atPath: path) }
        let second = try #require(try f.ocore.jsonObject(["backup", "create", "production", "--storage", storage, "--format", "incremental", "--json"])["id"] as? String)
        let third = try #require(try f.ocore.jsonObject(["backup", "create", "production", "--storage", storage, "--format", "incremental", "--json"])["id"] as? String)
        try f.ocore.waitUntilIdle()
        let needed = try Set(["files"].flatMap { _ in try [second, third].flatMap { id -> [String] in
            let list = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(root)/backups/acme/production/\(id).files"))) as? [String: Any]
            return (((list?["dump"] as? [[String: Any]]) ?? []) + ((list?["filestore"] as? [[String: Any]]) ?? [])).compactMap { $0["h"] as? String }
        } })
        let onlyFirst = Set(withExtra.keys).subtracting(needed)
        #expect(onlyFirst.count >= 10, "the 10 extra attachments (and the first dump's table of contents)")
        _ = try LocalExecutor().output(Command(["sqlite3", "-cmd", ".timeout 10000", f.ocore.home + "/ocore.db",
                                                "UPDATE backup SET tier = 'daily', expires_at = '2020-01-01T00:00:00.000Z' WHERE id = '\(first)'"]))

        func objectsLine(_ rows: [[String: Any]]) -> [String: Any]? { rows.first { $0["storage"] as? String == storage } }
        // Within the grace period nothing goes: an interrupted backup's objects wait to be reused.
        let graceful = try #require(objectsLine(try f.ocore.jsonArray(["retention", "sweep", "--dry-run", "--json"])))
        #expect(graceful["objects_removed"] as? Int == 0, "\(graceful)")
        let dry = try #require(objectsLine(try f.ocore.jsonArray(["retention", "sweep", "--dry-run", "--object-grace", "0h", "--json"])))
        let freed = onlyFirst.reduce(Int64(0)) { $0 + withExtra[$1]! }
        #expect(dry["objects_removed"] as? Int == onlyFirst.count && (dry["bytes_freed"] as? Int).map(Int64.init) == freed, "\(dry)")
        let real = try f.ocore.jsonArray(["retention", "sweep", "--object-grace", "0h", "--json"])
        #expect(real.contains { $0["id"] as? String == first && $0["action"] as? String == "delete" })
        #expect(objectsLine(real)?["objects_removed"] as? Int == onlyFirst.count)
        let left = store.objects
        #expect(Set(left.keys) == needed, "exactly the objects the remaining backups need")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/backups/acme/production/\(first).files"))
        for id in [second, third] {
            #expect(try f.ocore.run(["backup", "verify", id, "--read-data"]).succeeded)
        }
        let (restored, doc) = try restore(f, second, as: "swept_copy")
        #expect(restored.succeeded, "\(restored.stderrText) \(doc)")
        #expect(try OdooWay.tree(f.dataDir + "/filestore/swept_copy") == (try OdooWay.tree(filestore)))
    }

    @Test("kill -9 mid-upload (S3 over a slow link): a sweep leaves the objects of the backup in flight, and of the killed one; the next backup resumes, sending none of the objects already indexed")
    func resumedAfterKill() throws {
        let f = try CloneFixture()
        let link = try SlowLink(to: String(TestS3.shared.endpoint.dropFirst("http://".count)), bytesPerSecond: 6 << 20)
        let (storage, env) = try BackupTests.addStorage(.s3, to: f.ocore, s3Endpoint: link.endpoint)
        let bucket = try #require(try f.ocore.jsonArray(["storage", "list", "--json"]).first?["bucket"] as? String)
        let filestore = f.dataDir + "/filestore/" + f.source
        // 800 attachments of 128 KiB: over 6 MiB/s the upload takes long enough to be caught half way.
        _ = try OcoreRemoteShim.python("""
            import os
            d = '\(filestore)/rs'
            os.makedirs(d, exist_ok=True)
            for i in range(800):
                open(os.path.join(d, 'f%04d' % i), 'wb').write(os.urandom(128 << 10))
            """)
        let s3 = TestS3.shared
        let client = "import boto3, json\ns3 = boto3.client('s3', endpoint_url='\(s3.endpoint)', region_name='us-east-1', aws_access_key_id='\(s3.accessKey)', aws_secret_access_key='\(s3.secretKey)')\n"
        func keys() throws -> [String: String] {
            let out = try OcoreRemoteShim.python(client + """
                out = {}
                for page in s3.get_paginator('list_objects_v2').paginate(Bucket='\(bucket)'):
                    for o in page.get('Contents', []): out[o['Key']] = o['LastModified'].isoformat()
                print(json.dumps(out))
                """)
            return (try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: String]) ?? [:]
        }
        let queued = try f.ocore.run(["backup", "create", "production", "--storage", storage, "--format", "incremental", "--detach", "--json"], environment: env)
        let doc = try #require(try JSONSerialization.jsonObject(with: queued.stdout) as? [String: Any])
        let job = try #require(doc["job"] as? Int), id = try #require(doc["id"] as? String)
        let deadline = ContinuousClock.now + .seconds(90)
        while try !keys().keys.contains(where: { $0.contains("objects-index/\(id)") }) {
            #expect(ContinuousClock.now < deadline, "no index segment written while uploading")
            guard ContinuousClock.now < deadline else { return }
            Thread.sleep(forTimeInterval: 0.3)
        }
        // While it runs, its lock keeps a sweep from removing anything, however short its grace.
        func sweep(_ extra: [String]) throws -> [String: Any]? {
            let out = try f.ocore.run(["retention", "sweep", "--json"] + extra, environment: env)
            return ((try? JSONSerialization.jsonObject(with: out.stdout) as? [[String: Any]]) ?? []).first { $0["storage"] as? String == storage }
        }
        let locked = try sweep(["--object-grace", "0h"])
        #expect((locked?["reason"] as? String)?.contains("backup \(id) is writing") == true, "\(String(describing: locked))")
        try f.ocore.killWorker()
        let recovery = try f.ocore.run(["worker"], environment: env)
        #expect(recovery.succeeded, "\(recovery.stderrText)")
        #expect(try f.ocore.job(job)["status"] as? String == "interrupted", "the backup ended before it was killed")
        let shown = try f.ocore.run(["backup", "show", id, "--json"], environment: env)
        #expect(((try? JSONSerialization.jsonObject(with: shown.stdout)) as? [String: Any])?["status"] as? String == "failed")
        // After recovery its objects are kept for the grace period, for the next backup.
        let kept = try sweep([])
        #expect(kept?["objects_removed"] as? Int == 0, "\(String(describing: kept))")

        let before = try keys()
        var indexed: [String] = []
        var indexedBytes = 0
        for key in before.keys where key.hasPrefix("ocore/objects-index/") {
            let text = try OcoreRemoteShim.python(client + "print(s3.get_object(Bucket='\(bucket)', Key='\(key)')['Body'].read().decode())")
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 2 else { continue }
                indexed.append("ocore/objects/\(parts[0].prefix(2))/\(parts[0])")
                indexedBytes += Int(parts[1]) ?? 0
            }
        }
        #expect(indexed.count >= 50, "\(indexed.count) objects indexed before the kill")
        try link.setRate(bytesPerSecond: 0)
        let next = try f.ocore.run(["backup", "create", "production", "--storage", storage, "--format", "incremental", "--json"], environment: env)
        #expect(next.succeeded, "\(next.stderrText)")
        let resumed = (try? JSONSerialization.jsonObject(with: next.stdout) as? [String: Any]) ?? [:]
        let after = try keys()
        let resent = indexed.filter { after[$0] != before[$0] }
        #expect(resent.isEmpty, "\(resent.count) indexed objects were sent again")
        // It sent at most what was not indexed (and its lists), and says what it did not send.
        #expect((resumed["added_bytes"] as? Int ?? .max) <= (resumed["size"] as? Int ?? 0) - indexedBytes + (1 << 20))
        let log = try f.ocore.run(["jobs", "show", String(resumed["job_id"] as? Int ?? 0)], environment: env).stdoutText
        #expect(log.contains("not sent, already in storage"), "\(log)")
    }

    @Test("every provider: the second backup adds only the dump's table of contents, verify --read-data passes, the restore gives the same rows and files",
          arguments: [BackupTests.Provider.sftp, .s3, .ftp])
    func everyProvider(_ kind: BackupTests.Provider) throws {
        let f = try CloneFixture()
        let (storage, env) = try BackupTests.addStorage(kind, to: f.ocore)
        func json(_ arguments: [String]) throws -> [String: Any] {
            let result = try f.ocore.run(arguments + ["--json"], environment: env)
            #expect(result.succeeded, "\(arguments): \(result.stdoutText) \(result.stderrText)")
            return (try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]) ?? [:]
        }
        let first = try json(["backup", "create", "production", "--storage", storage, "--format", "incremental"])
        #expect(first["status"] as? String == "completed" && first["is_verified"] as? Bool == true)
        let second = try json(["backup", "create", "production", "--storage", storage, "--format", "incremental"])
        let id = try #require(second["id"] as? String)
        let log = try f.ocore.run(["jobs", "show", String(second["job_id"] as? Int ?? 0)], environment: env).stdoutText
        #expect(log.contains("objects: 1 added"), "only the table of contents: \(log)")
        #expect(try json(["backup", "verify", id, "--read-data"])["ok"] as? Bool == true)
        let copy = "prov_\(kind.rawValue)"
        let restored = try f.ocore.run(["restore", id, "--new", copy, "--type", "staging", "--preset", "none", "--i-understand-the-risk", "--yes", "--json"],
                                       environment: env)
        try #require(restored.succeeded, "\(restored.stdoutText) \(restored.stderrText)")
        #expect(try OdooWay.tree(f.dataDir + "/filestore/" + copy) == (try OdooWay.tree(f.dataDir + "/filestore/" + f.source)))
        #expect(try tableChecksum(copy) == (try tableChecksum(f.source)))
    }

    @Test("encrypted storage: object names reveal no content hash, no customer e-mail is in the stored bytes; verify and restore work with the key")
    func encrypted() throws {
        let f = try CloneFixture()
        let root = TestDirectories.make("ocore-enc-objects")
        let keyFile = TestDirectories.make("ocore-key") + "/backup.key"
        try Data((0..<32).map { _ in UInt8.random(in: 0...255) }).map { String(format: "%02x", $0) }.joined().write(toFile: keyFile, atomically: true, encoding: .utf8)
        chmod(keyFile, 0o600)
        _ = try f.ocore.ok(["storage", "add", "vault", "--dir", root, "--default", "--encrypt-key-file", keyFile])
        let backup = try f.ocore.jsonObject(["backup", "create", "production", "--format", "incremental", "--json"])
        let id = try #require(backup["id"] as? String)
        #expect(backup["status"] as? String == "completed")
        let names = Set(ObjectDirectory(root: root).objects.keys)
        let contentHashes = Set(try OdooWay.tree(f.dataDir + "/filestore/" + f.source).values)
        #expect(!names.isEmpty && names.isDisjoint(with: contentHashes), "an object's name must not be its content's SHA-256")
        let email = try #require(try TestPostgres.psql(f.source).scalar("SELECT email FROM res_partner WHERE email LIKE '%@%' ORDER BY id DESC LIMIT 1"))
        let grep = try LocalExecutor().run(Command(["grep", "-rlF", email, root]))
        #expect(grep.stdoutText.isEmpty, "plaintext found in \(grep.stdoutText)")
        #expect(try f.ocore.run(["backup", "verify", id, "--read-data"]).succeeded)
        let restored = try f.ocore.run(["restore", id, "--new", "enc_copy", "--type", "staging", "--preset", "none", "--i-understand-the-risk", "--yes", "--json"])
        #expect(restored.succeeded, "\(restored.stderrText)")
        #expect(try OdooWay.tree(f.dataDir + "/filestore/enc_copy") == (try OdooWay.tree(f.dataDir + "/filestore/" + f.source)))
    }

    @Test("a scheduled backup is incremental by default; its second copy sends only the objects the other storage lacks, and the copy restores with the first storage gone")
    func secondCopy() throws {
        let f = try CloneFixture()
        let nas = TestDirectories.make("inc-nas"), offsite = TestDirectories.make("inc-offsite")
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", nas, "--default"])
        _ = try f.ocore.ok(["storage", "add", "offsite", "--dir", offsite])
        _ = try f.ocore.ok(["policy", "set", "production", "--at", "00:00", "--every", "1h", "--copy-to", "offsite"])
        #expect(try f.ocore.jsonObject(["policy", "show", "production", "--json"])["policy"].flatMap { ($0 as? [String: Any])?["format"] as? String } == "incremental")
        _ = try f.ocore.ok(["backup", "run-due"])
        try f.ocore.waitUntilIdle()
        let first = try #require(try f.ocore.jsonArray(["backup", "list", "--json"]).first)
        #expect(first["format"] as? String == "incremental" && first["type"] as? String == "scheduled", "\(first)")
        let second = try f.ocore.jsonObject(["backup", "create", "production", "--format", "incremental", "--json"])
        let id = try #require(second["id"] as? String)
        try f.ocore.waitUntilIdle()
        let shown = try f.ocore.jsonObject(["backup", "show", id, "--json"])
        #expect((shown["copies"] as? [[String: Any]])?.first?["status"] as? String == "completed", "\(shown)")
        #expect(ObjectDirectory(root: offsite).objects == ObjectDirectory(root: nas).objects, "the same objects, by the same names")
        let copyJobs = try f.ocore.jsonArray(["jobs", "list", "--all", "--json"]).filter { $0["kind"] as? String == "backup-copy" }.compactMap { $0["id"] as? Int }
        let lastCopy = try f.ocore.ok(["jobs", "show", String(try #require(copyJobs.max()))])
        // At most the new table of contents (pg_dump stamps it to the second: two backups within
        // one second write the same one, and nothing is missing).
        #expect((lastCopy.contains(" 1 of ") || lastCopy.contains(" 0 of ")) && lastCopy.contains("objects were missing there"),
                "only the new table of contents: \(lastCopy)")
        #expect(try f.ocore.ok(["backup", "list"]).contains("nas +offsite"))

        try FileManager.default.moveItem(atPath: nas, toPath: nas + ".gone")
        let (restored, doc) = try restore(f, id, as: "copy_inc", extra: ["--from-storage", "offsite"])
        #expect(restored.succeeded, "\(restored.stderrText) \(doc)")
        #expect(try OdooWay.tree(f.dataDir + "/filestore/copy_inc") == (try OdooWay.tree(f.dataDir + "/filestore/" + f.source)))
        try FileManager.default.moveItem(atPath: nas + ".gone", toPath: nas)
    }

    @Test("a sweep killed with kill -9 half way through its deletions (S3) leaves every remaining backup whole; the next sweep finishes the job")
    func sweepKilledHalfWay() throws {
        let f = try CloneFixture()
        let (storage, env) = try BackupTests.addStorage(.s3, to: f.ocore)
        let bucket = try #require(try f.ocore.jsonArray(["storage", "list", "--json"]).first?["bucket"] as? String)
        let filestore = f.dataDir + "/filestore/" + f.source
        _ = try OcoreRemoteShim.python("""
            import os
            d = '\(filestore)/gone'
            os.makedirs(d, exist_ok=True)
            for i in range(1500): open(os.path.join(d, 'g%04d' % i), 'wb').write(os.urandom(32))
            """)
        func json(_ arguments: [String]) throws -> [String: Any] {
            let result = try f.ocore.run(arguments + ["--json"], environment: env)
            return (try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]) ?? [:]
        }
        let first = try #require(try json(["backup", "create", "production", "--storage", storage, "--format", "incremental"])["id"] as? String)
        try FileManager.default.removeItem(atPath: filestore + "/gone")
        let kept = try #require(try json(["backup", "create", "production", "--storage", storage, "--format", "incremental"])["id"] as? String)
        try f.ocore.waitUntilIdle()
        _ = try LocalExecutor().output(Command(["sqlite3", "-cmd", ".timeout 10000", f.ocore.home + "/ocore.db",
                                                "UPDATE backup SET tier = 'daily', expires_at = '2020-01-01T00:00:00.000Z' WHERE id = '\(first)'"]))
        let s3 = TestS3.shared
        func objectCount() throws -> Int {
            Int(try OcoreRemoteShim.python("""
                import boto3
                s3 = boto3.client('s3', endpoint_url='\(s3.endpoint)', region_name='us-east-1', aws_access_key_id='\(s3.accessKey)', aws_secret_access_key='\(s3.secretKey)')
                print(sum(1 for p in s3.get_paginator('list_objects_v2').paginate(Bucket='\(bucket)') for o in p.get('Contents', []) if o['Key'].startswith('ocore/objects/')))
                """).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        let before = try objectCount()
        // 1,500 objects only the expired backup needs: the sweep deletes them one request each.
        let sweep = Process()
        sweep.executableURL = URL(fileURLWithPath: OcoreBinary.path)
        sweep.arguments = ["--home", f.ocore.home, "retention", "sweep", "--object-grace", "0h"]
        sweep.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        sweep.standardOutput = FileHandle.nullDevice
        try sweep.run()
        let deadline = ContinuousClock.now + .seconds(120)
        while try objectCount() > before - 20 && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.1) }
        kill(sweep.processIdentifier, SIGKILL)
        sweep.waitUntilExit()
        let during = try objectCount()
        #expect(during < before && during > before - 1501, "killed half way: \(before) → \(during) objects")

        #expect(try json(["backup", "verify", kept, "--read-data"])["ok"] as? Bool == true, "the remaining backup is whole")
        // The killed sweep's lock names a process that is gone: the next sweep does not wait a day for it.
        let again = try f.ocore.run(["retention", "sweep", "--object-grace", "0h", "--json"], environment: env)
        let line = ((try? JSONSerialization.jsonObject(with: again.stdout) as? [[String: Any]]) ?? []).first { $0["storage"] as? String == storage }
        #expect(line?["action"] as? String == "freed", "\(String(describing: line))")
        #expect(try objectCount() == before - 1501, "the 1,500 files and the first dump's table of contents are gone, nothing else")
        let restored = try f.ocore.run(["restore", kept, "--new", "after_sweep", "--type", "staging", "--preset", "none", "--i-understand-the-risk", "--yes", "--json"],
                                       environment: env)
        #expect(restored.succeeded, "\(restored.stderrText)")
        #expect(try OdooWay.tree(f.dataDir + "/filestore/after_sweep") == (try OdooWay.tree(filestore)))
    }

    @Test("an in-place restore keeps the files the target already has (same content: not fetched, the same inode), fetches the rest, removes what the backup does not hold")
    func inPlaceReusesFiles() throws {
        let f = try CloneFixture()
        let (storage, _) = try BackupTests.addStorage(.dir, to: f.ocore)
        let filestore = f.dataDir + "/filestore/" + f.source
        let backup = try f.ocore.jsonObject(["backup", "create", "production", "--storage", storage, "--format", "incremental", "--json"])
        let id = try #require(backup["id"] as? String)
        let original = try OdooWay.tree(filestore)
        func inode(_ path: String) -> UInt64? { ((try? FileManager.default.attributesOfItem(atPath: path))?[.systemFileNumber] as? NSNumber)?.uint64Value }
        let kept = try #require(original.keys.sorted().first)
        let keptInode = inode(filestore + "/" + kept)
        // After the backup: one file changed, one removed, one added.
        let changed = try #require(original.keys.sorted().dropFirst().first), removed = try #require(original.keys.sorted().dropFirst(2).first)
        try Data("changed after the backup".utf8).write(to: URL(fileURLWithPath: filestore + "/" + changed))
        try FileManager.default.removeItem(atPath: filestore + "/" + removed)
        try FileManager.default.createDirectory(atPath: filestore + "/fe", withIntermediateDirectories: true)
        try Data("added after the backup".utf8).write(to: URL(fileURLWithPath: filestore + "/fe/feadded-later"))
        try f.ocore.waitUntilIdle()  // the backup's retention sweep holds production a moment
        let restored = try f.ocore.run(["restore", id, "--confirm", "production", "--yes", "--json"])
        #expect(restored.succeeded, "\(restored.stdoutText) \(restored.stderrText)")
        #expect(try OdooWay.tree(filestore) == original, "the filestore as it was backed up")
        #expect(inode(filestore + "/" + kept) == keptInode, "an unchanged file is kept, not fetched again")
    }

    @Test("a file list changed in storage (a path leaving the filestore) is refused by its checksum before anything is touched, by restore and export alike")
    func tamperedFileList() throws {
        let f = try CloneFixture()
        let (storage, _) = try BackupTests.addStorage(.dir, to: f.ocore)
        let root = try #require(try f.ocore.jsonArray(["storage", "list", "--json"]).first?["path"] as? String)
        let id = try #require(try f.ocore.jsonObject(["backup", "create", "production", "--storage", storage, "--format", "incremental", "--json"])["id"] as? String)
        let listPath = "\(root)/backups/acme/production/\(id).files"
        var list = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: listPath))) as? [String: Any])
        var files = try #require(list["filestore"] as? [[String: Any]])
        files[0]["p"] = "../../../../tmp/ocore-escaped-\(id)"
        list["filestore"] = files
        try JSONSerialization.data(withJSONObject: list).write(to: URL(fileURLWithPath: listPath))
        let before = try tableChecksum(f.source)
        let (refused, doc) = try restore(f, id, as: "tampered_copy")
        #expect(!refused.succeeded && (doc["error_message"] as? String ?? "").contains("file list checksum"), "\(doc)")
        #expect(doc["target_state"] as? String == "removed", "a new environment's failed restore leaves nothing: \(doc)")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'tampered_copy'") == "0")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/ocore-escaped-\(id)"))
        #expect(!(try f.ocore.ok(["env", "list"]).contains("tampered_copy")))
        expectCleanFailure(try f.ocore.run(["backup", "export", id, TestDirectories.make("tampered") + "/x.zip"]), mentions: "does not match its checksum")
        #expect(!(try f.ocore.run(["backup", "verify", id]).succeeded))
        #expect(try tableChecksum(f.source) == before, "the source is never touched")
    }

    func restore(_ f: CloneFixture, _ id: String, as name: String, extra: [String] = []) throws -> (CommandResult, [String: Any]) {
        let result = try f.ocore.run(["restore", id, "--new", name, "--type", "staging", "--preset", "none", "--i-understand-the-risk", "--yes", "--json"] + extra)
        return (result, (try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]) ?? [:])
    }
}
