import Foundation
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

/// An XFS file system with reflink, in an image file the test loop-mounts, when this machine
/// lets it (root, loop devices, mkfs.xfs); else the reason it cannot.
struct ReflinkVolume {
    let image: String
    let path: String

    static func make() -> Result<ReflinkVolume, ReflinkUnavailable> {
        let local = LocalExecutor()
        guard geteuid() == 0 else { return .failure(ReflinkUnavailable(reason: "not root: cannot loop-mount a file system")) }
        let id = UUID().uuidString.prefix(8).lowercased()
        let volume = ReflinkVolume(image: "/var/tmp/ocore-reflink-\(id).img", path: "/var/tmp/ocore-reflink-\(id)")
        for step in [["truncate", "-s", "700M", volume.image], ["mkfs.xfs", "-q", "-m", "reflink=1", volume.image], ["mkdir", "-p", volume.path],
                     ["mount", "-o", "loop", volume.image, volume.path]] {
            guard let result = try? local.run(Command(step)), result.succeeded else {
                volume.remove()
                let why = (try? local.run(Command(step)))?.stderrText.trimmingCharacters(in: .whitespacesAndNewlines) ?? "cannot run"
                return .failure(ReflinkUnavailable(reason: "`\(step.joined(separator: " "))` failed: \(why)"))
            }
        }
        return .success(volume)
    }

    func remove() {
        let local = LocalExecutor()
        _ = try? local.run(Command(["umount", path]))
        _ = try? local.run(Command(["rmdir", path]))
        _ = try? local.run(Command(["rm", "-f", image]))
    }
}

struct ReflinkUnavailable: Error { let reason: String }

@Suite("Copy-on-write filestore copies")
struct CopyOnWriteTests {
    @Test("on a file system that shares blocks, a clone's filestore is reflinked: the same files, each its own inode and mode; on one that does not it is hard-linked; the job says which")
    func reflinkedOrHardLinked() throws {
        let volume = ReflinkVolume.make()
        let reflinks: Bool
        let ocore = OcoreBinary()
        let data: String
        switch volume {
        case .success(let v):
            reflinks = true
            data = v.path + "/odoo-data"
        case .failure(let unavailable):
            // Said in the output: this machine tests the hard-link path only.
            print("copy-on-write: the reflink path is not tested on this machine (\(unavailable.reason)); the hard-link path is")
            reflinks = false
            data = ocore.home + "/odoo-data"
        }
        defer { if case .success(let v) = volume { v.remove() } }
        let source = "cow_\(UUID().uuidString.prefix(8).lowercased())"
        let addons = ocore.home + "/addons"
        try DemoDatabase.writeAddons(to: addons)
        try DemoDatabase(server: TestPostgres.psql(), name: source, scale: .small, seed: 5, filestore: data + "/filestore/" + source,
                         baseURL: "https://erp.acme.example").create()
        let pg = TestPostgres.cluster
        _ = try ocore.ok(["server", "add", "local", "--local", "--pg-host", pg.socketDirectory, "--pg-port", String(pg.port), "--pg-user", pg.superuser,
                          "--data-dir", data])
        _ = try ocore.ok(["env", "add", "production", "--project", "acme", "--type", "production", "--server", "local", "--db", source, "--addons", addons])
        let name = "cow_t_\(UUID().uuidString.prefix(6).lowercased())"
        let doc = try ocore.jsonObject(["clone", "production", "--new", name, "--type", "staging", "--url", "https://\(name).acme.example",
                                        "--preset", "minimal", "--json"])
        #expect(doc["status"] as? String == "completed", "\(doc["error_message"] ?? "")")
        let job = try #require(doc["id"] as? Int)
        let log = try ocore.ok(["jobs", "show", String(job)])
        #expect(log.contains(reflinks ? "filestore reflinked into" : "filestore hard-linked into"), "\(log)")

        let from = data + "/filestore/" + source, to = data + "/filestore/" + name
        let original = try OdooWay.tree(from)
        let copied = try OdooWay.tree(to)
        #expect(original.count > 100 && copied == original)
        let file = try #require(original.keys.sorted().first)
        func inode(_ path: String) throws -> UInt64 { try #require((try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber)?.uint64Value) }
        if reflinks {
            let (a, b) = (try inode(from + "/" + file), try inode(to + "/" + file))
            #expect(a != b, "a file of its own")
            // Its mode is its own: the source's file is not touched.
            let mode = try FileManager.default.attributesOfItem(atPath: from + "/" + file)[.posixPermissions] as? Int
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: to + "/" + file)
            #expect(try FileManager.default.attributesOfItem(atPath: from + "/" + file)[.posixPermissions] as? Int == mode)
        } else {
            let (a, b) = (try inode(from + "/" + file), try inode(to + "/" + file))
            #expect(a == b, "a hard link")
        }
        // The clone's database goes with the test (its filestore with the volume or the home).
        try TestPostgres.psql().execute("DROP DATABASE IF EXISTS \(SQL.identifier(name)) WITH (FORCE);")
    }
}
