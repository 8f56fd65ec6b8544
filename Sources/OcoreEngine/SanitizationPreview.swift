import Foundation
import OcoreModel
import OcoreOdoo

/// What a clone's sanitization would do to a source, counted read-only: each option's impact
/// and the coverage of every text column. The CLI's `clone preview` and the dashboard's wizard
/// show the same numbers from here.
public struct SanitizationPreview: Sendable {
    public var impacts: [ImpactPreview.Impact]
    public var coverage: CoverageReport
    /// What is wrong with the operator's rules against the source's schema (their values are
    /// checked when the clone starts: that reads whole tables).
    public var ruleProblems: [String] = []

    /// Counts on `psql` for a clone applying `options` with the operator's `rules`.
    public static func run(_ psql: PSQL, options: [String], rules: SanitizationRules = SanitizationRules()) throws -> SanitizationPreview {
        var impacts = try ImpactPreview(psql: psql).run()
        let coverage = try CoverageScan(psql: psql).run(options: options, rules: rules)
        var problems: [String] = []
        do { _ = try ColumnRuleCheck(psql: psql).resolve(rules, options: options, values: false) } catch let refusal as ColumnRuleRefusal { problems = refusal.problems }
        // The detected secrets' count is the scan's: the secret-like columns and parameters it clears
        // (the same whether the option is ticked: the scan classifies before it decides).
        if let i = impacts.firstIndex(where: { $0.key == "clear_detected_secrets" }) {
            impacts[i] = ImpactPreview.Impact(key: "clear_detected_secrets", count: coverage.count(.secretLike) + coverage.secretParameters.count)
        }
        return SanitizationPreview(impacts: impacts, coverage: coverage, ruleProblems: problems)
    }
}
