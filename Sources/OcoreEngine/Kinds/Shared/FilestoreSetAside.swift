import OcoreRemote

/// A target's filestore moved out of the way while a job replaces it: the move is recorded before
/// it happens, the old files are removed once the new ones are in place, and a failed job puts
/// them back (over whatever the job had written there). Shared by replace-mode clones and
/// in-place restores.
enum FilestoreSetAside {
    /// Moves `dir` (when it exists) to `dir` + `suffix`; `record` keeps the new path first.
    @discardableResult
    static func move(_ dir: String, suffix: String, on fs: RemoteFileSystem, record: (String) throws -> Void) throws -> String? {
        guard try fs.stat(dir) != nil else { return nil }
        let aside = dir + suffix
        try record(aside)
        try fs.rename(dir, to: aside)
        return aside
    }

    /// Puts the set-aside files back at `dir`, removing what the job wrote there.
    static func putBack(_ aside: String, to dir: String, on fs: RemoteFileSystem) throws {
        try? fs.removeTree(dir)
        try fs.rename(aside, to: dir)
    }
}
