import Foundation
import OcoreModel
import OcoreStore

/// What a job kind's steps record as they go: above all what they created on the target, so a
/// compensation (possibly in another process, after a kill -9) removes exactly that.
///
/// Each kind has one such struct; several live side by side in one job's state (a clone's own,
/// the safety backup it runs, the engine's ``JobRunState``), each owning its keys. Values written
/// by versions that stored every value as text still decode (see ``LegacyStateDecoding``).
public protocol JobState: Codable, Sendable, Equatable {
    init()
}

/// The engine's own part of every job's state.
public struct JobRunState: JobState {
    /// Why the job failed, for compensations that record it (e.g. on a backup row).
    public var error: String?
    /// Local process groups the job is running (pgid and start time), killed by the next worker
    /// if this one dies; the start time guards against a recycled pid.
    public var processes: [RecordedProcess] = []

    public struct RecordedProcess: Codable, Sendable, Hashable {
        public var pgid: Int32
        public var startTime: UInt64
    }

    public init() {}

    enum CodingKeys: String, CodingKey { case error, processes }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        error = c.text(.error)
        if let list = try? c.decode([RecordedProcess].self, forKey: .processes) {
            processes = list
        } else {
            // Older workers kept "pgid:start,pgid:start".
            processes = (c.text(.processes) ?? "").split(separator: ",").compactMap { entry in
                let parts = entry.split(separator: ":")
                guard parts.count == 2, let pgid = Int32(parts[0]), let started = UInt64(parts[1]) else { return nil }
                return RecordedProcess(pgid: pgid, startTime: started)
            }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(error, forKey: .error)
        if !processes.isEmpty { try c.encode(processes, forKey: .processes) }
    }
}

/// Reads and changes one ``JobState`` inside a job's state document.
public enum JobStateRecord {
    /// The state `S` as stored (a fresh one when nothing is, or the document cannot be read).
    public static func read<S: JobState>(_: S.Type, job: Int64, store: SQLiteStateStore) -> S {
        decode(S.self, from: (try? store.jobState(job)) ?? "{}")
    }

    public static func decode<S: JobState>(_: S.Type, from json: String) -> S {
        (try? JSONDecoder().decode(S.self, from: Data(json.utf8))) ?? S()
    }

    /// Changes `S` in one write transaction: only the keys whose values changed are written, so
    /// the other parts of the document (and another thread's keys) are never overwritten.
    public static func update<S: JobState>(_: S.Type, job: Int64, store: SQLiteStateStore, _ change: (inout S) throws -> Void) throws {
        try store.updateJobState(job) { json in
            let document = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(json.utf8))) ?? [:]
            let before = decode(S.self, from: json)
            var after = before
            try change(&after)
            guard after != before else { return json }
            let old = try fields(before), new = try fields(after)
            var merged = document
            for key in Set(old.keys).union(new.keys) where old[key] != new[key] { merged[key] = new[key] }
            return String(decoding: try JSONEncoder().encode(merged), as: UTF8.self)
        }
    }

    private static func fields<S: JobState>(_ value: S) throws -> [String: JSONValue] {
        try JSONDecoder().decode([String: JSONValue].self, from: JSONEncoder().encode(value))
    }
}

/// Decoding that also reads the states of earlier versions, which kept every value as text
/// ("1" for a flag, "12345" for a size, a JSON document inside a string).
public extension KeyedDecodingContainer {
    func text(_ key: Key) -> String? { try? decodeIfPresent(String.self, forKey: key) }

    func flag(_ key: Key) -> Bool {
        if let value = try? decodeIfPresent(Bool.self, forKey: key) { return value }
        // Old states kept "1", or a name (e.g. the environment registered), for a flag that is set.
        return text(key).map { !$0.isEmpty && $0 != "0" && $0 != "false" } ?? false
    }

    func number(_ key: Key) -> Int64? {
        if let value = try? decodeIfPresent(Int64.self, forKey: key) { return value }
        return text(key).flatMap { Int64($0) }
    }

    func document<T: Decodable>(_: T.Type, _ key: Key) -> T? {
        if let value = try? decodeIfPresent(T.self, forKey: key) { return value }
        return text(key).flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }
}
