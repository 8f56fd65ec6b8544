import Foundation

/// What a URL or domain an operator gives must be: something Odoo's `web.base.url` and a browser
/// accept, with nothing hidden in it (spaces, line breaks, a path where a domain was asked).
public enum URLRules {
    public static func validateWebURL(_ url: String, field: String) throws(ModelError) {
        guard !url.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw .invalidValue(field: field, value: url.debugDescription, reason: "must not contain spaces or line breaks")
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw .invalidValue(field: field, value: url, reason: "must start with http:// or https://") }
        guard let host = URLComponents(string: url)?.host, !host.isEmpty else { throw .invalidValue(field: field, value: url, reason: "has no host") }
    }

    /// A host name with an optional port: `staging.acme.example` or `staging.acme.example:8069`.
    public static func validateDomain(_ domain: String, field: String = "--domain") throws(ModelError) {
        let parts = domain.split(separator: ":", omittingEmptySubsequences: false)
        let hostOK = !(parts.first ?? "").isEmpty && (parts.first ?? "").allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        let portOK = parts.count == 1 || (parts.count == 2 && Int(parts[1]).map { (1...65535).contains($0) } == true)
        guard hostOK, portOK else {
            throw .invalidValue(field: field, value: domain.debugDescription, reason: "must be a host name, optionally with :PORT (no scheme, path or spaces); give a whole URL with --url")
        }
    }
}
