import Crypto
import Foundation
import OcoreRemote
import Testing

@Suite("Running commands on this host")
struct LocalExecutorTests {
    let local = LocalExecutor(killGrace: .milliseconds(500))

    @Test("arguments reach the program verbatim: nothing is interpreted by a shell")
    func argumentsAreNotInterpreted() throws {
        let hostile = ["a b", "$(touch /tmp/ocore-pwned)", "`id`", "x;y", "'quoted'", "\"dq\"", "ünïcødé", ""]
        let out = try local.output(Command(["printf", "%s\\n"] + hostile))
        #expect(out == hostile.map { $0 + "\n" }.joined())
        #expect(!FileManager.default.fileExists(atPath: "/tmp/ocore-pwned"))
    }

    @Test("exit status, stderr and environment are reported as results")
    func results() throws {
        let failed = try local.run(Command(["sh", "-c", "echo oops >&2; exit 3"]))
        #expect(failed.termination == .exited(3))
        #expect(failed.stderrText == "oops\n")
        #expect(failed.summary == "exit status 3: oops")
        let env = try local.output(Command(["sh", "-c", "printf %s \"$OCORE_T\""], environment: ["OCORE_T": "v a l"]))
        #expect(env == "v a l")
        let cwd = try local.output(Command(["pwd"], workingDirectory: "/tmp"))
        #expect(cwd == "/tmp\n")
    }

    @Test("a missing program is an error that names it")
    func missingProgram() {
        #expect(throws: ExecutionError.programNotFound("ocore-no-such-program", host: "this host")) {
            try local.run(Command(["ocore-no-such-program"]))
        }
    }

    @Test("hundreds of MB stream through without being held in memory")
    func largeOutputStreams() throws {
        let before = maxRSS()
        let counter = DiscardingSink()
        let termination = try local.execute(Command(["head", "-c", "400000000", "/dev/zero"]), stdin: nil, stdout: counter,
                                            stderr: DiscardingSink(), cancellation: nil)
        #expect(termination == .exited(0))
        #expect(counter.count == 400_000_000)
        // The peak is the whole test process's, shared with the tests running beside this one
        // (tens of MB under a full parallel run); holding the output would add its 400 MB.
        #expect(maxRSS() - before < 160 << 20, "memory grew by \(maxRSS() - before) bytes")
    }

    @Test("standard input streams in while output streams out (no deadlock on full pipes)")
    func stdinAndStdout() throws {
        var payload = Data(count: 50 << 20)
        payload.withUnsafeMutableBytes { raw in for i in stride(from: 0, to: raw.count, by: 4096) { raw[i] = UInt8(i / 4096 % 251) } }
        let echoed = CollectingSink(limit: 60 << 20)
        let termination = try local.execute(Command(["cat"]), stdin: DataSource(payload), stdout: echoed,
                                            stderr: DiscardingSink(), cancellation: nil)
        #expect(termination == .exited(0))
        #expect(echoed.data == payload)
        let digest = try local.run(Command(["sha256sum"]), input: payload).stdoutText.prefix(64)
        #expect(String(digest) == SHA256.hash(data: payload).map { String(format: "%02x", $0) }.joined())
    }

    @Test("a command that hangs is stopped at its timeout, with everything it started")
    func timeout() throws {
        let started = ContinuousClock.now
        let result = try local.run(Command(["sh", "-c", "sleep 30 & sleep 30; wait"], timeout: .milliseconds(300)))
        #expect(result.termination == .timedOut)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("cancellation stops a running command")
    func cancellation() throws {
        let flag = CancellationFlag()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { flag.cancel() }
        let result = try local.run(Command(["sleep", "30"]), cancellation: flag)
        #expect(result.termination == .cancelled)
    }
}

func maxRSS() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}
