import Foundation
import OcoreOdoo
import OcoreRemote
import OcoreTestSupport
import Testing

extension OcoreBinary {
    /// Registers the test PostgreSQL cluster's host as server `name` (local).
    func addLocalServer(_ name: String = "local") throws {
        let pg = TestPostgres.cluster
        _ = try ok(["server", "add", name, "--local", "--pg-host", pg.socketDirectory, "--pg-port", String(pg.port),
                    "--pg-user", pg.superuser, "--data-dir", home + "/odoo-data"])
    }

    /// `--json` output decoded as an array of objects.
    func jsonArray(_ arguments: [String]) throws -> [[String: Any]] {
        try #require(try json(arguments) as? [[String: Any]])
    }

    func jsonObject(_ arguments: [String]) throws -> [String: Any] {
        try #require(try json(arguments) as? [String: Any])
    }

    /// Waits until no job is queued or running: a completed backup queues its retention sweep,
    /// which a test that then ages or removes backups by hand must not race.
    func waitUntilIdle(timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation) throws {
        let deadline = ContinuousClock.now + timeout
        while try !jsonArray(["jobs", "list", "--json"]).isEmpty {
            guard ContinuousClock.now < deadline else {
                Issue.record("jobs still active after \(timeout)", sourceLocation: sourceLocation)
                return
            }
            usleep(100_000)
        }
    }
}

/// A failed command: non-zero exit, exactly one line on stderr that says `expected`.
func expectCleanFailure(_ result: CommandResult, mentions expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!result.succeeded, "expected failure, got success: \(result.stdoutText)", sourceLocation: sourceLocation)
    let lines = result.stderrText.split(separator: "\n")
    #expect(lines.count == 1, "stderr should be one line: \(result.stderrText)", sourceLocation: sourceLocation)
    #expect(result.stderrText.contains(expected), "stderr \"\(result.stderrText)\" should mention \"\(expected)\"", sourceLocation: sourceLocation)
}
