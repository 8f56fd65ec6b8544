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
    }
}
