import Foundation
import OcoreModel
import OcoreOdoo
import OcoreStore

/// One clone, as the CLI's flags and the dashboard's wizard both describe it, with every rule in
/// one place: the target (new, or an existing one replaced after its typed name), the URL, the
/// sanitization options and the risk acknowledgement for none, and the copy's strategy (fast copy
/// on one server only, a kept identity only without sanitization, UPDATE passes on request).
public struct CloneRequest: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        case new(name: String, type: EnvironmentType, server: String?)
        /// An existing environment whose database and filestore are replaced (a verified safety
        /// backup of it first).
        case replace(String)
    }

    public var source: String
    public var target: Target
    public var url: String?
    /// A host name: the URL becomes `https://DOMAIN`.
    public var domain: String?
    public var preset = SanitizationCatalog.defaultPreset
    /// The options exactly (the wizard's ticks); nil: the preset with `enable` and `disable`.
    public var options: [String]?
    public var enable: [String] = []
    public var disable: [String] = []
    public var includeFilestore = true
    public var resetPasswordValue: String?
    /// The target's name, typed to confirm a replace.
    public var confirmation: String?
    public var riskAccepted = false
    public var fastCopy = false
    /// Copy the source's golden copy on the target server (`--from-golden`): PostgreSQL copies
    /// the template, the filestore is linked, and only what each copy needs of its own runs.
    public var fromGolden = false
    public var keepIdentity = false
    public var sanitizeAfterCopy = false
    /// Fail closed: refuse while a personal or secret-like column would be copied as it is.
    public var strict = false
    /// A rules file to use instead of the project's and environments' `sanitization.toml`.
    public var rulesFile: String?
    public var jobs: Int?
    public var compress = false
    /// A new environment's Odoo service (stopped and started around restores and replaces into it)
    /// and its filestore's owner (default: the source's owner on the same server). A replaced
    /// environment keeps its own.
    public var serviceStop: [String]?
    public var serviceStart: [String]?
    public var filestoreOwner: String?
    /// Replace mode: logins whose passwords on the target survive (QA and admin accounts of a staging).
    public var keepUsers: [String] = []

    public init(source: String, target: Target) {
        self.source = source
        self.target = target
    }

    public typealias Refusal = RequestRefusal

    /// What validation hands over: the job's parameters, and what a face shows before it starts.
    public struct Prepared: Sendable {
        public var parameters: CloneJob.Parameters
        public var source: ResolvedEnvironment
        public var replacing: ResolvedEnvironment?
        /// Said before the clone starts (e.g. a fast copy disconnects the source's sessions).
        public var warnings: [String]

        public var target: String { parameters.target }
        public var server: String { parameters.targetServer }

        public func submit(store: SQLiteStateStore, home: StateHome) throws -> Int64 {
            // The target is the clone's; the source is only read, and held so nothing replaces it meanwhile.
            // A golden copy is read too: held so no refresh swaps it away meanwhile.
            let golden = parameters.fromGolden.map { [JobLock.shared(GoldenCopy.lockName(source: $0.source, server: $0.server)).encoded] } ?? []
            return try JobQueue(store: store, home: home).submit(CloneJob(), parameters: parameters, environment: parameters.target, server: parameters.targetServer,
                                                          locks: [parameters.target, JobLock.shared(parameters.source).encoded] + golden)
        }
    }

    /// Checks every rule and builds the job's parameters; throws ``Refusal`` (or the store's and
    /// the model's own errors for unknown or invalid names). With `home`, the sanitization rules
    /// of the source's project and of both environments (or `rulesFile`) go with the job.
    public func prepare(store: SQLiteStateStore, home: StateHome? = nil) throws -> Prepared {
        let sourceEnv = try store.resolvedEnvironment(named: source)
        var replacing: ResolvedEnvironment?
        let targetName: String, targetType: EnvironmentType, serverName: String
        switch target {
        case .replace(let name):
            guard confirmation == name else {
                throw Refusal("replacing \(name) destroys its database and filestore (a verified safety backup is taken first): repeat its name with --confirm \(name)")
            }
            guard name != source else { throw Refusal("an environment cannot replace itself") }
            let r = try store.resolvedEnvironment(named: name)
            (replacing, targetName, targetType, serverName) = (r, name, r.environment.type, r.server.name)
        case .new(let name, let type, let server):
            try Names.validateInventoryName(name, kind: "environment")
            if (try? store.environment(named: name)) != nil { throw StoreError.duplicate(kind: "environment", name: name) }
            (targetName, targetType, serverName) = (name, type, server ?? sourceEnv.server.name)
            _ = try store.server(named: serverName)
        }
        if url != nil && domain != nil { throw Refusal("give --url or --domain, not both") }
        if let domain { try URLRules.validateDomain(domain) }
        // Never production's URL: one given, the replaced environment's own, or one derived from
        // the source's (from the source database's web.base.url at run time when it has none).
        let targetURL = url ?? domain.map { "https://\($0)" } ?? replacing?.environment.url
            ?? (keepIdentity ? nil : sourceEnv.environment.url.flatMap { BaseURL.derived(from: $0, for: targetName) })
        if let targetURL { try URLRules.validateWebURL(targetURL, field: "URL") }
        if preset == .none && !riskAccepted {
            throw Refusal("--preset none copies real customer data and live credentials: add --i-understand-the-risk")
        }
        if keepIdentity && preset != .none {
            throw Refusal("--keep-identity makes a disaster-recovery replica and goes only with --preset none: a sanitized copy always gets a new identity")
        }
        if fastCopy && serverName != sourceEnv.server.name {
            throw Refusal("--fast-copy works on one server only: the copy is made by PostgreSQL itself")
        }
        if let jobs, !(1...16).contains(jobs) { throw Refusal("--jobs must be between 1 and 16") }
        let keys = try options ?? SanitizationCatalog.resolve(preset: preset, enable: enable, disable: disable)
        let hash = keys.contains("reset_passwords") ? try OdooPassword.hash(resetPasswordValue ?? "staging123") : nil
        var parameters = CloneJob.Parameters(source: source, target: targetName, targetType: targetType, targetServer: serverName, targetURL: targetURL,
                                             preset: preset, options: keys, passwordHash: hash, includeFilestore: includeFilestore)
        parameters.jobs = jobs
        parameters.compress = compress ? true : nil
        parameters.keepIdentity = keepIdentity ? true : nil
        if sanitizeAfterCopy { parameters.sanitizeInCopy = false }
        // Fail closed when asked for, or when the source or the target says so for every
        // sanitized clone (a copy with --preset none sanitizes nothing, by the operator's explicit risk).
        if strict {
            guard preset != .none else { throw Refusal("--strict refuses copies with personal data or secrets left in them: it cannot go with --preset none") }
            parameters.strict = true
        } else if preset != .none, [sourceEnv.environment, replacing?.environment].contains(where: { $0?.strictSanitization == true }) {
            parameters.strict = true
        }
        if preset != .none, home != nil || rulesFile != nil {
            let rules = try SanitizationRulesFile.load(home: home, project: sourceEnv.environment.project,
                                                       environments: [source, targetName], override: rulesFile)
            parameters.rules = rules.isEmpty ? nil : rules
        } else if rulesFile != nil {
            throw Refusal("--rules classifies columns for sanitization: it cannot go with --preset none")
        }
        parameters.fastCopy = fastCopy ? true : nil
        if url == nil && domain == nil && replacing?.environment.url == nil { parameters.urlDerived = true }
        if let replacing {
            if serviceStop != nil || serviceStart != nil || filestoreOwner != nil {
                throw Refusal("a replaced environment keeps its own service commands and filestore owner: change them with `ocore env set \(replacing.environment.name)`")
            }
            parameters.filestoreOwner = replacing.environment.filestoreOwner
            if !keepUsers.isEmpty {
                for login in keepUsers where login.isEmpty || login.contains(where: { $0.isNewline || $0 == "," }) {
                    throw Refusal("--keep-users takes logins separated by commas, not \"\(login)\"")
                }
                parameters.keepUsers = keepUsers
            }
        } else {
            if !keepUsers.isEmpty { throw Refusal("--keep-users goes with --replace: a new environment has no users of its own to keep") }
            if (serviceStop == nil) != (serviceStart == nil) { throw Refusal("give --stop-command and --start-command together") }
            // Never the source's service commands: on the same server they would stop production.
            parameters.serviceStop = serviceStop
            parameters.serviceStart = serviceStart
            parameters.filestoreOwner = filestoreOwner ?? (serverName == sourceEnv.server.name ? sourceEnv.environment.filestoreOwner : nil)
            if let owner = parameters.filestoreOwner { try Environment.validateFilestoreOwner(owner) }
        }
        if let replacing {
            parameters.replaceDatabase = replacing.environment.dbName
            parameters.replaceFilestore = replacing.filestore
            parameters.safetyBackupID = BackupRecord.newID(at: Date())
        }
        var warnings: [String] = []
        if fromGolden {
            let golden = try goldenCopy(store: store, server: serverName, parameters: &parameters)
            warnings.append("the data is the golden copy's: \(golden.summary())")
        }
        if url == nil && domain == nil && replacing?.environment.url == nil && !keepIdentity {
            warnings.append("no --url given: \(targetName) gets \(targetURL ?? "a URL derived from \(source)'s web.base.url") (its links never point at \(source))")
        }
        if fastCopy { warnings.append("--fast-copy disconnects every session of \(source)'s database while it is copied") }
        return Prepared(parameters: parameters, source: sourceEnv, replacing: replacing, warnings: warnings)
    }

    /// `--from-golden`: the source's golden copy on the target server, whose sanitization the
    /// clone takes as it is (at least as strong as the one asked for, never another choice of options).
    private func goldenCopy(store: SQLiteStateStore, server: String, parameters: inout CloneJob.Parameters) throws -> GoldenCopy {
        guard let golden = try store.goldenCopy(of: source, on: server) else {
            throw Refusal("\(source) has no golden copy on \(server): make one with `ocore golden refresh \(source) --server \(server)`, or clone without --from-golden")
        }
        if fastCopy { throw Refusal("--from-golden already copies with PostgreSQL (from the golden copy): leave out --fast-copy") }
        if keepIdentity || preset == .none { throw Refusal("a golden copy is sanitized: --from-golden goes with neither --keep-identity nor --preset none") }
        if options != nil || !enable.isEmpty || !disable.isEmpty || rulesFile != nil || sanitizeAfterCopy {
            throw Refusal("a clone from the golden copy has its sanitization (\(golden.preset.rawValue)): to choose options, clone without --from-golden")
        }
        guard Self.strength(golden.preset) >= Self.strength(preset) else {
            throw Refusal("the golden copy of \(source) was sanitized with \(golden.preset.rawValue), less than \(preset.rawValue): refresh it with `ocore golden refresh \(source) --preset \(preset.rawValue)`, or clone without --from-golden")
        }
        if parameters.strict == true, golden.verdict != "NEUTRALIZED" {
            throw Refusal("strict sanitization: the golden copy of \(source) is \(golden.verdict), not NEUTRALIZED: refresh it, or clone without --from-golden")
        }
        parameters.preset = golden.preset
        parameters.options = golden.options
        parameters.passwordHash = nil
        parameters.rules = nil
        parameters.fromGolden = golden
        return golden
    }

    /// Presets from the least sanitizing to the most.
    static func strength(_ preset: SanitizationCatalog.Preset) -> Int {
        switch preset {
        case .none: 0
        case .minimal: 1
        case .recommended: 2
        case .full: 3
        }
    }
}
