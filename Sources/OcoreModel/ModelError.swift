/// Errors in what an operator asked for, before any I/O: each one reads as one clear line.
public enum ModelError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidName(kind: String, name: String, reason: String)
    case invalidValue(field: String, value: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidName(kind, name, reason):
            "invalid \(kind) name \"\(name)\": \(reason)"
        case let .invalidValue(field, value, reason):
            "invalid \(field) \"\(value)\": \(reason)"
        }
    }
}
