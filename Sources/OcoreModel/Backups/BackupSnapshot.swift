import Foundation

/// What an incremental backup holds: every file of its database dump (a `pg_dump` directory,
/// one file per table) and of its filestore, each naming the content-addressed object that holds
/// its bytes. Objects are shared by every backup of the storage that has the same content, so a
/// backup adds only what no earlier one stored. Written to storage only after every object it
/// names was confirmed stored; the backup exists once its manifest follows it.
public struct BackupSnapshot: Codable, Sendable, Equatable {
    /// One file and the object holding it.
    public struct Entry: Codable, Sendable, Equatable {
        /// Relative path (`toc.dat`, `4012.dat.gz`; `ab/abcdef…` in the filestore).
        public var path: String
        /// Plain size.
        public var size: Int64
        /// SHA-256 of the plain content.
        public var sha256: String
        /// The object's name in storage: the SHA-256 itself, or its keyed form when the storage
        /// encrypts (so names reveal nothing); nil means the SHA-256.
        public var object: String?
        /// Stored size when it differs from `size` (encrypted).
        public var stored: Int64?
        /// The file's modification time (seconds), so the next backup can tell an unchanged file
        /// from its listing without reading it.
        public var mtime: Double?

        public init(path: String, size: Int64, sha256: String, object: String? = nil, stored: Int64? = nil, mtime: Double? = nil) {
            self.path = path
            self.size = size
            self.sha256 = sha256
            self.object = object
            self.stored = stored
            self.mtime = mtime
        }

        public var objectName: String { object ?? sha256 }
        public var storedSize: Int64 { stored ?? size }

        enum CodingKeys: String, CodingKey { case path = "p", size = "s", sha256 = "h", object = "o", stored = "z", mtime = "m" }
    }

    public var backupID: String
    public var dump: [Entry]
    public var filestore: [Entry]
    /// Filestore files that could not be read when the backup was taken (a partial backup).
    public var unreadable: [String]

    public init(backupID: String, dump: [Entry], filestore: [Entry], unreadable: [String] = []) {
        self.backupID = backupID
        self.dump = dump
        self.filestore = filestore
        self.unreadable = unreadable
    }

    /// Bytes the backup stands for: its dump and filestore as files.
    public var logicalSize: Int64 { (dump + filestore).reduce(0) { $0 + $1.size } }

    /// Every object the backup needs, once each.
    public var objects: [String: Int64] {
        var out: [String: Int64] = [:]
        for entry in dump + filestore { out[entry.objectName] = entry.storedSize }
        return out
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> BackupSnapshot {
        try JSONDecoder().decode(BackupSnapshot.self, from: data)
    }

    /// The storage key of a content-addressed object (fanned out by its first two characters).
    public static func objectKey(_ name: String) -> String { "objects/\(name.prefix(2))/\(name)" }

    /// The object name in a key made by ``objectKey(_:)``, nil for anything else.
    public static func objectName(key: String) -> String? {
        guard key.hasPrefix("objects/") else { return nil }
        let name = (key as NSString).lastPathComponent
        return name.count == 64 && name.allSatisfy(\.isHexDigit) ? name : nil
    }
}
