import Foundation
import OcoreModel
import OcoreStore

/// A retention sweep asked for by an operator (`ocore retention sweep`, the dashboard's
/// retention preview): one environment or all, carried out or only shown (`dryRun`). The rules
/// of what may go are ``Retention``'s; the carrying out is ``RetentionSweeper``'s.
public struct RetentionSweepRequest: Sendable, Equatable {
    public var environment: String?
    public var dryRun: Bool
    /// How long objects no backup needs are kept (incremental backups); nil: six hours.
    public var objectGrace: TimeInterval?

    public init(environment: String?, dryRun: Bool) {
        self.environment = environment
        self.dryRun = dryRun
    }

    /// Each backup considered, kept or removed, with the reason (and the failure of a removal that failed).
    /// `objects` hears what became of each storage's shared objects (incremental backups).
    public func run(store: SQLiteStateStore, by who: Requester = .current, objects: (ObjectSweepOutcome) -> Void = { _ in }) throws -> [Retention.Decision] {
        var sweeper = RetentionSweeper(store: store, actor: (who.user, who.from))
        if let objectGrace {
            guard objectGrace >= 0 else { throw RequestRefusal("--object-grace cannot be negative") }
            sweeper.objectGrace = objectGrace
        }
        // An environment no longer in the inventory may still have backups to expire.
        return try environment.map { try sweeper.sweep(environment: $0, dryRun: dryRun, objects: objects) } ?? sweeper.sweepAll(dryRun: dryRun, objects: objects)
    }
}
