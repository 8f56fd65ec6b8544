import Foundation
import OcoreModel
import OcoreRemote

/// The last word before a filestore directory is moved aside or written over: its path and its
/// real path (symlinks resolved) follow ``PathRules``, and what is there looks like a filestore
/// (two-hex-digit directories, `checklist/`, or nothing). `/etc`, `/`, a home directory or a
/// symlink to one is refused before anything is dropped.
enum FilestoreGuard {
    static func check(_ dir: String, on executor: any Executor, environment: String) throws {
        do { try PathRules.validateDataDirectory(dir, field: "filestore") } catch {
            throw StepFailure.check("filestore path", "\(environment): \(error): nothing was touched")
        }
        guard case .present(let real, let fits, let strangers) = try RemoteFileSystem(executor).inspectFilestore(dir) else { return }
        do { try PathRules.validateDataDirectory(real, field: "filestore") } catch {
            throw StepFailure.check("filestore path", "\(environment): \(dir) leads to \(real): \(error): nothing was touched")
        }
        guard fits else {
            throw StepFailure.check("filestore path", "\(environment): \(dir) does not look like an Odoo filestore (it holds \(strangers.joined(separator: ", "))…; a filestore holds only two-hex-digit directories): nothing was touched")
        }
    }
}
