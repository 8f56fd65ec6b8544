import Foundation
import OcoreModel

/// What the wizard asks the runtime to start (validated again by the same code as the CLI).
public struct CloneWizardRequest: Equatable, Sendable {
    public var source: String
    public var target: String
    public var targetType: EnvironmentType
    public var targetServer: String
    public var targetURL: String?
    public var preset: SanitizationCatalog.Preset
    public var options: [String]
    public var includeFilestore: Bool
    /// Replace mode: `target` is an existing environment whose database and filestore are
    /// replaced (a verified safety backup of it first).
    public var replace: Bool = false
    /// Parallel jobs (nil: one per core of the server, at most 4).
    public var jobs: Int? = nil
    /// Compress what crosses the network to another server.
    public var compress = false
    /// The name typed to confirm a replace, and the risk box for preset None: the engine checks both.
    public var confirmation: String? = nil
    public var riskAccepted = false
    /// Fail closed: refused while a personal or secret-like column would be copied as it is.
    public var strict = false
    /// Copy the source's golden copy on the target server (its sanitization, in seconds).
    public var fromGolden = false
}

/// What the dashboard counts on a clone's source: each option's impact, and the coverage of
/// every text column (scanned with every option on, so a switch in the wizard needs no rescan).
public struct SanitizationCounts: Equatable, Sendable {
    public var impacts: [String: Int?]
    public var coverage: CoverageReport?
    /// The operator's sanitization.toml rules that cannot hold on this source.
    public var ruleProblems: [String]

    public init(impacts: [String: Int?], coverage: CoverageReport? = nil, ruleProblems: [String] = []) {
        self.impacts = impacts
        self.coverage = coverage
        self.ruleProblems = ruleProblems
    }
}

public enum WizardTab: Int, CaseIterable, Sendable {
    case target, sanitization, options, review
    public var title: String { ["Target", "Sanitization", "Options", "Review"][rawValue] }
}

/// One focusable line of a wizard tab.
public enum WizardField: Equatable, Sendable {
    case createNew, replaceExisting
    case replaceTarget(String)
    case confirmName, destructive
    case name, url
    case type(EnvironmentType)
    case server(String)
    case preset(SanitizationCatalog.Preset)
    case risk
    case option(String)
    case strict
    case filestore, compression, parallel
    case fromGolden
    case start
}

/// The clone wizard of seed 001: Target, Sanitization (presets, options with live impact
/// counts), Options, Review. Pure state; `update` edits it and the view draws it.
public struct CloneWizardState: Equatable, Sendable {
    public var source: EnvironmentRow
    public var servers: [String]
    public var tab = WizardTab.target
    public var focus = 0
    public var name: TextFieldState
    public var url = TextFieldState()
    public var type = EnvironmentType.staging
    public var server: String
    public var preset = SanitizationCatalog.defaultPreset
    public var enabled: Set<String>
    public var riskAccepted = false
    public var includeFilestore = true
    public var compress = false
    /// Parallel jobs; nil is "auto" (one per core, at most 4). Cycles through ``parallelChoices``.
    public var jobs: Int?
    public static let parallelChoices: [Int?] = [nil, 1, 2, 4, 8]
    /// Impact counts by option key (nil: not applicable); empty while counting.
    public var impacts: [String: Int?] = [:]
    public var counting = true
    /// Every text column of the source classified (with every option on); nil until counted.
    public var coverage: CoverageReport?
    public var ruleProblems: [String] = []
    public var strict = false
    public var error: String?
    /// Replace an existing environment instead of creating one.
    public var replace = false
    public var others: [EnvironmentRow] = []
    public var replaceTarget: String?
    public var confirmation = TextFieldState()
    public var destructiveAccepted = false
    /// The other environments' last known status, shown beside them in replace mode.
    public var statuses: [String: EnvironmentStatus] = [:]
    /// What past clones onto each server measured, and each server's free disk, as they arrive.
    public var history: [String: CloneHistory] = [:]
    public var serverFacts: [String: ServerFacts] = [:]
    /// The source's golden copies, one per server; clone from the target server's when ticked.
    public var goldenCopies: [GoldenCopy] = []
    public var fromGolden = false

    public init(source: EnvironmentRow, servers: [String], today: String, others: [EnvironmentRow] = []) {
        self.source = source
        self.servers = servers
        self.others = others
        self.server = source.server
        self.name = TextFieldState(text: "\(source.name)-clone-\(today)")
        self.enabled = Set(SanitizationCatalog.keys(for: .recommended))
    }

    public var fields: [WizardField] {
        switch tab {
        case .target where replace:
            others.map { WizardField.replaceTarget($0.name) } + [.confirmName, .destructive, .createNew]
        case .target:
            [.name] + EnvironmentType.allCases.map(WizardField.type) + servers.map(WizardField.server) + (golden == nil ? [] : [.fromGolden])
                + [.url, .replaceExisting]
        case .sanitization:
            SanitizationCatalog.Preset.allCases.map(WizardField.preset) + (preset == .none ? [.risk] : [.strict])
                + SanitizationCatalog.options.map { WizardField.option($0.key) }
        case .options: [.filestore, .compression, .parallel]
        case .review: [.start]
        }
    }

    public var focusedField: WizardField? { fields.indices.contains(focus) ? fields[focus] : nil }

    /// Records the enabled options would change, from the counts loaded so far.
    public var affectedRecords: Int { enabled.compactMap { impacts[$0] ?? nil }.reduce(0, +) }

    /// Personal and secret-like columns the ticked options leave as they are (what strict refuses).
    public var leftAsIs: [CoveredColumn] {
        guard let coverage, preset != .none else { return [] }
        return coverage.columns.filter { c in
            (c.class == .personal || c.class == .secretLike) && (c.treatment == nil || c.treatment != .keep && !(c.option.map(enabled.contains) ?? true))
        }
    }

    /// Why the clone cannot start yet, if anything.
    public func problem(existing: [String]) -> String? {
        if let rule = ruleProblems.first { return "sanitization.toml: \(rule)" }
        if strict, preset != .none, let first = leftAsIs.first {
            return "strict: \(first.name)\(leftAsIs.count > 1 ? " and \(leftAsIs.count - 1) more" : "") would be copied as it is (tick the option that covers it)"
        }
        if replace {
            guard let target = replaceTarget else { return "choose the environment to replace" }
            if confirmation.text != target { return "type \(target) to confirm replacing it" }
            if !destructiveAccepted { return "tick \"I understand this is destructive\"" }
            if preset == .none && !riskAccepted { return "preset None keeps real customer data: tick \"I understand the risk\"" }
            return nil
        }
        do { try Names.validateInventoryName(name.text, kind: "environment") } catch { return error.description }
        if existing.contains(name.text) { return "an environment named \(name.text) already exists" }
        if !url.text.isEmpty && !(url.text.hasPrefix("http://") || url.text.hasPrefix("https://")) { return "the URL must start with http:// or https://" }
        if preset == .none && !riskAccepted && !usesGolden { return "preset None keeps real customer data: tick \"I understand the risk\"" }
        return nil
    }

    var targetServerName: String { replaced?.server ?? server }

    /// The source's golden copy on the target server, if it has one.
    public var golden: GoldenCopy? { goldenCopies.first { $0.server == targetServerName } }

    /// A clone from the golden copy, ticked and possible.
    public var usesGolden: Bool { fromGolden && golden != nil }

    /// The golden copies the wizard can offer; the target server's is preselected while its data
    /// is less than a day old (an older one is offered, not chosen for the operator).
    public mutating func offerGoldenCopies(_ copies: [GoldenCopy], now: Double) {
        goldenCopies = copies
        fromGolden = golden.map { now - $0.dataAsOf.timeIntervalSince1970 < 86_400 } ?? false
    }
    var databaseBytes: Int64 { statuses[source.name]?.databaseSize ?? 0 }
    var filestoreBytes: Int64 { includeFilestore ? (statuses[source.name]?.filestoreSize ?? 0) : 0 }

    /// Expected duration and where the figure comes from (typical speeds, or this server's past clones).
    public var estimate: (seconds: Double, basis: String) {
        CloneEstimate.seconds(databaseBytes: databaseBytes, filestoreBytes: filestoreBytes, crossServer: targetServerName != source.server,
                              preset: preset, history: history[targetServerName])
    }

    /// Room needed on the target server: the database (and the filestore unless hard-linked on the
    /// same server) plus 20 %, as the pre-checks require.
    public var neededBytes: Int64 { neededBytes(on: targetServerName) }

    func neededBytes(on server: String) -> Int64 {
        Int64(Double(databaseBytes + (server == source.server ? 0 : filestoreBytes)) * 1.2)
    }

    /// Beside each server: whether this copy fits there, with what the server has.
    public func serverVerdict(_ name: String) -> String {
        guard let facts = serverFacts[name] else { return "checking…" }
        if let error = facts.error { return "✗ unreachable: \(error)" }
        let needed = neededBytes(on: name)
        let cores = facts.cores.map { " · \($0) cores" } ?? ""
        guard let free = facts.freeBytes else { return "free disk unknown\(cores)" }
        return free >= needed ? "✓ \(bytesText(free)) free\(cores)" : "✗ needs ~\(bytesText(needed)), \(bytesText(free)) free"
    }

    /// The URL the copy gets when none is typed (the engine derives the same): never the source's.
    public var urlShown: String {
        if let target = replaced { return target.url.map { "\($0) (its own)" } ?? "derived from \(source.name)'s web.base.url" }
        if !url.text.isEmpty { return url.text }
        return source.url.flatMap { BaseURL.derived(from: $0, for: name.text) }.map { "\($0) (derived from \(source.name)'s)" }
            ?? "derived from \(source.name)'s web.base.url"
    }

    /// The environment replace mode would overwrite.
    public var replaced: EnvironmentRow? { replace ? others.first { $0.name == replaceTarget } : nil }

    public var request: CloneWizardRequest {
        let target = replaced
        // From a golden copy: its sanitization, not the options ticked here.
        let golden = usesGolden ? self.golden : nil
        return CloneWizardRequest(source: source.name, target: target?.name ?? name.text, targetType: target?.type ?? type,
                                  targetServer: target?.server ?? server, targetURL: target?.url ?? (url.text.isEmpty ? nil : url.text),
                                  preset: golden?.preset ?? preset, options: golden?.options ?? SanitizationCatalog.options.map(\.key).filter(enabled.contains),
                                  includeFilestore: includeFilestore, replace: target != nil, jobs: jobs, compress: compress && targetServerName != source.server,
                                  confirmation: target != nil ? confirmation.text : nil, riskAccepted: golden == nil && preset == .none && riskAccepted,
                                  strict: strict && preset != .none, fromGolden: golden != nil)
    }
}

func handleWizard(_ key: Key, _ wizard: inout CloneWizardState, _ state: inout DashboardState) -> [Effect] {
    let fields = wizard.fields
    let field = wizard.focusedField
    wizard.error = nil
    switch FormInput.interpret(key, on: field?.control, paged: true) {
    case .close:
        state.overlay = .none
        return []
    case .page(let delta):
        wizard.tab = WizardTab(rawValue: FormKeys.stepped(wizard.tab.rawValue, by: delta, count: WizardTab.allCases.count))!
        wizard.focus = 0
    case .move(let delta): wizard.focus = FormKeys.moved(wizard.focus, by: delta, in: Array(fields.indices))
    case .change(let delta):
        if field?.control == .toggle { return activate(field, &wizard, &state) }
        if field == .parallel { wizard.stepParallel(by: delta) }
    case .activate: return activate(field, &wizard, &state)
    case .advance:
        if wizard.focus + 1 < fields.count, fields[wizard.focus + 1] != .start {
            wizard.focus += 1
        } else {
            wizard.tab = WizardTab(rawValue: min(wizard.tab.rawValue + 1, WizardTab.allCases.count - 1))!
            wizard.focus = 0
        }
    case .edit(let key):
        if field == .name { _ = wizard.name.handle(key) } else if field == .url { _ = wizard.url.handle(key) }
        else if field == .confirmName { _ = wizard.confirmation.handle(key) }
    case .none: break
    }
    state.overlay = .cloneWizard(wizard)
    return []
}

/// Space (or Enter on an option or the button): select, flip or press the focused line.
private func activate(_ field: WizardField?, _ wizard: inout CloneWizardState, _ state: inout DashboardState) -> [Effect] {
    switch field {
    case .createNew?:
        wizard.replace = false
        wizard.focus = 0
    case .replaceExisting?:
        guard !wizard.others.isEmpty else {
            wizard.error = "there is no other environment to replace"
            break
        }
        wizard.replace = true
        wizard.focus = 0
    case .replaceTarget(let name)?:
        wizard.replaceTarget = name
        wizard.confirmation = TextFieldState()
    case .destructive?: wizard.destructiveAccepted.toggle()
    case .type(let t)?: wizard.type = t
    case .server(let s)?:
        wizard.server = s
        wizard.offerGoldenCopies(wizard.goldenCopies, now: state.now)
    case .fromGolden?: wizard.fromGolden.toggle()
    case .preset(let p)?:
        wizard.preset = p
        wizard.enabled = Set(SanitizationCatalog.keys(for: p))
    case .risk?: wizard.riskAccepted.toggle()
    case .strict?: wizard.strict.toggle()
    case .option(let key)?:
        if SanitizationCatalog.option(key)?.alwaysOn == true { wizard.error = "asset bundles are always cleared after a copy" } else if wizard.enabled.contains(key) {
            wizard.enabled.remove(key)
        } else { wizard.enabled.insert(key) }
    case .filestore?: wizard.includeFilestore.toggle()
    case .compression?:
        if wizard.targetServerName == wizard.source.server { wizard.error = "nothing crosses a network on one server: compression applies to clones onto another server" } else {
            wizard.compress.toggle()
        }
    case .parallel?: wizard.stepParallel(by: 1)
    case .start?:
        if let problem = wizard.problem(existing: state.environments.map(\.name)) {
            wizard.error = problem
        } else {
            state.overlay = .none
            return [.startClone(wizard.request)]
        }
    case .name?, .url?, .confirmName?, nil: break
    }
    state.overlay = .cloneWizard(wizard)
    return []
}

extension WizardField {
    var control: FormControl {
        switch self {
        case .name, .url, .confirmName: .text
        case .createNew, .replaceExisting, .replaceTarget, .type, .server, .preset: .option
        case .destructive, .risk, .option, .strict, .filestore, .compression, .fromGolden: .toggle
        case .parallel: .choice
        case .start: .button
        }
    }
}

extension CloneWizardState {
    mutating func stepParallel(by delta: Int) {
        let choices = Self.parallelChoices
        jobs = choices[FormKeys.stepped(choices.firstIndex(of: jobs) ?? 0, by: delta, count: choices.count)]
    }
}

