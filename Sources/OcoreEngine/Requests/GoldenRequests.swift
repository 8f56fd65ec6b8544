import Foundation
import OcoreModel
import OcoreOdoo
import OcoreRemote
import OcoreStore

/// `ocore golden refresh SOURCE`: makes (or replaces) the source's golden copy on a server with
/// every rule of a sanitizing clone (it is one, into a build database), then seals it.
public struct GoldenRefreshRequest: Sendable, Equatable {
    public var source: String
    /// Default: the source's own server.
    public var server: String?
    public var preset = SanitizationCatalog.defaultPreset

    public init(source: String, server: String? = nil) { (self.source, self.server) = (source, server) }

    /// The refresh's parameters (a clone's, with where the golden copy ends) and what to say first.
    public func prepare(store: SQLiteStateStore, home: StateHome?) throws -> CloneRequest.Prepared {
        if preset == .none { throw RequestRefusal("a golden copy is what clones are stamped from without sanitizing again: it is always sanitized (--preset none is not offered)") }
        let sourceEnv = try store.resolvedEnvironment(named: source)
        let server = try store.server(named: self.server ?? sourceEnv.server.name)
        // Two server records reaching one PostgreSQL would share one golden database name.
        for other in try store.goldenCopies(of: source) where other.server != server.name {
            if Self.sameCluster(try store.server(named: other.server), server) {
                throw RequestRefusal("\(server.name) and \(other.server) reach the same PostgreSQL, where the golden copy of \(source) already is (as \(other.server)'s)")
            }
        }
        let database = GoldenCopy.databaseName(forSource: sourceEnv.environment.dbName)
        let build = GoldenCopy.buildName(forSource: sourceEnv.environment.dbName)
        for name in [database, build] {
            do { try Names.validateDatabaseName(name) } catch { throw RequestRefusal("\(source)'s database name is too long for a golden copy's (\(name)): \(error)") }
        }
        var clone = CloneRequest(source: source, target: .new(name: build, type: .development, server: server.name))
        clone.preset = preset
        // Never production's URL; each clone from it gets its own.
        clone.url = BaseURL.placeholder(for: "golden-" + source)
        var prepared = try clone.prepare(store: store, home: home)
        prepared.parameters.goldenBuild = GoldenRefreshJob.Destination(database: database, filestore: "\(server.effectiveDataDir)/filestore/\(database)")
        prepared.parameters.urlDerived = nil
        prepared.warnings = try store.goldenCopy(of: source, on: server.name).map { ["replaces the golden copy of \($0.summary()) once the new one is sealed"] } ?? []
        // Another server's golden copy is copied, not production sanitized a second time.
        if let original = try store.goldenCopies(of: source).filter({ $0.server != server.name }).max(by: { $0.dataAsOf < $1.dataAsOf }) {
            guard CloneRequest.strength(original.preset) >= CloneRequest.strength(preset) else {
                throw RequestRefusal("the golden copy of \(source) on \(original.server), which this one copies, was sanitized with \(original.preset.rawValue), less than \(preset.rawValue): refresh it there first with --preset \(preset.rawValue)")
            }
            do { try Names.validateDatabaseName(GoldenCopy.readerName(forGolden: original.database)) } catch { throw RequestRefusal("\(error)") }
            prepared.parameters.replicaOf = original
            (prepared.parameters.preset, prepared.parameters.options) = (original.preset, original.options)
            (prepared.parameters.passwordHash, prepared.parameters.rules, prepared.parameters.strict) = (nil, nil, nil)
            prepared.warnings.append("copies the golden copy on \(original.server) (\(original.summary())): production is not read, nothing is sanitized a second time")
        }
        return prepared
    }

    /// The same host reached the same way, and the same PostgreSQL address on it.
    static func sameCluster(_ a: Server, _ b: Server) -> Bool {
        let (pa, pb) = (a.postgres.applying(defaults: .builtInDefaults), b.postgres.applying(defaults: .builtInDefaults))
        return a.connection == b.connection && pa.host == pb.host && (pa.port ?? 5432) == (pb.port ?? 5432)
    }

    /// Queues the refresh. It holds the golden copy (clones from it wait for it, it waits for them)
    /// and reads the source, as a clone does.
    public func submit(store: SQLiteStateStore, home: StateHome) throws -> Int64 {
        try submit(try prepare(store: store, home: home), store: store, home: home)
    }

    /// Queues what ``prepare(store:home:)`` returned (a face that showed its warnings first).
    public func submit(_ prepared: CloneRequest.Prepared, store: SQLiteStateStore, home: StateHome) throws -> Int64 {
        let p = prepared.parameters
        let original = p.replicaOf.map { [JobLock.shared(GoldenCopy.lockName(source: source, server: $0.server)).encoded] } ?? []
        return try JobQueue(store: store, home: home).submit(GoldenRefreshJob(), parameters: p, environment: source, server: p.targetServer,
                                                              locks: [GoldenCopy.lockName(source: source, server: p.targetServer), JobLock.shared(source).encoded] + original)
    }
}

/// `ocore golden rm SOURCE`: the golden copy's template and filestore are removed (never while a
/// job refreshes or clones from it), and its record.
public struct GoldenRemoval: Sendable, Equatable {
    public var source: String
    public var server: String?

    public init(source: String, server: String? = nil) { (self.source, self.server) = (source, server) }

    public func remove(store: SQLiteStateStore, by who: Requester) throws {
        let golden = try GoldenSelection(source: source, server: server).one(store: store)
        let lock = GoldenCopy.lockName(source: golden.source, server: golden.server)
        if let busy = try store.jobs(includeFinished: false).first(where: { $0.lockedEnvironments.map { JobLock(encoded: $0).environment }.contains(lock) }) {
            throw RequestRefusal("job \(busy.id) (\(busy.kind)) is using the golden copy of \(golden.source) on \(golden.server): remove it when the job has ended")
        }
        let server = try store.server(named: golden.server)
        try DatabaseCatalog.admin(on: server).dropTemplate(golden.database)
        if let filestore = golden.filestore, filestore.hasSuffix("/" + golden.database) { try RemoteFileSystem(Executors.forServer(server)).removeTree(filestore) }
        try store.removeGoldenCopy(of: golden.source, on: golden.server)
        try store.audit(user: who.user, from: who.from, action: "golden.rm", environment: golden.source, detail: "\(golden.database) on \(golden.server)")
    }
}

/// What other requests ask of golden copies.
enum GoldenCopies {
    /// An environment with golden copies keeps its record: they are copies of it, cloned as it.
    static func refuseWhileAny(of source: String, store: SQLiteStateStore, doing what: String) throws {
        let copies = try store.goldenCopies(of: source)
        guard copies.isEmpty else {
            throw RequestRefusal("\(source) has golden copies on \(copies.map(\.server).joined(separator: ", ")): remove them before \(what) (`ocore golden rm \(source)`)")
        }
    }
}

/// Which golden copy a command means: the source's on a server, or its only one.
public struct GoldenSelection: Sendable, Equatable {
    public var source: String
    public var server: String?

    public init(source: String, server: String?) { (self.source, self.server) = (source, server) }

    public func one(store: SQLiteStateStore) throws -> GoldenCopy {
        _ = try store.environment(named: source)
        let copies = try store.goldenCopies(of: source).filter { server == nil || $0.server == server }
        guard let first = copies.first else {
            throw RequestRefusal("\(source) has no golden copy\(server.map { " on \($0)" } ?? ""): make one with `ocore golden refresh \(source)`")
        }
        guard copies.count == 1 else {
            throw RequestRefusal("\(source) has golden copies on \(copies.map(\.server).joined(separator: ", ")): say which with --server")
        }
        return first
    }
}

/// `ocore golden schedule SOURCE --at HH:MM`: the daemon refreshes the golden copy every day then.
public struct GoldenScheduleRequest: Sendable, Equatable {
    public var source: String
    public var server: String?
    public var at: String
    public var preset = SanitizationCatalog.defaultPreset

    public init(source: String, server: String? = nil, at: String) { (self.source, self.server, self.at) = (source, server, at) }

    @discardableResult
    public func save(store: SQLiteStateStore, by who: Requester) throws -> GoldenSchedule {
        guard BackupScheduler.latestSlot(at: at, before: Date()) != nil else { throw RequestRefusal("--at takes a time of day as HH:MM (e.g. 02:00)") }
        if preset == .none { throw RequestRefusal("a golden copy is always sanitized: --preset none is not offered") }
        let env = try store.resolvedEnvironment(named: source)
        let server = try store.server(named: self.server ?? env.server.name)
        let schedule = GoldenSchedule(source: source, server: server.name, at: at, preset: preset)
        try store.setGoldenSchedule(schedule)
        try store.audit(user: who.user, from: who.from, action: "golden.schedule", environment: source,
                        detail: "every day at \(at) on \(server.name) (\(preset.rawValue))")
        return schedule
    }
}

extension BackupScheduler {
    /// Starts the golden refreshes whose daily slot has come since they last ran (a missed slot
    /// runs once); one whose copy or source is busy is tried again on the next pass.
    public func runDueGoldenRefreshes(now: Date) throws -> (started: [(source: String, job: Int64)], failed: [(source: String, error: String)]) {
        var started: [(String, Int64)] = []
        var failed: [(String, String)] = []
        for schedule in try store.goldenSchedules() {
            guard let slot = Self.latestSlot(at: schedule.at, before: now) else { continue }
            if let last = schedule.lastRunAt, last >= slot { continue }
            var request = GoldenRefreshRequest(source: schedule.source, server: schedule.server)
            request.preset = schedule.preset
            do {
                let job = try request.submit(store: store, home: home)
                try store.markGoldenScheduleRun(source: schedule.source, server: schedule.server, at: now)
                started.append((schedule.source, job))
            } catch is JobStoreError {
                continue
            } catch {
                try? store.markGoldenScheduleRun(source: schedule.source, server: schedule.server, at: now)
                failed.append((schedule.source, "\(error)"))
            }
        }
        return (started, failed)
    }
}
