import Foundation
import OcoreRemote

/// Runs the built `ocore` executable, as a user or a script would.
public struct OcoreBinary: Sendable {
    public let home: String

    /// A fresh state home for one test.
    public init(home: String = TestDirectories.make("ocore-test-home")) {
        self.home = home
    }

    /// The binary next to the test bundle (`swift build` puts both in the same directory).
    public static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["OCORE_BIN"] { return explicit }
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [bundleDir.appendingPathComponent("ocore").path]
        // xctest bundles on Linux: <build dir>/ocorePackageTests.xctest
        candidates.append(bundleDir.deletingLastPathComponent().appendingPathComponent("ocore").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// Runs `ocore ARGS --home HOME` and returns how it ended with its output.
    @discardableResult
    public func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil,
                    timeout: Duration = .seconds(600)) throws -> CommandResult {
        var env = environment
        env["OCORE_HOME"] = home
        return try LocalExecutor().run(Command([Self.path] + arguments, environment: env, timeout: timeout),
                                       input: input.map { Data($0.utf8) })
    }

    /// Runs and requires success; returns stdout.
    public func ok(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let result = try run(arguments, environment: environment)
        guard result.succeeded else {
            throw CommandFailure(command: Command([Self.path] + arguments), host: "local", result: result)
        }
        return result.stdoutText
    }

    /// Parses stdout of a `--json` command.
    public func json(_ arguments: [String]) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(try ok(arguments).utf8))
    }
}
