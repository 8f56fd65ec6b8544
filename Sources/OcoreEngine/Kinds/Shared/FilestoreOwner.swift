import Foundation
import OcoreRemote

/// The filestore's files belong to the user Odoo runs as (`--filestore-owner`), or Odoo cannot
/// write attachments. Shared by restores and clones.
enum FilestoreOwner {
    /// `chown -R owner dir` on the server.
    static func give(_ dir: String, to owner: String, on executor: any Executor, _ context: StepContext) throws {
        let chown = try executor.run(Command(["chown", "-R", "--", owner, dir]), cancellation: context.cancellation)
        guard chown.succeeded else { throw StepFailure.command("chown \(owner)", chown.summary) }
        context.log(.info, "filestore files now belong to \(owner)")
    }

    /// Whether `dir` already belongs to `owner` ("user" or "user:group"). Hard links share their
    /// owner with the source's files, so a copy for another owner cannot be made of hard links:
    /// changing theirs would change the source's.
    static func owns(_ owner: String, _ dir: String, on executor: any Executor) -> Bool {
        guard let current = try? executor.output(Command(["stat", "-c", "%U:%G", "--", dir])).trimmingCharacters(in: .whitespacesAndNewlines) else { return false }
        let wanted = owner.split(separator: ":", maxSplits: 1).map(String.init)
        let have = current.split(separator: ":", maxSplits: 1).map(String.init)
        return have.first == wanted.first && (wanted.count < 2 || have.last == wanted.last)
    }
}
