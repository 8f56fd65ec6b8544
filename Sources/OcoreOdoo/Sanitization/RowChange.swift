import Foundation
import OcoreModel

/// One option's change to one table, stated once: a copy already written applies it as an
/// `UPDATE` or `DELETE`, a stream computes it in the `SELECT` that reads the rows (a sanitized
/// backup's `dump.sql`), so the two cannot drift apart.
public enum RowChange: Sendable, Equatable {
    /// Where `condition` holds, each column takes its expression (columns and expressions quoted already).
    case edit(table: String, set: [(column: String, value: String)], where: String)
    /// The rows where `condition` holds go.
    case remove(table: String, where: String)

    public var table: String {
        switch self { case .edit(let t, _, _), .remove(let t, _): t }
    }

    public var condition: String {
        switch self { case .edit(_, _, let c), .remove(_, let c): c }
    }

    /// The statement for a copy already written.
    public var statement: String {
        switch self {
        case .edit(let table, let set, let condition):
            "UPDATE \(SQL.identifier(table)) SET " + set.map { "\(SQL.identifier($0.column)) = \($0.value)" }.joined(separator: ", ") + " WHERE \(condition);"
        case .remove(let table, let condition):
            "DELETE FROM \(SQL.identifier(table)) WHERE \(condition);"
        }
    }

    public static func == (a: RowChange, b: RowChange) -> Bool { a.statement == b.statement }
}
