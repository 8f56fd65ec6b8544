import Foundation
import OcoreModel
import OcoreOdoo

/// Makes (or replaces) the golden copy of an environment on a server (on a second server, from
/// the first one's golden copy: ``GoldenReplica``): the clone's sanitizing copy
/// into a build database beside the current golden copy, checked, then sealed (a template that
/// accepts no connections) and put in the golden copy's place by renaming, the previous one set
/// aside until the new one is in place and removed last. An interrupted refresh leaves the
/// previous golden copy where it was: until the renames, nothing touches it, and undoing the
/// seal renames it back.
public struct GoldenRefreshJob: JobKind {
    /// A clone's parameters: the copy is built under `target` and ends as `goldenBuild`.
    public typealias Parameters = CloneJob.Parameters

    /// Where the golden copy lives once sealed.
    public struct Destination: Codable, Sendable, Equatable {
        public var database: String
        public var filestore: String
    }

    public init() {}

    public var name: String { "golden-refresh" }

    /// The clone's ten markers with two more steps before the end: the seal and the clean-up.
    public static let markers: [Double] = [2, 5, 10, 25, 40, 55, 70, 85, 90, 95, 98, 100]

    public func plan(parameters json: String) throws -> JobPlan {
        let p = try JSONDecoder().decode(Parameters.self, from: Data(json.utf8))
        guard let destination = p.goldenBuild else { throw StepFailure.check("golden copy", "a golden refresh needs its destination") }
        try Names.validateDatabaseName(p.targetDatabase)
        try Names.validateDatabaseName(destination.database)
        let run = CloneRun(p)
        let reading = p.replicaOf == nil ? [] : [
            StepDefinition(name: "opening_golden", title: "Opening the golden copy on \(p.replicaOf!.server) for reading", run: run.openGoldenForReading,
                           compensate: run.closeGoldenReader),
        ]
        let steps = reading + CloneJob.copySteps(run) + [
            StepDefinition(name: "verifying", title: "Checking the copy", run: run.verifyGoldenBuild),
            StepDefinition(name: "sealing", title: "Sealing it as the golden copy", run: run.sealGoldenCopy, compensate: run.undoSeal),
            StepDefinition(name: "removing_previous", title: "Removing the previous golden copy", run: run.removePreviousGolden),
        ]
        return JobPlan(steps: steps, spans: JobProgress.spans(markers: reading.isEmpty ? Self.markers : [1] + Self.markers))
    }
}

/// What a golden refresh's seal has done, so undoing it puts the previous golden copy back.
public struct GoldenSealState: JobState {
    /// The record of the golden copy replaced (nil: there was none).
    public var previous: GoldenCopy?
    /// Where the previous golden copy's database and filestore are set aside while the new one takes their place.
    public var asideDatabase: String?
    public var asideFilestore: String?
    /// Set before each rename: undoing looks at what is really there.
    public var movedAside = false
    public var swapped = false
    /// The store's record now describes the new copy.
    public var recorded = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case previous = "golden_previous", asideDatabase = "golden_aside_database", asideFilestore = "golden_aside_filestore"
        case movedAside = "golden_moved_aside", swapped = "golden_swapped", recorded = "golden_recorded"
    }

    public static let valueKinds: [String: StateValueKind] = [
        "golden_previous": .document, "golden_moved_aside": .flag, "golden_swapped": .flag, "golden_recorded": .flag,
    ]
}
