import Foundation

/// The directory that holds ocore's state (`ocore.db`, the demo cluster, worker files).
///
/// Chosen by `--home DIR`, else `OCORE_HOME`, else `$XDG_STATE_HOME/ocore`, else
/// `~/.local/state/ocore`. Created with mode 0700: it holds the inventory and job logs.
public struct StateHome: Sendable, Equatable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public static func resolve(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> StateHome {
        if let explicit, !explicit.isEmpty { return StateHome(path: absolute(explicit)) }
        if let home = environment["OCORE_HOME"], !home.isEmpty { return StateHome(path: absolute(home)) }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") { return StateHome(path: xdg + "/ocore") }
        let userHome = environment["HOME"] ?? NSHomeDirectory()
        return StateHome(path: userHome + "/.local/state/ocore")
    }

    public var databasePath: String { path + "/ocore.db" }

    /// Creates the directory (0700) if needed and tightens it if it exists with looser rights.
    public func ensureExists() throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw StoreError.unavailable(path: path, reason: "it is not a directory") }
        } else {
            do {
                try fm.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw StoreError.unavailable(path: path, reason: "cannot create the directory (\(error.localizedDescription))")
            }
        }
        chmod(path, 0o700)
    }

    private static func absolute(_ p: String) -> String {
        p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
    }
}
