import Foundation
import OcoreModel
import OcoreStore

/// Reads what finished clones onto a server measured (sizes from their state, durations from
/// their steps), for estimates that learn from this machine rather than a generic formula.
public struct CloneHistoryLoader: Sendable {
    public let store: SQLiteStateStore

    public init(store: SQLiteStateStore) {
        self.store = store
    }

    public func history(server: String, limit: Int = 10) throws -> CloneHistory {
        var rates: [Double] = []
        var sanitizing: [String: [Double]] = [:]
        for job in try store.finishedJobs(kind: "clone", server: server, limit: limit) {
            let state = JobStateRecord.read(CloneState.self, job: job.id, store: store)
            let bytes = (state.databaseSize ?? 0) + (state.filestoreSize ?? 0)
            let steps = try store.steps(ofJob: job.id)
            func seconds(_ s: JobStepRecord) -> Double? {
                guard let a = s.startedAt.flatMap(Timestamp.parse), let b = s.endedAt.flatMap(Timestamp.parse) else { return nil }
                return b.timeIntervalSince(a)
            }
            let sanitize = steps.filter { $0.name == "sanitizing" }.compactMap(seconds).reduce(0, +)
            let copy = steps.filter { $0.name != "sanitizing" }.compactMap(seconds).reduce(0, +)
            if bytes > 0, copy > 0 { rates.append(Double(bytes) / copy) }
            let preset = (try? JSONDecoder().decode(CloneJob.Parameters.self, from: Data(job.parameters.utf8)))?.preset
            if let preset { sanitizing[preset.rawValue, default: []].append(sanitize) }
        }
        func median(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.sorted()[v.count / 2] }
        return CloneHistory(bytesPerSecond: median(rates), sanitizationSeconds: sanitizing.compactMapValues(median), samples: rates.count)
    }
}
