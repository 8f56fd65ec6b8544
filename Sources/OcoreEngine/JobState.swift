import Foundation
import OcoreModel
import OcoreStore

/// What a job kind's steps record as they go: above all what they created on the target, so a
/// compensation (possibly in another process, after a kill -9) removes exactly that.
///
/// Each kind has one such struct; several live side by side in one job's state (a clone's own,
/// the safety backup it runs, the engine's ``JobRunState``), each owning its keys. Values written
/// by versions that stored every value as text still decode (see ``valueKinds``).
public protocol JobState: Codable, Sendable, Equatable {
    init()
    /// The keys whose values are not text, and what they are: how a document of an earlier
    /// version (every value text) is read, and what an absent flag or list means.
    static var valueKinds: [String: StateValueKind] { get }
}

extension JobState {
    public static var valueKinds: [String: StateValueKind] { [:] }
}

/// What a non-text value of a job state is.
public enum StateValueKind: Sendable {
    /// true or false; absent is false, and old text ("1", or a name) is true.
    case flag
    /// A count of bytes; old text is its digits.
    case number
    /// A list of names; absent is empty, old text is comma-separated.
    case names
    /// A JSON document; old text held it as a string.
    case document
    /// A list of JSON documents; absent is empty, old text held it as a string.
    case documents

    /// `value` as this kind, reading the text of earlier versions.
    func normalized(_ value: JSONValue?) -> JSONValue? {
        switch (self, value) {
        case (.flag, nil): return .bool(false)
        case (.names, nil), (.documents, nil): return .array([])
        case let (.flag, .string(text)?): return .bool(!text.isEmpty && text != "0" && text != "false")
        case let (.number, .string(text)?): return Double(text).map(JSONValue.number)
        case let (.names, .string(text)?): return .array(text.split(separator: ",").map { .string(String($0)) })
        case let (.document, .string(text)?), let (.documents, .string(text)?):
            return try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        default: return value
        }
    }
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
        guard var document = try? JSONDecoder().decode([String: JSONValue].self, from: Data(json.utf8)) else { return S() }
        for (key, kind) in S.valueKinds { document[key] = kind.normalized(document[key]) }
        guard let data = try? JSONEncoder().encode(document) else { return S() }
        return (try? JSONDecoder().decode(S.self, from: data)) ?? S()
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

extension KeyedDecodingContainer {
    func text(_ key: Key) -> String? { try? decodeIfPresent(String.self, forKey: key) }
}
