import Foundation
import OcoreModel
import OcoreStore

/// A retention sweep asked for by an operator (`ocore retention sweep`, the dashboard's
/// retention preview): one environment or all, carried out or only shown (`dryRun`). The rules
/// of what may go are ``Retention``'s; the carrying out is ``RetentionSweeper``'s.
public struct RetentionSweepRequest: Sendable, Equatable {
    public var environment: String?
    public var dryRun: Bool

    public init(environment: String?, dryRun: Bool) {
        self.environment = environment
        self.dryRun = dryRun
    }

    /// Each backup considered, kept or removed, with the reason (and the failure of a removal that failed).
    public func run(store: SQLiteStateStore, by who: Requester = .current) throws -> [Retention.Decision] {
        let sweeper = RetentionSweeper(store: store, actor: (who.user, who.from))
        // An environment no longer in the inventory may still have backups to expire.
        return try environment.map { try sweeper.sweep(environment: $0, dryRun: dryRun) } ?? sweeper.sweepAll(dryRun: dryRun)
    }
}
