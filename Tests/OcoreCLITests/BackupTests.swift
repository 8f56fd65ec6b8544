import Crypto
import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

/// Helpers that restore an archive the way Odoo's database manager does: unzip everything,
/// create the database, `psql -f dump.sql`, move `filestore/` into place.
enum OdooWay {
    static func restore(zip: String, into database: String) throws -> String {
        let dir = TestDirectories.make("odoo-restore", worldTraversable: true)
        let unzip = try LocalExecutor().run(Command(["python3", "-c", "import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", zip, dir]))
        guard unzip.succeeded else { throw CommandFailure(command: Command(["python3"]), host: "local", result: unzip) }
        try TestPostgres.psql().execute("CREATE DATABASE \(SQL.identifier(database)) ENCODING 'UTF8' TEMPLATE template0;")
        try TestPostgres.psql(database).execute("CREATE EXTENSION IF NOT EXISTS pg_trgm;")
        let c = TestPostgres.cluster.connection(database: database)
        let load = try LocalExecutor().run(Command(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-f", dir + "/dump.sql"] + c.clientArguments + ["-d", database],
                                                   environment: c.clientEnvironment))
        guard load.succeeded else { throw CommandFailure(command: Command(["psql"]), host: "local", result: load) }
        return dir + "/filestore"
    }

    /// Exact row counts of every table.
    static func rowCounts(_ database: String) throws -> [String: String] {
        let rows = try TestPostgres.psql(database).query("""
            SELECT table_name, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I', table_name), false, true, '')))[1]::text
            FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1
            """)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0[0], $0[1]) })
    }

    /// Relative path → SHA-256 of every file under `dir`.
    static func tree(_ dir: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for rel in (try? FileManager.default.subpathsOfDirectory(atPath: dir)) ?? [] {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue else { continue }
            out[rel] = SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: dir + "/" + rel))).map { String(format: "%02x", $0) }.joined()
        }
        return out
    }
}

@Suite("Backups (real PostgreSQL, sshd/SFTP, S3)")
struct BackupTests {
    enum Provider: String, CaseIterable { case dir, sftp, s3, ftp, ftps }

    /// Adds a storage target of the given kind; returns its name and the environment the CLI needs.
    /// - Parameter s3Endpoint: where the S3 storage is reached, when not moto directly (a slow link).
    static func addStorage(_ kind: Provider, to ocore: OcoreBinary, s3Endpoint: String? = nil) throws -> (String, [String: String]) {
        switch kind {
        case .dir:
            _ = try ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
            return ("nas", [:])
        case .sftp:
            let sshd = TestSSHD.shared
            _ = try ocore.ok(["storage", "add", "offsite", "--sftp", "\(sshd.user)@127.0.0.3:\(sshd.port):\(TestDirectories.make("ocore-sftp-backups"))/b",
                              "--identity", sshd.identity, "--known-hosts", sshd.knownHosts])
            return ("offsite", [:])
        case .s3:
            let s3 = TestS3.shared
            let bucket = "bk-\(UUID().uuidString.prefix(8).lowercased())"
            _ = try OcoreRemoteShim.python("""
                import boto3
                boto3.client('s3', endpoint_url='\(s3.endpoint)', region_name='us-east-1', aws_access_key_id='\(s3.accessKey)', aws_secret_access_key='\(s3.secretKey)').create_bucket(Bucket='\(bucket)')
                """)
            _ = try ocore.ok(["storage", "add", "cloud", "--s3", "\(bucket)/ocore", "--endpoint", s3Endpoint ?? s3.endpoint, "--region", s3.region,
                              "--access-key-env", "T_AK", "--secret-key-env", "T_SK"])
            return ("cloud", ["T_AK": s3.accessKey, "T_SK": s3.secretKey])
        case .ftp, .ftps:
            let server = kind == .ftps ? TestFTP.tls : TestFTP.plain
            let dir = "/b-\(UUID().uuidString.prefix(8).lowercased())"
            let added = try ocore.run(["storage", "add", "ftpbox", "--ftp", "\(server.user)@127.0.0.1:\(server.port):\(dir)", "--password-env", "T_FTP_PW"]
                                      + (kind == .ftps ? ["--ftps", "--ca-file", server.caFile!] : []))
            guard added.succeeded else { throw CommandFailure(command: Command(["ocore", "storage", "add"]), host: "local", result: added) }
            // Plain FTP is allowed, with a warning; FTPS is not warned about.
            #expect(added.stderrText.contains("less secure") == false && added.stderrText.contains("unencrypted") == (kind == .ftp))
            return ("ftpbox", ["T_FTP_PW": server.password])
        }
    }

    @Test("a backup to each provider is verified, and restores the Odoo way (unzip + psql) to the same rows and files", arguments: Provider.allCases)
    func roundTrip(_ kind: Provider) throws {
        let f = try CloneFixture()
        let (storage, env) = try Self.addStorage(kind, to: f.ocore)
        let created = try f.ocore.run(["backup", "create", "production", "--storage", storage, "--json"], environment: env)
        #expect(created.succeeded, "\(created.stderrText)")
        let backup = try #require(try JSONSerialization.jsonObject(with: created.stdout) as? [String: Any])
        #expect(backup["status"] as? String == "completed" && backup["is_verified"] as? Bool == true)
        let id = try #require(backup["id"] as? String)
        #expect((backup["key"] as? String)?.hasPrefix("backups/acme/production/\(id)") == true)

        if kind == .s3 {
            // moto cannot check pre-signed URLs when it checks signatures (it answers 500 even to
            // boto3's own), so botocore signs the same request at the same instant and the two
            // signatures must agree.
            let url = try f.ocore.ok(["backup", "url", id, "--expires", "600"], environment: env).trimmingCharacters(in: .whitespacesAndNewlines)
            // Whoever holds the URL can download the backup: who made one is audited.
            #expect(try f.ocore.jsonArray(["audit", "--json"]).contains { $0["action"] as? String == "backup.url" && ($0["detail"] as? String ?? "").hasPrefix(id) })
            let oracle = """
                import sys, datetime, urllib.parse
                from unittest import mock
                from botocore.auth import S3SigV4QueryAuth
                from botocore.credentials import Credentials
                from botocore.awsrequest import AWSRequest
                url, ak, sk = sys.argv[1:4]
                q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
                when = datetime.datetime.strptime(q['X-Amz-Date'], '%Y%m%dT%H%M%SZ')
                req = AWSRequest(method='GET', url=url.split('?')[0])
                with mock.patch('botocore.auth.get_current_datetime', return_value=when):
                    S3SigV4QueryAuth(Credentials(ak, sk), 's3', 'us-east-1', expires=int(q['X-Amz-Expires'])).add_auth(req)
                theirs = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(req.url).query))
                print(q['X-Amz-Signature'] == theirs['X-Amz-Signature'] and q['X-Amz-Expires'] == '600')
                """
            let agreed = try LocalExecutor().output(Command(["python3", "-c", oracle, url, TestS3.shared.accessKey, TestS3.shared.secretKey]))
            #expect(agreed.trimmingCharacters(in: .whitespacesAndNewlines) == "True", "\(url)")
        } else {
            expectCleanFailure(try f.ocore.run(["backup", "url", id], environment: env), mentions: "S3 storage only")
        }
        let verify = try f.ocore.run(["backup", "verify", id], environment: env)
        #expect(verify.succeeded && verify.stdoutText.contains("verified"), "\(verify.stdoutText)\(verify.stderrText)")

        let file = TestDirectories.make("ocore-export") + "/backup.zip"
        _ = try f.ocore.run(["backup", "export", id, file], environment: env)
        let restored = "rt_\(UUID().uuidString.prefix(8).lowercased())"
        let filestore = try OdooWay.restore(zip: file, into: restored)
        let restoredCounts = try OdooWay.rowCounts(restored), sourceCounts = try OdooWay.rowCounts(f.source)
        #expect(restoredCounts == sourceCounts)
        let original = try OdooWay.tree(f.dataDir + "/filestore/" + f.source)
        let restoredTree = try OdooWay.tree(filestore)
        #expect(original.count > 100 && restoredTree == original)
        // Odoo's own fields sit in manifest.json, the first member; the dump, compressed while the
        // filestore went into the archive, follows the filestore (Odoo's restore reads by name).
        let names = try LocalExecutor().output(Command(["python3", "-c", "import zipfile,sys,json; z=zipfile.ZipFile(sys.argv[1]); n=z.namelist(); print(n[0], n[1].split('/')[0], n[-2], json.loads(z.read('manifest.json'))['db_name'])", file]))
        #expect(names.trimmingCharacters(in: .whitespacesAndNewlines) == "manifest.json filestore dump.sql \(f.source)")
    }

    @Test("a flipped byte in storage is caught by verify; the backup stops counting as verified")
    func flippedByte() throws {
        let f = try CloneFixture()
        let root = TestDirectories.make("ocore-backups")
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", root, "--default"])
        let backup = try f.ocore.jsonObject(["backup", "create", "production", "--json"])
        let id = try #require(backup["id"] as? String)
        let path = root + "/" + (try #require(backup["key"] as? String))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x5A
        try bytes.write(to: URL(fileURLWithPath: path))
        let verify = try f.ocore.run(["backup", "verify", id])
        #expect(!verify.succeeded && verify.stdoutText.contains("✗ archive") && verify.stdoutText.contains("FAILED"), "\(verify.stdoutText)")
        let after = try f.ocore.jsonObject(["backup", "show", id, "--json"])
        #expect(after["is_verified"] as? Bool == false && (after["error"] as? String)?.contains("verify") == true)
        // A restore reads the archive where it is (its checksum and the dump's scan at once): the
        // checksum refuses it before anything is created.
        let restore = try f.ocore.run(["restore", id, "--new", "flipped", "--type", "development", "--preset", "none", "--i-understand-the-risk", "--yes"])
        let said = restore.stdoutText + restore.stderrText
        #expect(!restore.succeeded && said.contains("archive checksum") && said.contains("nothing on the target was touched"), "\(said)")
        #expect(try TestPostgres.psql().scalar("SELECT count(*) FROM pg_database WHERE datname = 'flipped'") == "0")
        #expect(!(try f.ocore.ok(["env", "list"])).contains("flipped"))
    }

    @Test("an unreadable filestore file makes the backup partial, never a clean green")
    func partial() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        let filestore = f.dataDir + "/filestore/" + f.source
        try FileManager.default.createDirectory(atPath: filestore + "/zz", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: filestore + "/zz/gone", withDestinationPath: "/nonexistent/attachment")
        let created = try f.ocore.run(["backup", "create", "production", "--json"])
        let backup = try #require(try JSONSerialization.jsonObject(with: created.stdout) as? [String: Any])
        #expect(backup["status"] as? String == "partial")
        let list = try f.ocore.ok(["backup", "list", "production"])
        #expect(list.contains("partial") && !list.contains("completed"))
    }

    @Test("a cancelled backup leaves nothing listed and no unfinished upload; the next one succeeds (S3)")
    func cancelledUpload() throws {
        let f = try CloneFixture()
        // A big filestore file behind a slow link keeps the upload busy long enough to cancel it mid-way.
        let link = try SlowLink(to: String(TestS3.shared.endpoint.dropFirst("http://".count)), bytesPerSecond: 8 << 20)
        let (storage, env) = try Self.addStorage(.s3, to: f.ocore, s3Endpoint: link.endpoint)
        let filestore = f.dataDir + "/filestore/" + f.source
        try FileManager.default.createDirectory(atPath: filestore + "/zz", withIntermediateDirectories: true)
        _ = try LocalExecutor().output(Command(["dd", "if=/dev/urandom", "of=\(filestore)/zz/big", "bs=1M", "count=96", "status=none"]))
        let queued = try f.ocore.run(["backup", "create", "production", "--storage", storage, "--detach", "--json"], environment: env)
        let doc = try #require(try JSONSerialization.jsonObject(with: queued.stdout) as? [String: Any])
        let job = try #require(doc["job"] as? Int)
        let id = try #require(doc["id"] as? String)
        // Cancel once the upload has started (the database dump step is running: the filestore
        // streams into the archive while pg_dump's output is compressed beside it).
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let steps = try f.ocore.jsonObject(["jobs", "show", String(job), "--json"])["steps"] as? [[String: Any]] ?? []
            if steps.contains(where: { $0["name"] as? String == "database_dump" && $0["status"] as? String == "running" }) { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        _ = try f.ocore.ok(["jobs", "cancel", String(job)])
        let end = try f.ocore.run(["jobs", "show", String(job), "--follow"])
        #expect(!end.succeeded)
        #expect(try f.ocore.jsonObject(["backup", "show", id, "--json"])["status"] as? String == "failed")
        #expect(try f.ocore.jsonArray(["backup", "list", "--json"]).isEmpty)
        let leftovers = try OcoreRemoteShim.python("""
            import boto3
            s3 = boto3.client('s3', endpoint_url='\(TestS3.shared.endpoint)', region_name='us-east-1', aws_access_key_id='\(TestS3.shared.accessKey)', aws_secret_access_key='\(TestS3.shared.secretKey)')
            bucket = [b['Name'] for b in s3.list_buckets()['Buckets'] if b['Name'].startswith('bk-')]
            import sys
            n = 0
            for b in bucket:
                n += len([k for k in s3.list_objects_v2(Bucket=b).get('Contents', []) if '\(id)' in k['Key']])
                n += len([u for u in s3.list_multipart_uploads(Bucket=b).get('Uploads', []) if '\(id)' in u['Key']])
            print(n)
            """)
        #expect(leftovers.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        try link.setRate(bytesPerSecond: 0)
        let next = try f.ocore.run(["backup", "create", "production", "--storage", storage, "--json"], environment: env)
        let nextJob = (try? JSONSerialization.jsonObject(with: next.stdout) as? [String: Any])?["job_id"] as? Int ?? 0
        let log = try f.ocore.run(["jobs", "show", String(nextJob)]).stdoutText
        #expect(next.succeeded, "\(log)")
    }

    @Test("pg_dump's connection cut mid-dump while the filestore streams: the backup fails with pg_dump's reason, lists nothing and leaves nothing in storage")
    func dumpCutBesideFilestore() throws {
        let f = try CloneFixture()
        let (storage, _) = try Self.addStorage(.dir, to: f.ocore)
        // Enough rows that the dump is still running when its backend is terminated, and a big
        // filestore file so the filestore is still streaming beside it.
        _ = try TestPostgres.psql(f.source).execute("CREATE TABLE x_bulk AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS note FROM generate_series(1, 3000000) g")
        let filestore = f.dataDir + "/filestore/" + f.source
        try FileManager.default.createDirectory(atPath: filestore + "/zz", withIntermediateDirectories: true)
        _ = try LocalExecutor().output(Command(["dd", "if=/dev/urandom", "of=\(filestore)/zz/big", "bs=1M", "count=96", "status=none"]))
        let queued = try f.ocore.run(["backup", "create", "production", "--storage", storage, "--detach", "--json"])
        let doc = try #require(try JSONSerialization.jsonObject(with: queued.stdout) as? [String: Any])
        let job = try #require(doc["job"] as? Int)
        let id = try #require(doc["id"] as? String)
        // pg_dump's backend (ocore names its connections), once it is copying rows out: terminated
        // as a lost connection would be.
        var terminated = false
        let deadline = Date().addingTimeInterval(60)
        while !terminated && Date() < deadline {
            let pids = try TestPostgres.psql().query("SELECT pid FROM pg_stat_activity WHERE datname = \(SQL.literal(f.source)) AND application_name = 'ocore' AND query LIKE 'COPY % TO stdout%'")
            for pid in pids { _ = try TestPostgres.psql().scalar("SELECT pg_terminate_backend(\(pid[0]))"); terminated = true }
            if !terminated { Thread.sleep(forTimeInterval: 0.02) }
        }
        #expect(terminated, "pg_dump was never seen copying")
        let end = try f.ocore.run(["jobs", "show", String(job), "--follow"])
        #expect(!end.succeeded)
        let failed = try f.ocore.jsonObject(["backup", "show", id, "--json"])
        #expect(failed["status"] as? String == "failed")
        let reason = try f.ocore.job(job)["error_message"] as? String ?? ""
        #expect(reason.contains("pg_dump") && reason.contains("\"x_bulk\" failed"), "\(reason)")
        #expect(try f.ocore.jsonArray(["backup", "list", "--json"]).isEmpty)
        let root = try #require(try f.ocore.jsonArray(["storage", "list", "--json"]).first?["path"] as? String)
        #expect(try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.contains(id) }.isEmpty)
        #expect(files(in: f.ocore.home + "/tmp").allSatisfy { !$0.hasPrefix("ocore-spool") })
    }

    @Test("kill -9 of the worker mid-upload: after recovery nothing is listed, no temporary file or unfinished multipart upload is left, the next backup succeeds",
          arguments: [Provider.dir, .s3])
    func killedMidUpload(_ kind: Provider) throws {
        let f = try CloneFixture()
        // Over S3 the upload goes through a link slow enough (as a WAN link is) that it is still
        // under way when the worker is killed; on an idle machine loopback moto can take 160 MB
        // faster than the test can see the step start.
        let link = kind == .s3 ? try SlowLink(to: String(TestS3.shared.endpoint.dropFirst("http://".count)), bytesPerSecond: 8 << 20) : nil
        let (storage, env) = try Self.addStorage(kind, to: f.ocore, s3Endpoint: link?.endpoint)
        let filestore = f.dataDir + "/filestore/" + f.source
        try FileManager.default.createDirectory(atPath: filestore + "/zz", withIntermediateDirectories: true)
        _ = try LocalExecutor().output(Command(["dd", "if=/dev/urandom", "of=\(filestore)/zz/big", "bs=1M", "count=160", "status=none"]))
        let queued = try f.ocore.run(["backup", "create", "production", "--storage", storage, "--detach", "--json"], environment: env)
        let doc = try #require(try JSONSerialization.jsonObject(with: queued.stdout) as? [String: Any])
        let job = try #require(doc["job"] as? Int)
        let id = try #require(doc["id"] as? String)
        // The upload (a temporary object) is under way from the first step; kill as soon as the
        // database and the filestore stream (both in the dump step), before a fast local backup
        // can finish.
        _ = try f.ocore.waitForJob(job, "the database dump step") { stepStatus($0, 1) == "running" }
        try f.ocore.killWorker()
        let recovery = try f.ocore.run(["worker"], environment: env)
        #expect(recovery.succeeded, "\(recovery.stderrText)")
        let killed = try f.ocore.job(job)
        #expect(killed["status"] as? String == "interrupted", "the worker was killed after the backup ended: \(killed)")
        #expect(try f.ocore.jsonObject(["backup", "show", id, "--json"])["status"] as? String == "failed")
        #expect(try f.ocore.jsonArray(["backup", "list", "--json"]).isEmpty)
        switch kind {
        case .s3:
            let leftovers = try OcoreRemoteShim.python("""
                import boto3
                s3 = boto3.client('s3', endpoint_url='\(TestS3.shared.endpoint)', region_name='us-east-1', aws_access_key_id='\(TestS3.shared.accessKey)', aws_secret_access_key='\(TestS3.shared.secretKey)')
                n = 0
                for b in [b['Name'] for b in s3.list_buckets()['Buckets'] if b['Name'].startswith('bk-')]:
                    n += len([k for k in s3.list_objects_v2(Bucket=b).get('Contents', []) if '\(id)' in k['Key']])
                    n += len([u for u in s3.list_multipart_uploads(Bucket=b).get('Uploads', []) if '\(id)' in u['Key']])
                print(n)
                """)
            #expect(leftovers.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        default:
            let root = try #require(try f.ocore.jsonArray(["storage", "list", "--json"]).first?["path"] as? String)
            #expect(try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.contains(id) }.isEmpty)
        }
        // The dump compressed while the filestore streamed never had a name on this host's disk.
        #expect(files(in: f.ocore.home + "/tmp").allSatisfy { !$0.hasPrefix("ocore-spool") })
        try link?.setRate(bytesPerSecond: 0)
        let next = try f.ocore.run(["backup", "create", "production", "--storage", storage, "--json"], environment: env)
        #expect(next.succeeded, "\(next.stderrText)")
    }

    @Test("S3 answering CompleteMultipartUpload with HTTP 200 and an <Error> body: the backup fails, nothing is listed, the upload is aborted")
    func completeMultipartErrorBody() throws {
        let f = try CloneFixture()
        let s3 = TestS3.shared
        // Large enough for a multipart upload.
        let filestore = f.dataDir + "/filestore/" + f.source
        try FileManager.default.createDirectory(atPath: filestore + "/zz", withIntermediateDirectories: true)
        _ = try LocalExecutor().output(Command(["dd", "if=/dev/urandom", "of=\(filestore)/zz/big", "bs=1M", "count=24", "status=none"]))
        let bucket = "bk-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try OcoreRemoteShim.python("""
            import boto3
            boto3.client('s3', endpoint_url='\(s3.endpoint)', region_name='us-east-1', aws_access_key_id='\(s3.accessKey)', aws_secret_access_key='\(s3.secretKey)').create_bucket(Bucket='\(bucket)')
            """)
        // A proxy in front of moto that forwards everything (signatures stay valid: the Host header
        // is passed on) except CompleteMultipartUpload, answered the way S3 sometimes does.
        let dir = TestDirectories.make("s3-fault-proxy")
        let port = freeLoopbackPort()
        try """
            import http.client, sys
            from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
            upstream = sys.argv[2]
            class Proxy(BaseHTTPRequestHandler):
                protocol_version = 'HTTP/1.1'
                def log_message(self, *a): pass
                def handle_any(self):
                    body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                    if self.command == 'POST' and 'uploadId=' in self.path:
                        err = b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>'
                        self.send_response(200); self.send_header('Content-Length', str(len(err))); self.end_headers(); self.wfile.write(err); return
                    c = http.client.HTTPConnection(upstream)
                    c.request(self.command, self.path, body=body, headers={k: v for k, v in self.headers.items() if k.lower() not in ('expect', 'connection')})
                    r = c.getresponse(); data = r.read()
                    self.send_response(r.status)
                    for k, v in r.getheaders():
                        if k.lower() not in ('transfer-encoding', 'connection', 'content-length'): self.send_header(k, v)
                    self.send_header('Content-Length', str(len(data))); self.end_headers()
                    if self.command != 'HEAD': self.wfile.write(data)
                do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any
            ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Proxy).serve_forever()
            """.write(toFile: dir + "/proxy.py", atomically: true, encoding: .utf8)
        let proxy = try BackgroundProcess.spawn(["python3", dir + "/proxy.py", String(port), String(s3.endpoint.dropFirst("http://".count))],
                                                logPath: dir + "/proxy.log")
        defer { proxy.stop() }
        try TestSSHD.waitForPort(address: "127.0.0.1", port: port, logDir: dir)
        _ = try f.ocore.ok(["storage", "add", "flaky", "--s3", "\(bucket)/ocore", "--endpoint", "http://127.0.0.1:\(port)", "--region", s3.region,
                            "--access-key-env", "T_AK", "--secret-key-env", "T_SK"])
        let env = ["T_AK": s3.accessKey, "T_SK": s3.secretKey]
        let created = try f.ocore.run(["backup", "create", "production", "--storage", "flaky", "--json"], environment: env)
        #expect(!created.succeeded)
        let doc = (try? JSONSerialization.jsonObject(with: created.stdout) as? [String: Any]) ?? [:]
        #expect(doc["status"] as? String == "failed", "\(created.stdoutText) \(created.stderrText)")
        #expect((doc["error"] as? String)?.contains("InternalError") == true, "\(doc)")
        #expect(try f.ocore.jsonArray(["backup", "list", "--json"]).isEmpty)
        let left = try OcoreRemoteShim.python("""
            import boto3
            s3 = boto3.client('s3', endpoint_url='\(s3.endpoint)', region_name='us-east-1', aws_access_key_id='\(s3.accessKey)', aws_secret_access_key='\(s3.secretKey)')
            print(len(s3.list_multipart_uploads(Bucket='\(bucket)').get('Uploads', [])), len(s3.list_objects_v2(Bucket='\(bucket)').get('Contents', [])))
            """)
        #expect(left.trimmingCharacters(in: .whitespacesAndNewlines) == "0 0")
    }

    @Test("without a storage target the CLI says how to add one, in one line")
    func noStorage() throws {
        let f = try CloneFixture()
        expectCleanFailure(try f.ocore.run(["backup", "create", "production"]), mentions: "no default storage")
        expectCleanFailure(try f.ocore.run(["backup", "rm", "nope"]), mentions: "--confirm nope")
    }
}

@Suite("Retention and schedules (real backups in a directory)")
struct RetentionCLITests {
    @Test("retention sweep --dry-run lists exactly what the real sweep then deletes; pinned and newest verified stay")
    func sweepMatchesDryRun() throws {
        let f = try CloneFixture()
        let root = TestDirectories.make("ocore-backups")
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", root, "--default"])
        var ids: [String] = []
        for _ in 0..<4 { ids.append(try #require(try f.ocore.jsonObject(["backup", "create", "production", "--no-filestore", "--json"])["id"] as? String)) }
        _ = try f.ocore.ok(["backup", "pin", ids[1]])
        try f.ocore.waitUntilIdle()
        // Age every backup past its expiry.
        _ = try LocalExecutor().output(Command(["sqlite3", "-cmd", ".timeout 10000", f.ocore.home + "/ocore.db",
                                                "UPDATE backup SET tier = 'daily', expires_at = '2020-01-01T00:00:00.000Z'"]))
        let dry = try f.ocore.jsonArray(["retention", "sweep", "--dry-run", "--json"])
        let planned = Dictionary(uniqueKeysWithValues: dry.map { ($0["id"] as! String, $0["action"] as! String) })
        #expect(planned == [ids[0]: "delete", ids[1]: "keep", ids[2]: "delete", ids[3]: "keep"])
        #expect(dry.first { $0["id"] as? String == ids[3] }?["reason"] as? String == "newest verified backup")
        let real = try f.ocore.jsonArray(["retention", "sweep", "--json"])
        #expect(Dictionary(uniqueKeysWithValues: real.map { ($0["id"] as! String, $0["action"] as! String) }) == planned)
        let left = try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.hasSuffix(".zip") }.map { ($0 as NSString).lastPathComponent }
        #expect(Set(left) == [ids[1] + ".zip", ids[3] + ".zip"])
        let listed = try f.ocore.jsonArray(["backup", "list", "--all", "--json"])
        #expect(listed.filter { $0["status"] as? String == "expired" }.count == 2)
    }

    @Test("a schedule queues one backup per missed slot window, not one per missed day")
    func runDue() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        expectCleanFailure(try f.ocore.run(["policy", "set", "production", "--at", "25:00"]), mentions: "HH:MM")
        _ = try f.ocore.ok(["policy", "set", "production", "--at", "00:00", "--daily", "3", "--no-filestore"])
        // Another environment's schedule points at storage that has since been removed: it is
        // reported and does not hold up production's.
        _ = try f.ocore.ok(["storage", "add", "gone", "--dir", TestDirectories.make("ocore-gone")])
        _ = try f.ocore.ok(["env", "add", "dev", "--project", "acme", "--type", "development", "--server", "local", "--db", "nothing_here"])
        _ = try f.ocore.ok(["policy", "set", "dev", "--at", "00:00", "--storage", "gone"])
        _ = try f.ocore.ok(["storage", "rm", "gone"])
        let first = try f.ocore.run(["backup", "run-due"])
        #expect(!first.succeeded && first.stdoutText.contains("scheduled backup of production queued"))
        #expect(first.stderrText.contains("scheduled backup of dev not started") && first.stderrText.contains("gone"))
        let second = try f.ocore.run(["backup", "run-due"])
        #expect(!second.stdoutText.contains("production") && second.stderrText.contains("dev not started"))
        let job = try #require(try f.ocore.jsonArray(["jobs", "list", "--all", "--json"]).first?["id"] as? Int)
        _ = try f.ocore.run(["jobs", "show", String(job), "--follow"])
        let backups = try f.ocore.jsonArray(["backup", "list", "production", "--json"])
        #expect(backups.count == 1 && backups.first?["type"] as? String == "scheduled" && backups.first?["include_filestore"] as? Bool == false)
        #expect(try f.ocore.ok(["policy", "show", "production"]).contains("keep 3 days"))
    }
}

extension RetentionCLITests {
    @Test("every hour from midnight: a missed slot runs once, the day's second backup is an hourly kept the hours asked; disable, enable and rm act on the schedule and are audited")
    func frequentSchedule() throws {
        let f = try CloneFixture()
        _ = try f.ocore.ok(["storage", "add", "nas", "--dir", TestDirectories.make("ocore-backups"), "--default"])
        expectCleanFailure(try f.ocore.run(["policy", "set", "production", "--at", "00:00", "--every", "5h"]), mentions: "--every takes hours that divide the day")
        let set = try f.ocore.ok(["policy", "set", "production", "--at", "00:00", "--every", "1h", "--hourly", "30", "--no-filestore"])
        #expect(set.contains("backed up every 1h from 00:00; keep the others 30 hours, 7 days"), "\(set)")
        let shown = try f.ocore.jsonObject(["policy", "show", "production", "--json"])["policy"] as? [String: Any]
        #expect(shown?["every_hours"] as? Int == 1 && shown?["enabled"] as? Bool == true
                && (shown?["retention"] as? [String: Any])?["hourly_hours"] as? Int == 30, "\(String(describing: shown))")

        func runDue() throws -> String {
            let out = try f.ocore.ok(["backup", "run-due"])
            try f.ocore.waitUntilIdle()
            return out
        }
        func backdateLastRun(hours: Int) throws {
            let at = ISO8601DateFormatter().string(from: Date().addingTimeInterval(Double(-hours * 3600)))
            _ = try LocalExecutor().output(Command(["sqlite3", "-cmd", ".timeout 10000", f.ocore.home + "/ocore.db",
                                                    "UPDATE backup_policy SET last_run_at = '\(at)'"]))
        }
        #expect(try runDue().contains("scheduled backup of production queued"))
        #expect(try runDue().contains("no scheduled backup is due"), "the hour's slot has run")
        try backdateLastRun(hours: 3)
        #expect(try runDue().contains("scheduled backup of production queued"), "three missed hourly slots")
        #expect(try runDue().contains("no scheduled backup is due"), "...run once, not three times")
        // In the order they were made (both may fall in the same second).
        let backups = try f.ocore.jsonArray(["backup", "list", "production", "--json"]).sorted { ($0["job_id"] as? Int ?? 0) < ($1["job_id"] as? Int ?? 0) }
        #expect(backups.count == 2, "\(backups)")
        #expect(backups.first?["retention_tier"] as? String != "hourly", "the day's first backup is its daily (or better)")
        #expect(backups.last?["retention_tier"] as? String == "hourly", "\(backups.map { ($0["created_at"] ?? "", $0["retention_tier"] ?? "") })")
        let created = try #require(Timestamp.parse(backups.last?["created_at"] as? String ?? ""))
        let expires = try #require(Timestamp.parse(backups.last?["expires_at"] as? String ?? ""))
        #expect(abs(expires.timeIntervalSince(created) - 30 * 3600) < 120, "kept 30 hours: \(created) → \(expires)")

        _ = try f.ocore.ok(["policy", "disable", "production"])
        try backdateLastRun(hours: 3)
        #expect(try runDue().contains("no scheduled backup is due"), "a switched-off schedule starts nothing")
        #expect(try f.ocore.ok(["policy", "show", "production"]).contains("every 1h from 00:00, incremental, to the default storage, database only (switched off)"))
        let again = try f.ocore.ok(["policy", "set", "production", "--at", "00:00", "--every", "2h", "--no-filestore"])
        #expect(again.contains("switched off: `ocore policy enable production` turns it on"), "changing a switched-off schedule leaves it off")
        _ = try f.ocore.ok(["policy", "enable", "production"])
        #expect(try runDue().contains("scheduled backup of production queued"), "switched on again, the missed slot runs once")
        _ = try f.ocore.ok(["policy", "rm", "production"])
        #expect(try f.ocore.ok(["policy", "show", "production"]).contains("production has no backup schedule"))
        expectCleanFailure(try f.ocore.run(["policy", "rm", "production"]), mentions: "production has no backup schedule")
        expectCleanFailure(try f.ocore.run(["policy", "enable", "production"]), mentions: "production has no backup schedule")
        let audit = try f.ocore.ok(["audit"])
        #expect(audit.contains("policy.disable") && audit.contains("policy.enable") && audit.contains("policy.rm"))
        #expect(try f.ocore.jsonArray(["backup", "list", "production", "--json"]).count == 3, "removing the schedule removes no backup")
    }
}

@Suite("Encrypted backups (real PostgreSQL, S3)")
struct EncryptionTests {
    @Test("an encrypted backup holds no plaintext, verifies and restores like any other; export --decrypt gives the Odoo zip; a wrong key fails before anything is touched")
    func encryptedRoundTrip() throws {
        let f = try RestoreFixture.plain()
        let keyFile = f.ocore.home + "/backup.key"
        try String(repeating: "3f", count: 32).write(toFile: keyFile, atomically: true, encoding: .utf8)
        let root = TestDirectories.make("ocore-enc-backups")
        expectCleanFailure(try f.ocore.run(["storage", "add", "vault", "--dir", root, "--default", "--encrypt-key-file", keyFile]), mentions: "chmod 600")
        chmod(keyFile, 0o600)
        _ = try f.ocore.ok(["storage", "add", "vault", "--dir", root, "--default", "--encrypt-key-file", keyFile])
        expectCleanFailure(try f.ocore.run(["storage", "add", "bad", "--dir", root, "--encrypt-key-env", "NOT_SET_ANYWHERE"]), mentions: "NOT_SET_ANYWHERE is not set")

        let email = try #require(try TestPostgres.psql(f.clone.source).scalar("SELECT email FROM res_partner WHERE email LIKE '%@%' ORDER BY id DESC LIMIT 1"))
        let backup = try f.ocore.jsonObject(["backup", "create", "production", "--json"])
        let id = try #require(backup["id"] as? String)
        #expect(backup["status"] as? String == "completed" && backup["is_verified"] as? Bool == true)
        let stored = try Data(contentsOf: URL(fileURLWithPath: root + "/" + (try #require(backup["key"] as? String))))
        #expect(stored.prefix(9) == Data("OCOREENC2".utf8))
        #expect(stored.range(of: Data(email.utf8)) == nil, "a customer's e-mail must not appear in the stored bytes")
        #expect(stored.range(of: Data("CREATE TABLE".utf8)) == nil)

        #expect(try f.ocore.run(["backup", "verify", id]).succeeded)
        let plain = TestDirectories.make("ocore-export") + "/plain.zip"
        _ = try f.ocore.ok(["backup", "export", id, plain, "--decrypt"])
        let restored = "enc_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try OdooWay.restore(zip: plain, into: restored)
        let restoredCounts = try OdooWay.rowCounts(restored), sourceCounts = try OdooWay.rowCounts(f.clone.source)
        #expect(restoredCounts == sourceCounts)

        // Another key: refused, and the target is left as it was.
        _ = try TestPostgres.psql(f.clone.source).execute("CREATE TABLE still_here (x int);")
        try String(repeating: "7a", count: 32).write(toFile: keyFile, atomically: true, encoding: .utf8)
        let wrong = try f.ocore.run(["restore", id, "--confirm", "production", "--yes"])
        #expect(!wrong.succeeded)
        // (Job numbers are not fixed: a retention sweep follows each backup.)
        let restoreJob = try #require(try f.ocore.jsonArray(["jobs", "list", "--all", "--json"]).first { $0["kind"] as? String == "restore" }?["id"] as? Int)
        #expect(try f.ocore.run(["jobs", "show", String(restoreJob)]).stdoutText.contains("wrong encryption key"))
        #expect(try TestPostgres.psql(f.clone.source).scalar("SELECT to_regclass('still_here') IS NOT NULL") == "t")
        #expect(try f.ocore.jsonArray(["backup", "list", "production", "--json"]).count == 1, "no safety backup was even started")
    }
}
