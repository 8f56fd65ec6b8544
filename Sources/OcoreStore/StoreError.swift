/// Why a store operation was refused. Each reads as one line naming what is wrong and what to do.
public enum StoreError: Error, Equatable, CustomStringConvertible, Sendable {
    case notFound(kind: String, name: String)
    case duplicate(kind: String, name: String)
    case inUse(kind: String, name: String, usedBy: [String])
    case unavailable(path: String, reason: String)
    /// The store is there but refused a change (a constraint, a full disk).
    case refused(path: String, reason: String)

    public var description: String {
        switch self {
        case let .notFound(kind, name):
            "no \(kind) named \"\(name)\" (see `ocore \(kind == "environment" ? "env" : kind) list`)"
        case let .duplicate(kind, name):
            "\(Self.article(kind)) \(kind) named \"\(name)\" already exists (choose another name or remove it first)"
        case let .inUse(kind, name, usedBy):
            "\(kind) \"\(name)\" is still used by \(usedBy.joined(separator: ", ")): remove those first"
        case let .unavailable(path, reason):
            "cannot open the state store at \(path): \(reason)"
        case let .refused(path, reason):
            "the state store at \(path) refused the change: \(reason)"
        }
    }

    /// "an environment", "a server".
    static func article(_ word: String) -> String { "aeiou".contains(word.first ?? "x") ? "an" : "a" }
}
