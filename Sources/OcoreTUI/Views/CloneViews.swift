import Foundation
import OcoreModel

/// The clone wizard, centred over the dashboard.
func drawCloneWizard(_ wizard: CloneWizardState, environments: [String], theme: Theme, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 2, 92), height: area.height)
    buffer.fill(rect, style: theme[.text])
    let title = "Clone \(wizard.source.name)" + (wizard.source.type == .production ? " (production)" : "")
    let inner = Box(title: title, style: theme[.title], titleStyle: wizard.source.type == .production ? theme[.danger] : theme[.title])
        .render(in: rect, symbols: theme.symbols, into: &buffer)
    guard inner.height > 4 else { return }
    Tabs(titles: WizardTab.allCases.map(\.title), active: wizard.tab.rawValue).render(in: Rect(x: inner.x + 1, y: inner.y, width: inner.width - 1, height: 1), theme: theme, into: &buffer)
    let body = Rect(x: inner.x + 1, y: inner.y + 2, width: inner.width - 2, height: inner.height - 4)
    var lines: [(String, Style, Bool)] = []  // text, style, focused
    let fields = wizard.fields
    func focused(_ f: WizardField) -> Bool { wizard.focusedField == f }
    switch wizard.tab {
    case .target:
        for (i, field) in fields.enumerated() {
            switch field {
            case .createNew:
                lines.append(("", theme[.text], false))
                lines.append(("\(theme.symbols.radioOff) Create a new environment instead", theme[.text], focused(field)))
            case .replaceExisting:
                lines.append(("", theme[.text], false))
                lines.append(("\(theme.symbols.radioOff) Replace an existing environment instead", theme[.text], focused(field)))
            case .replaceTarget(let name):
                if i == 0 { lines.append(("Replace an existing environment of any project:", theme[.danger], false)) }
                let row = wizard.others.first { $0.name == name }
                let mark = wizard.replaceTarget == name ? theme.symbols.radioOn : theme.symbols.radioOff
                let status: String = switch wizard.statuses[name]?.reachability {
                case .reachable?: "reachable"
                case .unreachable?: "unreachable"
                default: ""
                }
                lines.append(("  \(mark) \(TextWidth.fit(name, to: 24)) \(row?.type.rawValue ?? "")\(row?.isProtected == true ? ", protected" : "")  \(row?.server ?? "")  \(status)",
                              row?.type == .production ? theme[.danger] : theme[.text], focused(field)))
            case .confirmName:
                lines.append(("", theme[.text], false))
                if let target = wizard.replaceTarget {
                    lines.append(("Replacing \(target) destroys its database and filestore (a verified safety backup is taken first).", theme[.danger], false))
                }
                lines.append(("Type the name to confirm: \(wizard.confirmation.text)", theme[.warning], focused(field)))
            case .destructive:
                lines.append(("\(wizard.destructiveAccepted ? theme.symbols.checked : theme.symbols.unchecked) I understand this is destructive", theme[.danger], focused(field)))
            case .name: lines.append(("Name    \(wizard.name.text)", theme[.text], focused(field)))
            case .type(let t):
                if case .type = fields[i - 1] {} else { lines.append(("Type", theme[.muted], false)) }
                lines.append(("  \(wizard.type == t ? theme.symbols.radioOn : theme.symbols.radioOff) \(t.rawValue)", t == .production ? theme[.danger] : theme[.text], focused(field)))
            case .server(let s):
                if case .server = fields[i - 1] {} else { lines.append(("Server", theme[.muted], false)) }
                lines.append(("  \(wizard.server == s ? theme.symbols.radioOn : theme.symbols.radioOff) \(s)", theme[.text], focused(field)))
            case .url: lines.append(("URL     \(wizard.url.text.isEmpty ? "(none)" : wizard.url.text)", theme[.text], focused(field)))
            default: break
            }
        }
    case .sanitization:
        for field in fields {
            switch field {
            case .preset(let p):
                lines.append(("\(wizard.preset == p ? theme.symbols.radioOn : theme.symbols.radioOff) \(p.rawValue.capitalized)  — \(p.badge)",
                              p == .none ? theme[.warning] : theme[.text], focused(field)))
            case .risk:
                lines.append(("  \(wizard.riskAccepted ? theme.symbols.checked : theme.symbols.unchecked) I understand the risk: real customer data and credentials are kept",
                              theme[.danger], focused(field)))
            case .option(let key):
                guard let option = SanitizationCatalog.option(key) else { continue }
                let count: String = wizard.counting ? "counting…" : (wizard.impacts[key] ?? nil).map { String(format: option.impactFormat, $0) } ?? "not applicable"
                let mark = wizard.enabled.contains(key) ? theme.symbols.checked : theme.symbols.unchecked
                lines.append(("\(mark) \(TextWidth.fit(option.name, to: 36)) \(count)", option.alwaysOn ? theme[.muted] : theme[.text], focused(field)))
            default: break
            }
        }
        lines.append(("Affects approximately \(wizard.affectedRecords) records\(wizard.counting ? " (counting…)" : "")", theme[.title], false))
    case .options:
        let sameServer = wizard.targetServerName == wizard.source.server
        let fsSize = wizard.statuses[wizard.source.name]?.filestoreSize
        let fsCost = fsSize.map { bytes in
            let with = CloneEstimate.seconds(databaseBytes: 0, filestoreBytes: bytes, crossServer: !sameServer, preset: .none, history: wizard.history[wizard.targetServerName]).seconds
            let without = CloneEstimate.seconds(databaseBytes: 0, filestoreBytes: 0, crossServer: !sameServer, preset: .none, history: wizard.history[wizard.targetServerName]).seconds
            return "\(bytesText(bytes)), ~\(Duration.seconds(max(with - without, 0)).shortText) more"
        } ?? "size unknown"
        lines.append(("\(wizard.includeFilestore ? theme.symbols.checked : theme.symbols.unchecked) Include filestore (\(fsCost); \(sameServer ? "hard links on the same server" : "tar stream across servers"))",
                      theme[.text], focused(.filestore)))
        if sameServer {
            lines.append(("\(theme.symbols.unchecked) Compression: not needed on one server (nothing crosses a network)", theme[.muted], focused(.compression)))
        } else {
            lines.append(("\(wizard.compress ? theme.symbols.checked : theme.symbols.unchecked) Compress in transit (pg_dump -Z1, gzip'd filestore): for slow links, costs CPU",
                          theme[.text], focused(.compression)))
        }
        let jobsText = wizard.jobs.map { "\($0) job(s)" } ?? "auto (one per core, at most 4)"
        lines.append(("Parallel transfer: \(jobsText) ← Space to change", theme[.text], focused(.parallel)))
        lines.append(("Database: one snapshot, production stays online; personal data sanitized while it streams", theme[.muted], false))
        let e = wizard.estimate
        lines.append(("Estimated ~\(Duration.seconds(e.seconds).shortText) (\(e.basis))", theme[.title], false))
    case .review:
        let r = wizard.request
        lines += [("Source       \(r.source) (\(wizard.source.type.rawValue), \(wizard.source.server))", theme[.text], false),
                  ("Target       \(r.replace ? "REPLACE " : "")\(r.target) (\(r.targetType.rawValue)) on \(r.targetServer)", r.replace ? theme[.danger] : theme[.text], false),
                  ("URL          \(r.targetURL ?? "(none)")", theme[.text], false),
                  ("Sanitization \(r.preset.rawValue), \(r.options.count) option(s), ~\(wizard.affectedRecords) records", theme[.text], false),
                  ("Filestore    \(r.includeFilestore ? "yes" : "no") · \(r.jobs.map { "\($0) parallel job(s)" } ?? "parallel jobs auto")\(r.compress ? " · compressed in transit" : "")", theme[.text], false)]
        let e = wizard.estimate
        lines.append(("Estimate     ~\(Duration.seconds(e.seconds).shortText) (\(e.basis)) · database \(bytesText(wizard.databaseBytes)) + filestore \(bytesText(wizard.filestoreBytes))",
                      theme[.text], false))
        if let facts = wizard.serverFacts[wizard.targetServerName], let free = facts.freeBytes {
            let ok = free >= wizard.neededBytes
            lines.append(("Disk         \(ok ? "✓" : "✗") \(bytesText(free)) free on \(wizard.targetServerName), needs ~\(bytesText(wizard.neededBytes))", ok ? theme[.success] : theme[.danger], false))
        } else {
            lines.append(("Disk         checking \(wizard.targetServerName)…", theme[.muted], false))
        }
        lines.append(("", theme[.text], false))
        if let problem = wizard.problem(existing: environments) { lines.append(("✗ \(problem)", theme[.danger], false)) } else {
            lines.append(("✓ ready", theme[.success], false))
        }
        lines.append(("[ Start clone ]", theme[.title], focused(.start)))
    }
    // Keep the focused line visible.
    let focusLine = lines.firstIndex { $0.2 } ?? 0
    let start = max(0, min(focusLine - body.height / 2, lines.count - body.height))
    for (i, line) in lines.dropFirst(start).prefix(body.height).enumerated() {
        let style = line.2 ? theme[.selection] : line.1
        if line.2 { buffer.fill(Rect(x: body.x, y: body.y + i, width: body.width, height: 1), style: style) }
        buffer.put(line.0, x: body.x, y: body.y + i, style: style, maxWidth: body.width)
    }
    if let error = wizard.error { buffer.put(error, x: inner.x + 1, y: inner.maxY - 1, style: theme[.danger], maxWidth: inner.width - 2) }
}

/// The live progress of a clone (or any job): status, bar with ETA, steps, detail, log.
/// A finished clone's or restore's outcome, one line each: the proof verdict, what the
/// verification found, then each sanitization option (applied with rows, skipped or failed, why).
func outcomeLines(_ json: String) -> [(String, Theme.Role)] {
    guard let outcome = JobOutcome.decode(json) else { return [] }
    var lines: [(String, Theme.Role)] = []
    if let proof = outcome.proof {
        let findings = proof.findings.prefix(3).map { "\($0.location) \($0.count)" }
        lines.append(("Proof: \(proof.verdict)\(findings.isEmpty ? "" : " · " + findings.joined(separator: ", "))",
                      proof.verdict == "NEUTRALIZED" ? .success : proof.verdict == "PARTIAL" ? .warning : .danger))
    }
    let v = outcome.verification
    if !v.isEmpty {
        var parts: [String] = []
        if let t = v["key_tables"] { parts.append("tables \(t)") }
        // A clone counts the users who can log in; a restore counts them all.
        if let u = v["active_users"] { parts.append("\(u) active users") } else if let u = v["users"] { parts.append("\(u) users") }
        if let m = v["modules"] { parts.append("\(m) modules") }
        if let a = v["attachments"] { parts.append("\(a) files, \(v["missing_files"] ?? "0") missing") }
        if let h = v["http"] { parts.append(h) }
        let missing = Int(v["missing_files"] ?? "0") ?? 0
        lines.append(("Verified: " + parts.joined(separator: " · "), missing == 0 ? .success : .warning))
    }
    for r in outcome.sanitizationResult {
        let rows = r.status == .applied ? "\(r.affectedRows) rows" : ""
        let reason = r.reason.map { " (\($0))" } ?? ""
        let (mark, role): (String, Theme.Role) = switch r.status {
        case .applied: ("✓", .text)
        case .skipped: ("–", .muted)
        case .failed: ("✗", .danger)
        }
        lines.append(("\(mark) \(r.optionKey) \(rows)\(reason)", role))
    }
    return lines
}

func drawProgress(_ modal: ProgressModalState, now: Double, theme: Theme, spinner: Int, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 2, 92), height: area.height)
    buffer.fill(rect, style: theme[.text])
    let status = modal.job?.status.rawValue ?? "queued"
    let inner = Box(title: "\(modal.job?.kind ?? "job") #\(modal.jobID) · \(status)", style: theme[.title], titleStyle: theme[.title])
        .render(in: rect, symbols: theme.symbols, into: &buffer)
    guard inner.height > 6 else { return }
    let x = inner.x + 1, width = inner.width - 2
    ProgressBar(percent: modal.job?.progress ?? 0, elapsed: now - modal.openedAt, eta: modal.job?.status == .running ? modal.eta.secondsRemaining : nil)
        .render(in: Rect(x: x, y: inner.y, width: width, height: 1), theme: theme, into: &buffer)
    let stepsHeight = min(modal.steps.count, inner.height - 4)
    StepList(steps: modal.steps, spinnerFrame: spinner).render(in: Rect(x: x, y: inner.y + 2, width: width, height: stepsHeight), theme: theme, into: &buffer)
    var y = inner.y + 2 + stepsHeight
    if let job = modal.job, let error = job.errorMessage, job.status != .completed {
        buffer.put("✗ \(job.errorStep.map { "\($0): " } ?? "")\(error)", x: x, y: y, style: theme[.danger], maxWidth: width)
        y += 1
    } else if let running = modal.steps.first(where: { $0.status == .running }), let detail = running.message {
        buffer.put(detail, x: x, y: y, style: theme[.muted], maxWidth: width)
        y += 1
    }
    if let job = modal.job, job.status.isFinished, let result = modal.result {
        for (line, role) in outcomeLines(result).prefix(max(inner.maxY - y - 4, 0)) {
            y += 1
            buffer.put(line, x: x, y: y, style: theme[role], maxWidth: width)
        }
    }
    let logRect = Rect(x: x, y: y + 1, width: width, height: max(inner.maxY - y - 2, 0))
    LogView(lines: modal.log, state: LogViewState()).render(in: logRect, theme: theme, into: &buffer)
    if modal.confirmingCancel {
        ModalDialog(title: "Cancel job \(modal.jobID)?", lines: [("The work done on the target will be undone.", .warning), ("y: cancel the job · any other key: keep it", .text)],
                    buttons: []).render(in: rect, theme: theme, into: &buffer)
    }
}
