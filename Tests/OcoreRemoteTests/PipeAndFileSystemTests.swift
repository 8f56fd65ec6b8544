import Crypto
import Foundation
import OcoreRemote
import OcoreTestSupport
import Testing

@Suite("Streams between servers and file-system helpers (real sshd)")
struct PipeAndFileSystemTests {
    let sshd = TestSSHD.shared

    @Test("a pipe from server A to server B carries every byte, with a SHA-256 computed on the way")
    func pipeBetweenServers() throws {
        let a = SSHExecutor(endpoint: sshd.endpoint(0)), b = SSHExecutor(endpoint: sshd.endpoint(1))
        let outcome = try Pipe.run(from: a, Command(["head", "-c", "150000000", "/dev/urandom"]), to: b, Command(["sha256sum"]), hashing: true)
        #expect(outcome.succeeded)
        #expect(outcome.bytes == 150_000_000)
        #expect(String(outcome.sink.stdoutText.prefix(64)) == outcome.sha256)
    }

    @Test("a pipe whose receiver stops early stops the sender too (no hang)")
    func receiverStopsEarly() throws {
        let started = ContinuousClock.now
        let outcome = try Pipe.run(from: LocalExecutor(), Command(["cat", "/dev/zero"]), to: SSHExecutor(endpoint: sshd.endpoint(0)),
                                   Command(["head", "-c", "1000"]))
        #expect(outcome.sink.succeeded)
        #expect(!outcome.source.succeeded)
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test("cancelling a remote command kills it and everything it started")
    func remoteKill() throws {
        let marker = "\(Int.random(in: 4000...4999)).\(Int.random(in: 100...999))"
        let ssh = SSHExecutor(endpoint: sshd.endpoint(1))
        let result = try ssh.run(Command(["sh", "-c", "sleep \(marker) & sleep \(marker); wait"], timeout: .milliseconds(700)))
        #expect(result.termination == .timedOut)
        usleep(300_000)
        let left = try LocalExecutor().run(Command(["pgrep", "-f", "sleep \(marker)"]))
        #expect(left.stdoutText.isEmpty, "remote processes left running: \(left.stdoutText)")
        // The connection is still usable afterwards, and stderr is untouched by the PID announcement.
        let next = try ssh.run(Command(["sh", "-c", "echo out; echo err >&2"]))
        #expect(next.stdoutText == "out\n" && next.stderrText == "err\n")
    }

    @Test("file-system helpers behave the same locally and over SSH", arguments: [0, 1])
    func fileSystem(over index: Int) throws {
        let fs = RemoteFileSystem(index == 0 ? LocalExecutor() : SSHExecutor(endpoint: sshd.endpoint(1)))
        let root = TestDirectories.make("ocore-fs")
        try fs.makeDirectory(root + "/src/ab")
        try Data(repeating: 7, count: 100_000).write(to: URL(fileURLWithPath: root + "/src/ab/abcdef"))
        #expect(try fs.stat(root + "/src/ab/abcdef")?.kind == .file)
        #expect(try fs.stat(root + "/nope") == nil)
        #expect(try fs.treeSize(root + "/src")! >= 100_000)
        try fs.hardlinkCopy(root + "/src", to: root + "/linked")
        let inodes = try LocalExecutor().output(Command(["stat", "-c", "%i", root + "/src/ab/abcdef", root + "/linked/ab/abcdef"])).split(separator: "\n")
        #expect(inodes.count == 2 && inodes[0] == inodes[1])
        #expect(throws: ExecutionError.self) { try fs.rename(root + "/src", to: root + "/linked") }
        try fs.rename(root + "/linked", to: root + "/renamed")
        #expect(throws: ExecutionError.self) { try fs.removeTree("/") }
        #expect(throws: ExecutionError.self) { try fs.removeTree("/tmp") }
        try fs.removeTree(root + "/renamed")
        #expect(try fs.stat(root + "/renamed") == nil)
        #expect(try fs.diskSpace(at: root + "/not/yet/there").free > 0)
    }

    @Test("a tree copies from one server to another as a tar stream, byte for byte")
    func copyTree() throws {
        let source = TestDirectories.make("ocore-tree-src"), target = TestDirectories.make("ocore-tree-dst") + "/copy"
        for i in 0..<20 {
            let dir = source + "/" + String(format: "%02x", i)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var data = Data(count: 10_000 + i * 997)
            data.withUnsafeMutableBytes { raw in for j in 0..<raw.count { raw[j] = UInt8(truncatingIfNeeded: j &* (i + 3)) } }
            try data.write(to: URL(fileURLWithPath: dir + "/file\(i)"))
        }
        let bytes = try RemoteFileSystem.copyTree(from: RemoteFileSystem(SSHExecutor(endpoint: sshd.endpoint(0))), source,
                                                  to: RemoteFileSystem(SSHExecutor(endpoint: sshd.endpoint(1))), target)
        #expect(bytes > 200_000)
        let digest = { (dir: String) in try LocalExecutor().output(Command(["sh", "-c", "cd \"$1\" && find . -type f -print0 | sort -z | xargs -0 sha256sum", "sh", dir])) }
        #expect(try digest(source) == digest(target))
    }
}
