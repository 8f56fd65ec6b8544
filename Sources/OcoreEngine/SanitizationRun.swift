import Foundation
import OcoreModel
import OcoreOdoo

/// Sanitizes a copy of an Odoo database (a clone's target, a restored backup): Odoo's own
/// neutralization per installed module, a new identity, the chosen options, then the proof.
/// One implementation, so a restore protects data exactly as a clone does.
struct SanitizationRun {
    var target: PSQL
    var addons: [String]
    var preset: SanitizationCatalog.Preset
    var options: [String]
    /// The copy's own base URL (given, or derived: see ``BaseURL``); nil keeps the source's (a
    /// disaster-recovery replica, or a move).
    var targetURL: String?
    /// The source's host: no system parameter of a sanitized copy may still name it.
    var sourceHost: String? = nil
    var passwordHash: String?
    /// Where the proof samples the real addresses from; nil skips the proof.
    var proofSource: PSQL?
    /// A restored copy keeps its identity only when it is the same database moved (`--as-moved`).
    var resetIdentity = true
    /// Options already applied while the data was copied (``SanitizedCopy``): not run again.
    var appliedInCopy: [Sanitizer.Result] = []
    /// The source's coverage: what `clear_detected_secrets` clears, and the columns left as they
    /// are (the proof names them).
    var coverage: CoverageReport? = nil
    /// The operator's checked rules (``ColumnRuleCheck``); computed here unless the copy did.
    var rules: [ColumnRule] = []
    /// The tables the copy searched for customer addresses as they streamed, and what it found.
    var addressesCheckedInStream: StreamedAddressCheck? = nil

    func apply(_ context: StepContext) throws -> JobOutcome {
        let odoo = OdooTarget(psql: target)
        let neutralizing = preset != .none
        let modules = neutralizing ? try odoo.neutralize(addonsPaths: addons, only: preset == .minimal ? ["base"] : nil) : []
        for m in modules where m.status == "failed" { context.log(.warning, "neutralize.sql of \(m.module) failed: \(m.reason ?? "")") }
        context.progress(0.3, message: "Odoo's neutralization: \(modules.filter { $0.status == "applied" }.count) module(s)", force: true)
        if resetIdentity { try odoo.resetIdentity(markNeutralized: neutralizing) }
        if let targetURL {
            try odoo.setBaseURL(targetURL)
            context.log(.info, "web.base.url is \(targetURL) (frozen, so Odoo keeps it)")
        }
        let copied = Dictionary(appliedInCopy.map { ($0.optionKey, $0) }, uniquingKeysWith: { a, _ in a })
        let updated = try Sanitizer(psql: target).apply(options.filter { copied[$0] == nil }, context: Sanitizer.Context(
            // 600,000 PBKDF2 rounds take a noticeable fraction of a second: only when passwords are reset.
            targetURL: targetURL, passwordHash: options.contains("reset_passwords") ? try passwordHash ?? OdooPassword.hash("staging123") : "",
            mappingKey: UUID().uuidString, coverage: coverage))
        if let coverage, preset != .none {
            let cleared = try Sanitizer(psql: target).clearDetected(coverage, options: options)
            if cleared > 0 { context.log(.info, "\(cleared) row(s) of other modules' address columns cleared (found by the coverage)") }
        }
        var results = options.compactMap { key in copied[key] ?? updated.first { $0.optionKey == key } }
        if rules.contains(where: { $0.expression != nil }) {
            let result = copied[Sanitizer.rulesKey] ?? Sanitizer(psql: target).applyRules(rules)
            // Checked on the source before the copy: a rule failing now leaves its columns as they were.
            if result.status == .failed { throw StepFailure.check("sanitization rules", result.reason ?? "failed") }
            results.append(result)
        }
        for r in results {
            let level: LogLevel = r.status == .failed ? .error : r.status == .skipped ? .warning : .info
            context.log(level, "\(r.optionKey): \(r.status.rawValue), \(r.affectedRows) row(s), \(r.durationMs) ms\(r.reason.map { " — \($0)" } ?? "")")
        }
        let applied = results.filter { $0.status == .applied && $0.optionKey != Sanitizer.rulesKey }.map(\.optionKey)
        var proof: ProofReport?
        if let proofSource {
            let started = ContinuousClock.now
            proof = try SanitizationProof(source: proofSource, target: target)
                .run(options: preset == .none ? [] : applied, targetURL: targetURL, passwordHash: passwordHash, sourceHost: sourceHost,
                     leftAsIs: coverage?.leftAsIs ?? [],
                     secretColumns: applied.contains("clear_detected_secrets") ? coverage?.clearedSecretColumns ?? [] : [],
                     secretParameters: applied.contains("clear_detected_secrets") ? coverage?.secretParameters ?? [] : [],
                     addressesCheckedInStream: applied.contains("anonymize_emails") ? addressesCheckedInStream : nil)
            context.log(proof!.verdict == "PARTIAL" ? .warning : .info, "proof: \(proof!.verdict) (\(Sanitizer.ms(ContinuousClock.now - started)) ms)"
                        + proof!.findings.map { " · \($0.location): \($0.detail)" }.joined())
        }
        return CloneJob.Outcome(sanitizationResult: results, neutralization: modules, verification: [:], proof: proof, coverage: coverage)
    }
}
