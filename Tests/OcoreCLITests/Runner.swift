import Foundation
import OcoreRemote

enum OcoreRemoteRunner {
    static func output(_ arguments: [String]) throws -> String {
        try LocalExecutor().output(Command(arguments, timeout: .seconds(60)))
    }
}
