import Foundation
import OcoreModel

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

/// A finished job in one line: what it changed and how long it took ("616 records changed in 23s").
func totalsLine(_ modal: ProgressModalState, now: Double) -> (String, Theme.Role)? {
    guard let job = modal.job, job.status.isFinished else { return nil }
    let took = modal.elapsed(now: now).map { Duration.seconds($0).shortText } ?? "?"
    let changed = modal.result.flatMap(JobOutcome.decode)?.sanitizationResult.filter { $0.status == .applied }.reduce(0) { $0 + $1.affectedRows }
    switch job.status {
    case .completed: return ((changed.map { "\($0) records changed in " } ?? "completed in ") + took, .success)
    default: return ("\(job.status.rawValue) after \(took)" + (modal.isRetryable ? " · R retries it with the same parameters" : ""), .danger)
    }
}

/// The live progress of a clone (or any job): status, bar with ETA, steps with their durations, detail, log.
func drawProgress(_ modal: ProgressModalState, status shown: String?, now: Double, theme: Theme, spinner: Int, in area: Rect, into buffer: inout CellBuffer) {
    let rect = area.centered(width: min(area.width - 2, 92), height: area.height)
    buffer.fill(rect, style: theme[.text])
    let status = shown ?? "queued"
    let inner = Box(title: "\(modal.job?.kind ?? "job") #\(modal.jobID) · \(status)", style: theme[.title], titleStyle: theme[.title])
        .render(in: rect, symbols: theme.symbols, into: &buffer)
    guard inner.height > 6 else { return }
    let x = inner.x + 1, width = inner.width - 2
    ProgressBar(percent: modal.job?.progress ?? 0, elapsed: modal.elapsed(now: now), eta: modal.job?.status == .running ? modal.eta.secondsRemaining : nil)
        .render(in: Rect(x: x, y: inner.y, width: width, height: 1), theme: theme, into: &buffer)
    let stepsHeight = min(modal.steps.count, inner.height - 4)
    StepList(steps: modal.steps, spinnerFrame: spinner, now: now).render(in: Rect(x: x, y: inner.y + 2, width: width, height: stepsHeight), theme: theme, into: &buffer)
    var y = inner.y + 2 + stepsHeight
    if let job = modal.job, let error = job.errorMessage, job.status != .completed {
        buffer.put("✗ \(job.errorStep.map { "\($0): " } ?? "")\(error)", x: x, y: y, style: theme[.danger], maxWidth: width)
        y += 1
    } else if let running = modal.steps.first(where: { $0.status == .running }), let detail = running.message {
        buffer.put(detail, x: x, y: y, style: theme[.muted], maxWidth: width)
        y += 1
    }
    if let (line, role) = totalsLine(modal, now: now) {
        y += 1
        buffer.put(line, x: x, y: y, style: theme[role].adding(.bold), maxWidth: width)
    }
    if let job = modal.job, job.status.isFinished, let result = modal.result {
        for (line, role) in outcomeLines(result).prefix(max(inner.maxY - y - 4, 0)) {
            y += 1
            buffer.put(line, x: x, y: y, style: theme[role], maxWidth: width)
        }
    }
    let logRect = Rect(x: x, y: y + 1, width: width, height: max(inner.maxY - y - 2, 0))
    LogView(lines: modal.log, state: LogViewState()).render(in: logRect, theme: theme, into: &buffer)
    if modal.confirmingRetry {
        ModalDialog(title: "Retry job \(modal.jobID)?", lines: [("A new job runs with the same parameters, every check and safety backup again.", .text),
                                                             ("y: retry · any other key: keep it as it is", .text)],
                    buttons: []).render(in: rect, theme: theme, into: &buffer)
    }
    if modal.confirmingCancel {
        ModalDialog(title: "Cancel job \(modal.jobID)?", lines: [("The work done on the target will be undone.", .warning), ("y: cancel the job · any other key: keep it", .text)],
                    buttons: []).render(in: rect, theme: theme, into: &buffer)
    }
}
