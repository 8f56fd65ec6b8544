/// Why a step of any job kind failed: a check that did not pass (nothing was changed by it), or
/// a program that exited badly (with what it said).
public enum StepFailure: Error, CustomStringConvertible {
    case check(String, String)
    case command(String, String)

    public var description: String {
        switch self {
        case let .check(name, detail): "check \"\(name)\" failed: \(detail)"
        case let .command(program, detail): "\(program) failed: \(detail)"
        }
    }
}
