import Foundation
import OcoreModel

/// What the coverage says under the options: the columns classified, and those the ticked
/// options would copy as they are (what Strict refuses), or a rule that cannot hold.
func coverageLines(_ wizard: CloneWizardState) -> [FormLine] {
    guard let coverage = wizard.coverage, wizard.preset != .none else { return [] }
    var lines = [FormLine(.text("Coverage: \(coverage.summary)"), role: .muted)]
    for problem in wizard.ruleProblems.prefix(2) { lines.append(FormLine(.text("sanitization.toml refused: \(problem)"), role: .danger)) }
    let left = wizard.leftAsIs
    if left.isEmpty {
        lines.append(FormLine(.text("Every personal or secret-like column is sanitized by the ticked options"), role: .success))
    } else {
        let names = left.prefix(3).map(\.name).joined(separator: ", ") + (left.count > 3 ? " … (\(left.count))" : "")
        lines.append(FormLine(.text("Left as they are: \(names)"), role: wizard.strict ? .danger : .warning))
    }
    return lines
}

/// The clone wizard, centred over the dashboard.
func drawCloneWizard(_ wizard: CloneWizardState, environments: [String], now: Double, theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 2, 92), height: area.height)
    buffer.fill(rect, style: theme[.text])
    let title = "Clone \(wizard.source.name)" + (wizard.source.type == .production ? " (production)" : "")
    let inner = Box(title: title, style: theme[.title], titleStyle: wizard.source.type == .production ? theme[.danger] : theme[.title])
        .render(in: rect, symbols: theme.symbols, into: &buffer)
    guard inner.height > 4 else { return }
    Tabs(titles: WizardTab.allCases.map(\.title), active: wizard.tab.rawValue).render(in: Rect(x: inner.x + 1, y: inner.y, width: inner.width - 1, height: 1), theme: theme, into: &buffer)
    let body = Rect(x: inner.x + 1, y: inner.y + 2, width: inner.width - 2, height: inner.height - 4)
    var lines: [FormLine] = []
    let fields = wizard.fields
    func focused(_ f: WizardField) -> Bool { wizard.focusedField == f }
    switch wizard.tab {
    case .target:
        for (i, field) in fields.enumerated() {
            switch field {
            case .createNew:
                lines += [.blank, FormLine(.radio("Create a new environment instead", selected: false), focused: focused(field))]
            case .replaceExisting:
                lines += [.blank, FormLine(.radio("Replace an existing environment instead", selected: false), focused: focused(field))]
            case .replaceTarget(let name):
                if i == 0 { lines.append(FormLine(.text("Replace an existing environment of any project:"), role: .danger)) }
                let row = wizard.others.first { $0.name == name }
                let status: String = switch wizard.statuses[name]?.reachability {
                case .reachable?: "reachable"
                case .unreachable?: "unreachable"
                default: ""
                }
                lines.append(FormLine(.radio("\(TextWidth.fit(name, to: 24)) \(row?.type.rawValue ?? "")\(row?.isProtected == true ? ", protected" : "")  \(row?.server ?? "")  \(status)",
                                             selected: wizard.replaceTarget == name),
                                      role: row?.type == .production ? .danger : .text, focused: focused(field), indent: 2))
            case .confirmName:
                lines.append(.blank)
                if let target = wizard.replaceTarget {
                    lines.append(FormLine(.text("Replacing \(target) destroys its database and filestore (a verified safety backup is taken first)."), role: .danger))
                }
                lines.append(FormLine(.text("Type the name to confirm: \(wizard.confirmation.text)"), role: .warning, focused: focused(field)))
            case .destructive:
                lines.append(FormLine(.checkbox("I understand this is destructive", checked: wizard.destructiveAccepted), role: .danger, focused: focused(field)))
            case .name: lines.append(FormLine(.text("Name    \(wizard.name.text)"), focused: focused(field)))
            case .type(let t):
                if case .type = fields[i - 1] {} else { lines.append(FormLine(.text("Type"), role: .muted)) }
                lines.append(FormLine(.radio(t.rawValue, selected: wizard.type == t), role: t == .production ? .danger : .text, focused: focused(field), indent: 2))
            case .server(let s):
                if case .server = fields[i - 1] {} else { lines.append(FormLine(.text("Server"), role: .muted)) }
                let verdict = wizard.serverVerdict(s)
                lines.append(FormLine(.radio("\(TextWidth.fit(s, to: 16)) \(verdict)", selected: wizard.server == s),
                                      role: verdict.hasPrefix("✗") ? .warning : .text, focused: focused(field), indent: 2))
            case .fromGolden:
                if let golden = wizard.golden {
                    lines += [.blank, FormLine(.checkbox("Golden copy: \(golden.summary(now: Date(timeIntervalSince1970: now)))",
                                                         checked: wizard.fromGolden), role: golden.verdict == "NEUTRALIZED" ? .text : .warning, focused: focused(field))]
                }
            case .url: lines.append(FormLine(.text("URL     \(wizard.urlShown)"), focused: focused(field)))
            default: break
            }
        }
    case .sanitization:
        if wizard.usesGolden, let golden = wizard.golden {
            lines += [FormLine(.text("From the golden copy: its sanitization applies (\(golden.preset.rawValue), \(golden.verdict) when it was made); the choices below are not used"),
                               role: .warning), .blank]
        }
        for field in fields {
            switch field {
            case .preset(let p):
                lines.append(FormLine(.radio("\(p.rawValue.capitalized)  — \(p.badge)", selected: wizard.preset == p), role: p == .none ? .warning : .text,
                                      focused: focused(field)))
            case .risk:
                lines.append(FormLine(.checkbox("I understand the risk: real customer data and credentials are kept", checked: wizard.riskAccepted), role: .danger,
                                      focused: focused(field), indent: 2))
            case .option(let key):
                if key == SanitizationCatalog.options.first?.key, case let coverage = coverageLines(wizard), !coverage.isEmpty { lines += coverage + [.blank] }
                guard let option = SanitizationCatalog.option(key) else { continue }
                let count: String = wizard.counting ? "counting…" : (wizard.impacts[key] ?? nil).map { String(format: option.impactFormat, $0) } ?? "not applicable"
                lines.append(FormLine(.checkbox("\(TextWidth.fit(option.name, to: 36)) \(count)", checked: wizard.enabled.contains(key)),
                                      role: option.alwaysOn ? .muted : .text, focused: focused(field)))
            case .strict:
                lines.append(FormLine(.checkbox("Strict: refuse while personal data or secrets would be left as they are", checked: wizard.strict),
                                      role: .warning, focused: focused(field), indent: 2))
            default: break
            }
        }
        lines.append(FormLine(.text("Affects approximately \(wizard.affectedRecords) records\(wizard.counting ? " (counting…)" : "")"), role: .title))
    case .options:
        let sameServer = wizard.targetServerName == wizard.source.server
        let fsSize = wizard.statuses[wizard.source.name]?.filestoreSize
        let fsCost = fsSize.map { bytes in
            let with = CloneEstimate.seconds(databaseBytes: 0, filestoreBytes: bytes, crossServer: !sameServer, preset: .none, history: wizard.history[wizard.targetServerName]).seconds
            let without = CloneEstimate.seconds(databaseBytes: 0, filestoreBytes: 0, crossServer: !sameServer, preset: .none, history: wizard.history[wizard.targetServerName]).seconds
            return "\(bytesText(bytes)), ~\(Duration.seconds(max(with - without, 0)).shortText) more"
        } ?? "size unknown"
        lines.append(FormLine(.checkbox("Include filestore (\(fsCost); \(sameServer ? "hard links on the same server" : "tar stream across servers"))",
                                        checked: wizard.includeFilestore), focused: focused(.filestore)))
        if sameServer {
            lines.append(FormLine(.checkbox("Compression: not needed on one server (nothing crosses a network)", checked: false), role: .muted, focused: focused(.compression)))
        } else {
            lines.append(FormLine(.checkbox("Compress in transit (pg_dump -Z1, gzip'd filestore): for slow links, costs CPU", checked: wizard.compress),
                                  focused: focused(.compression)))
        }
        let jobsText = wizard.jobs.map { "\($0) job(s)" } ?? "auto (one per core, at most 4)"
        lines.append(FormLine(.text("Parallel transfer: \(jobsText) ← Space to change"), focused: focused(.parallel)))
        lines.append(FormLine(.text("Database: one snapshot, production stays online; personal data sanitized while it streams"), role: .muted))
        let e = wizard.estimate
        lines.append(FormLine(.text("Estimated ~\(Duration.seconds(e.seconds).shortText) (\(e.basis))"), role: .title))
    case .review:
        let r = wizard.request
        lines += [FormLine(.text("Source       \(r.source) (\(wizard.source.type.rawValue), \(wizard.source.server))")),
                  FormLine(.text("Target       \(r.replace ? "REPLACE " : "")\(r.target) (\(r.targetType.rawValue)) on \(r.targetServer)"), role: r.replace ? .danger : .text),
                  FormLine(.text("URL          \(wizard.urlShown)")),
                  FormLine(.text(r.fromGolden && wizard.golden != nil
                                 ? "Sanitization \(r.preset.rawValue) · the golden copy's (\(wizard.golden!.verdict)), \(r.source) as of \(GoldenCopy.asOf(wizard.golden!.dataAsOf, now: Date(timeIntervalSince1970: now)))"
                                 : "Sanitization \(r.preset.rawValue), \(r.options.count) option(s), ~\(wizard.affectedRecords) records\(r.strict ? " · strict" : "")")),
                  FormLine(.text("Filestore    \(r.includeFilestore ? "yes" : "no") · \(r.jobs.map { "\($0) parallel job(s)" } ?? "parallel jobs auto")\(r.compress ? " · compressed in transit" : "")"))]
        let e = wizard.estimate
        if r.fromGolden { lines.append(FormLine(.text("Estimate     seconds: PostgreSQL copies the golden copy's files, the filestore is linked"))) } else {
        lines.append(FormLine(.text("Estimate     ~\(Duration.seconds(e.seconds).shortText) (\(e.basis)) · database \(bytesText(wizard.databaseBytes)) + filestore \(bytesText(wizard.filestoreBytes))")))
        }
        if let facts = wizard.serverFacts[wizard.targetServerName], let free = facts.freeBytes {
            let ok = free >= wizard.neededBytes
            lines.append(FormLine(.text("Disk         \(ok ? theme.symbols.done : theme.symbols.failed) \(bytesText(free)) free on \(wizard.targetServerName), needs ~\(bytesText(wizard.neededBytes))"),
                                  role: ok ? .success : .danger))
        } else {
            lines.append(FormLine(.text("Disk         checking \(wizard.targetServerName)…"), role: .muted))
        }
        lines.append(.blank)
        if let problem = wizard.problem(existing: environments) { lines.append(FormLine(.text("\(theme.symbols.failed) \(problem)"), role: .danger)) } else {
            lines.append(FormLine(.text("\(theme.symbols.done) ready"), role: .success))
        }
        lines.append(FormLine(.button("Start clone"), role: .title, focused: focused(.start)))
    }
    FormView(lines: lines).render(in: body, theme: theme, into: &buffer)
    if let error = wizard.error { buffer.put(error, x: inner.x + 1, y: inner.maxY - 1, style: theme[.danger], maxWidth: inner.width - 2) }
}

