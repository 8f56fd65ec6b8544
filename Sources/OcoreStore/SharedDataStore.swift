import OcoreModel

/// Protection and locks that follow the data (see ``SharedData``), read from the inventory.
extension SQLiteStateStore {
    /// The other environments on the same database or filestore as `name`.
    public func environmentsSharingData(with name: String) throws -> [Environment] {
        SharedData.sharing(try environment(named: name), among: try environments(), servers: try servers())
    }

    /// The environment whose protection covers `name` (itself, or one sharing its data), if any.
    public func protection(of name: String) throws -> String? {
        SharedData.protectedBy(try environment(named: name), among: try environments(), servers: try servers())
    }

    /// Locks for a job on `names`: each of them and every environment sharing their data.
    public func locks(exclusive names: [String], shared reads: [String] = []) throws -> [String] {
        let all = try environments(), servers = try servers()
        func family(_ name: String) -> [String] {
            guard let env = all.first(where: { $0.name == name }) else { return [name] }
            return [name] + SharedData.sharing(env, among: all, servers: servers).map(\.name)
        }
        let exclusive = Set(names.flatMap(family))
        let shared = Set(reads.flatMap(family)).subtracting(exclusive)
        return exclusive.sorted().map { JobLock.exclusive($0).encoded } + shared.sorted().map { JobLock.shared($0).encoded }
    }
}
