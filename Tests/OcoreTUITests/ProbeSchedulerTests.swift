import Foundation
import OcoreModel
@testable import OcoreTUI
import Testing

/// The probes' order and pace, with a probe that takes a second instead of a psql and a `du`.
@Suite("Probing environments in the background")
struct ProbeSchedulerTests {
    final class Record: @unchecked Sendable {
        let lock = NSLock()
        var probes: [(name: String, start: Date, end: Date)] = []
        let firstEnded = DispatchSemaphore(value: 0)
    }

    @Test("after each scheduled probe the prober rests as long as it took (half a core at most); an environment asked for meanwhile goes first")
    func restsAndServesRequestsFirst() throws {
        let server = Server(name: "erp1", connection: .local, postgres: PostgresSettings(port: 5432), dataDir: "/var/lib/odoo")
        let envs = ["alpha", "beta", "gamma"].map { ResolvedEnvironment(Environment(name: $0, project: "acme", type: .staging, server: "erp1", dbName: $0), on: server) }
        let record = Record()
        let scheduler = ProbeScheduler(probe: { env in
            let start = Date()
            Thread.sleep(forTimeInterval: 1)
            record.lock.withLock {
                record.probes.append((env.environment.name, start, Date()))
                if record.probes.count == 1 { record.firstEnded.signal() }
            }
            return EnvironmentStatus(checkedAt: Date().timeIntervalSince1970)
        }, inbox: Inbox())
        scheduler.setEnvironments(envs)
        scheduler.start(inbox: Inbox())
        defer { scheduler.stop() }
        #expect(record.firstEnded.wait(timeout: .now() + 10) == .success)
        scheduler.probeNow(envs[2])  // asked for while the prober rests after alpha
        let deadline = Date() + 15
        while record.lock.withLock({ record.probes.count }) < 3 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let probes = record.lock.withLock { record.probes }
        // Without the rest, beta would follow alpha at once and gamma would wait for it.
        #expect(probes.map(\.name) == ["alpha", "gamma", "beta"], "gamma was asked for during the rest; beta waits its turn")
        guard probes.count == 3 else { return }
        #expect(probes[1].start.timeIntervalSince(probes[0].end) < 0.9, "the asked-for probe does not wait out the rest")
    }
}
