import Foundation
@testable import OcoreArchive
import OcoreRemote
import OcoreTestSupport
import Testing

/// Writes into a file on disk through the streaming writer (which never seeks).
final class FileSink: ByteSink {
    let handle: FileHandle
    init(_ path: String) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }
    func write(_ bytes: UnsafeRawBufferPointer) throws { handle.write(Data(bytes)) }
}

@Suite("Streaming archives")
struct ArchiveTests {
    @Test("past 65,535 members the writer switches to ZIP64, and Python's zipfile (Odoo's reader), unzip and ZIPFoundation all read it")
    func zip64ManyMembers() throws {
        let path = TestDirectories.make("ocore-zip") + "/many.zip"
        let sink = try FileSink(path)
        let zip = ZipStreamWriter(sink: sink)
        try zip.add("dump.sql", data: Data(String(repeating: "INSERT INTO t VALUES (1);\n", count: 2000).utf8), method: .deflated(level: 1))
        for i in 0..<70_000 { try zip.add(String(format: "filestore/%02x/%06d", i % 256, i), data: Data("file \(i)".utf8), method: .stored) }
        try zip.finish()
        try sink.handle.close()
        let python = try LocalExecutor().output(Command(["python3", "-c", """
            import zipfile, sys
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            print(len(z.namelist()), z.read('filestore/2a/000042').decode(), len(z.read('dump.sql')))
            """, path]))
        #expect(python.trimmingCharacters(in: .whitespacesAndNewlines) == "70001 file 42 52000")
        #expect(try LocalExecutor().run(Command(["unzip", "-tqq", path])).succeeded)
        let reader = try ZipArchiveReader(path: path)
        #expect(reader.members.count == 70_001)
        #expect(String(decoding: try reader.data("filestore/2a/000042"), as: UTF8.self) == "file 42")
    }

    @Test("a member's recorded SHA-256 and size are those of its content, compressed or not")
    func memberChecksums() throws {
        let sink = CollectingSink(limit: 1 << 20)
        let zip = ZipStreamWriter(sink: sink)
        let text = Data(String(repeating: "hello odoo ", count: 1000).utf8)
        let deflated = try zip.add("a.txt", data: text, method: .deflated(level: 6))
        let stored = try zip.add("b.bin", data: text, method: .stored)
        #expect(deflated.sha256 == stored.sha256 && deflated.size == Int64(text.count) && deflated.compressedSize < stored.compressedSize / 10)
        let expected = try LocalExecutor().output(Command(["sha256sum"]), input: text).split(separator: " ").first.map(String.init)
        #expect(deflated.sha256 == expected)
    }

    @Test("GNU tar's output parses into the same files, and our tar writer's output extracts with GNU tar")
    func tarBothWays() throws {
        let dir = TestDirectories.make("ocore-tar")
        let long = String(repeating: "d", count: 120)
        try FileManager.default.createDirectory(atPath: "\(dir)/src/ab/\(long)", withIntermediateDirectories: true)
        let files = ["ab/0123456789abcdef": Data(repeating: 7, count: 1500), "ab/\(long)/x": Data("long name".utf8), "ab/empty": Data()]
        for (name, data) in files { try data.write(to: URL(fileURLWithPath: "\(dir)/src/\(name)")) }

        var seen: [String: Data] = [:]
        var current = ""
        let parser = TarStreamParser(begin: { current = $0.path; seen[current] = Data() }, data: { seen[current]!.append(contentsOf: $0) }, end: {})
        let tar = try LocalExecutor().run(Command(["tar", "-c", "-f", "-", "-C", "\(dir)/src", "."]))
        try tar.stdout.withUnsafeBytes { try parser.write($0) }
        #expect(parser.isFinished && seen == files)

        let out = CollectingSink(limit: 1 << 20)
        let writer = TarStreamWriter(sink: out)
        for (name, data) in files.sorted(by: { $0.key < $1.key }) {
            try writer.begin(path: name, size: Int64(data.count))
            try data.withUnsafeBytes { try writer.write($0) }
        }
        try writer.finish()
        try FileManager.default.createDirectory(atPath: "\(dir)/dst", withIntermediateDirectories: true)
        let extract = try LocalExecutor().run(Command(["tar", "-x", "-f", "-", "-C", "\(dir)/dst"]), input: out.data)
        #expect(extract.succeeded, "\(extract.stderrText)")
        for (name, data) in files { #expect(FileManager.default.contents(atPath: "\(dir)/dst/\(name)") == data) }
    }
}

@Suite("Reading ocore's archives")
struct ReaderTests {
    @Test("member sizes read back are the sizes written, for stored and deflated members alike")
    func sizes() throws {
        let path = TestDirectories.make("ocore-zip") + "/sizes.zip"
        let sink = try FileSink(path)
        let zip = ZipStreamWriter(sink: sink)
        try zip.add("dump.sql", data: Data(repeating: 65, count: 100_000), method: .deflated(level: 1))
        try zip.add("filestore/ab/cd", data: Data(repeating: 1, count: 5000), method: .stored)
        try zip.add("filestore/ab/empty", data: Data(), method: .stored)
        try zip.finish()
        try sink.handle.close()
        let members = try ZipArchiveReader(path: path).members
        #expect(members.map(\.name) == ["dump.sql", "filestore/ab/cd", "filestore/ab/empty"])
        #expect(members.map(\.size) == [100_000, 5000, 0])
    }
}

/// A member compressed into a spool before its turn (a backup's dump, while the filestore goes in).
@Suite("Spooled members")
struct SpooledMemberTests {
    /// A dump-like text: repetitive enough to compress, varied enough to need real matches.
    static func dumpText(lines: Int) -> Data {
        var text = "COPY public.res_partner (id, name, email) FROM stdin;\n"
        for i in 0..<lines { text += "\(i)\tPartner \(i * 7919 % 104729)\tp\(i)@example.com\n" }
        return Data((text + "\\.\n").utf8)
    }

    @Test("a spooled member reads back as what was written, through Python's zipfile (Odoo's reader) and ZIPFoundation, with the SHA-256 of its content")
    func roundTrip() throws {
        let dir = TestDirectories.make("ocore-spool")
        let content = Self.dumpText(lines: 120_000)  // ≈ 4 MiB: several sealed chunks
        let spool = try SpooledMember(directory: dir)
        // In pipe-sized pieces, as pg_dump's output arrives.
        var offset = 0
        while offset < content.count {
            let piece = content[offset..<min(offset + 65_536, content.count)]
            try piece.withUnsafeBytes { try spool.write($0) }
            offset += piece.count
        }
        let summary = try spool.finish()
        #expect(summary.size == Int64(content.count))
        #expect(summary.compressedSize < summary.size / 3)

        let path = TestDirectories.make("ocore-zip") + "/spooled.zip"
        let sink = try FileSink(path)
        let zip = ZipStreamWriter(sink: sink)
        try zip.add("manifest.json", data: Data("{}".utf8), method: .deflated(level: 6))
        let member = try zip.add("dump.sql", spooled: spool)
        try zip.finish()
        try sink.handle.close()

        let expected = try LocalExecutor().output(Command(["sha256sum"]), input: content).split(separator: " ").first.map(String.init)
        #expect(member.sha256 == expected)
        let python = try LocalExecutor().output(Command(["python3", "-c", """
            import zipfile, sys, hashlib
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            print(hashlib.sha256(z.read('dump.sql')).hexdigest())
            """, path]))
        #expect(python.trimmingCharacters(in: .whitespacesAndNewlines) == member.sha256)
        #expect(try ZipArchiveReader(path: path).data("dump.sql") == content)
    }

    @Test("the spool leaves no file behind and what it keeps on disk is not the compressed dump (sealed under a key only the process holds)")
    func sealedAndNameless() throws {
        let dir = TestDirectories.make("ocore-spool")
        let content = Self.dumpText(lines: 40_000)
        let spool = try SpooledMember(directory: dir)
        try content.withUnsafeBytes { try spool.write($0) }
        try spool.finish()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)

        // What the archive gets is plain deflate; the same bytes are nowhere on the spool's disk.
        var deflated = Data()
        try spool.replay { deflated.append(contentsOf: $0) }
        let onDisk = try Data(contentsOf: URL(fileURLWithPath: "/proc/self/fd/\(spool.fd)"))
        #expect(onDisk.count > deflated.count)  // sealed: a length, a nonce and a tag per chunk
        #expect(onDisk.range(of: deflated.prefix(64)) == nil)
        #expect(onDisk.range(of: Data("p39999@example.com".utf8)) == nil)
    }

    @Test("a spool changed on disk behind the job's back is refused on read-back, not put into the archive")
    func tamperedSpool() throws {
        let spool = try SpooledMember(directory: TestDirectories.make("ocore-spool"))
        try Self.dumpText(lines: 40_000).withUnsafeBytes { try spool.write($0) }
        try spool.finish()
        // Another process with access to the open file flips one byte of the first sealed chunk.
        var flipped: UInt8 = 0
        #expect(pread(spool.fd, &flipped, 1, 100) == 1)
        flipped ^= 0xFF
        #expect(pwrite(spool.fd, &flipped, 1, 100) == 1)
        let sink = CollectingSink(limit: 1 << 20)
        let zip = ZipStreamWriter(sink: sink)
        #expect(throws: ArchiveError.spool("spool chunk 0 does not authenticate: the spool file was changed on disk")) {
            try zip.add("dump.sql", spooled: spool)
        }
        #expect(zip.members.isEmpty)
    }
}
