import Foundation
import OcoreArchive
import OcoreRemote

/// What a backup to restore holds and where, whoever made it: ocore's two layouts, Odoo's
/// database-manager / Odoo.sh ZIP, the seeds' ZIP (`filestore.tar.gz`), a click-odoo folder
/// (`db.dump` + `filestore/`), a bare custom-format or plain SQL dump, or a `pg_dump -Fd` folder.
/// Recognised by content (magic numbers, member names), never by file name.
struct RestoreSource {
    enum Database: Equatable {
        /// Plain SQL, loaded by `psql`: a ZIP member or a file on this host.
        case plainMember(String), plainFile(String)
        /// A custom-format dump (`PGDMP`), loaded by `pg_restore -j`: a ZIP member or a file.
        case customMember(String), customFile(String)
        /// A directory-format dump (`toc.dat` + one file per table): ZIP members under a prefix or a folder.
        case directoryMembers(prefix: String), directory(String)

        var usesPgRestore: Bool {
            switch self { case .plainMember, .plainFile: false; default: true }
        }
    }

    enum Filestore: Equatable {
        case none
        /// `filestore/<sha1 prefix>/<sha1>` members of a ZIP.
        case members(prefix: String)
        /// One gzipped tar member (the seeds' `filestore.tar.gz`).
        case tarGzMember(String)
        /// A folder on this host.
        case directory(String)
        /// The objects an incremental backup's file list (a file on this host) names, fetched
        /// from its storage.
        case objects(list: String)
    }

    var database: Database
    var filestore: Filestore
    /// The archive, when the source is a ZIP.
    var zip: ZipArchiveReader?

    enum Problem: Error, CustomStringConvertible {
        case unknown(String)
        var description: String {
            switch self { case .unknown(let why): why }
        }
    }

    static func inspect(_ path: String) throws -> RestoreSource {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw Problem.unknown("\(path) does not exist") }
        if isDirectory.boolValue { return try folder(path) }
        let head = try magic(path)
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return try archive(path) }
        if head.starts(with: Array("PGDMP".utf8)) { return RestoreSource(database: .customFile(path), filestore: .none) }
        if looksLikeSQL(head) { return RestoreSource(database: .plainFile(path), filestore: .none) }
        throw Problem.unknown("\(path) is neither a ZIP backup, a folder backup nor a PostgreSQL dump (plain SQL or custom format)")
    }

    private static func archive(_ path: String) throws -> RestoreSource {
        let zip = try ZipArchiveReader(path: path)
        let names = zip.members.map(\.name)
        let set = Set(names)
        let database: Database
        if set.contains("dump.sql") { database = .plainMember("dump.sql") }
        else if set.contains("dump/toc.dat") { database = .directoryMembers(prefix: "dump/") }
        else if set.contains("db.dump") { database = .customMember("db.dump") }
        else { throw Problem.unknown("\(path) holds no database dump (dump.sql, dump/toc.dat or db.dump)") }
        let filestore: Filestore = names.contains(where: { $0.hasPrefix("filestore/") }) ? .members(prefix: "filestore/")
            : set.contains("filestore.tar.gz") ? .tarGzMember("filestore.tar.gz") : .none
        return RestoreSource(database: database, filestore: filestore, zip: zip)
    }

    private static func folder(_ path: String) throws -> RestoreSource {
        let fm = FileManager.default
        func file(_ name: String) -> String? { fm.fileExists(atPath: path + "/" + name) ? path + "/" + name : nil }
        let database: Database
        if let dump = file("db.dump") { database = try magic(dump).starts(with: Array("PGDMP".utf8)) ? .customFile(dump) : .plainFile(dump) }
        else if let dump = file("dump.sql") { database = .plainFile(dump) }
        else if file("dump/toc.dat") != nil { database = .directory(path + "/dump") }
        else if file("toc.dat") != nil { database = .directory(path) }
        else { throw Problem.unknown("\(path) holds no database dump (db.dump, dump.sql or a pg_dump directory)") }
        var isDirectory: ObjCBool = false
        let filestore: Filestore = fm.fileExists(atPath: path + "/filestore", isDirectory: &isDirectory) && isDirectory.boolValue
            ? .directory(path + "/filestore") : file(IncrementalRestore.listName).map { .objects(list: $0) } ?? .none
        return RestoreSource(database: database, filestore: filestore)
    }

    private static func magic(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Problem.unknown("cannot read \(path)") }
        defer { try? handle.close() }
        return [UInt8](try handle.read(upToCount: 512) ?? Data())
    }

    /// A plain dump starts with comments or SET statements, in text.
    private static func looksLikeSQL(_ head: [UInt8]) -> Bool {
        guard !head.isEmpty, !head.contains(0) else { return false }
        let text = String(decoding: head, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.hasPrefix("--") || text.hasPrefix("SET ") || text.hasPrefix("CREATE ") || text.hasPrefix("\\")
    }

    var describe: String {
        let db: String
        switch database {
        case .plainMember(let m): db = "plain SQL \(m)"
        case .plainFile(let f): db = "plain SQL \((f as NSString).lastPathComponent)"
        case .customMember(let m): db = "custom-format \(m)"
        case .customFile(let f): db = "custom-format \((f as NSString).lastPathComponent)"
        case .directoryMembers(let p): db = "directory-format \(p)"
        case .directory(let d): db = "directory-format \((d as NSString).lastPathComponent)/"
        }
        let fs: String
        switch filestore {
        case .none: fs = "no filestore"
        case .members(let p): fs = "filestore tree \(p)"
        case .tarGzMember(let m): fs = "filestore \(m)"
        case .directory: fs = "filestore folder"
        case .objects: fs = "filestore objects"
        }
        return "\(db), \(fs)"
    }
}

/// Counts what `pg_restore -v` reports on stderr (data loaded per table, indexes, constraints)
/// against the archive's table of contents, and keeps its error lines.
final class PgRestoreProgress: ByteSink, @unchecked Sendable {
    private(set) var tables = 0
    private(set) var indexes = 0
    private(set) var constraints = 0
    private(set) var errors: [String] = []
    private var partial = Data()
    private let lock = NSLock()
    let total: Int
    let onChange: (PgRestoreProgress) -> Void

    /// `total`: data, index and constraint entries of the archive (`pg_restore -l`).
    init(total: Int, onChange: @escaping (PgRestoreProgress) -> Void) {
        self.total = max(total, 1)
        self.onChange = onChange
    }

    static func countEntries(listing: String) -> Int {
        listing.split(separator: "\n").filter { line in
            !line.hasPrefix(";") && (line.contains(" TABLE DATA ") || line.contains(" INDEX ") || line.contains(" CONSTRAINT ") || line.contains(" FK CONSTRAINT "))
        }.count
    }

    var fraction: Double { lock.withLock { Double(tables + indexes + constraints) / Double(total) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        partial.append(contentsOf: bytes)
        var changed = false
        while let newline = partial.firstIndex(of: 0x0A) {
            let line = String(decoding: partial[partial.startIndex..<newline], as: UTF8.self)
            partial.removeSubrange(partial.startIndex...newline)
            lock.withLock {
                if line.contains("processing data for table") { tables += 1; changed = true }
                else if line.contains("creating INDEX") { indexes += 1; changed = true }
                else if line.contains("creating CONSTRAINT") || line.contains("creating FK CONSTRAINT") { constraints += 1; changed = true }
                else if line.contains("error:") || line.hasPrefix("ERROR") || line.contains("FATAL") {
                    if errors.count < 20 { errors.append(line) }
                }
            }
        }
        if changed { onChange(self) }
    }

    var summary: String { "\(tables) tables loaded, \(indexes) indexes, \(constraints) constraints" }
}
