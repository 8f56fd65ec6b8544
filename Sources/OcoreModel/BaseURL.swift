import Foundation

/// The URL an environment's Odoo puts in every link it sends (e-mails, reports, portal pages).
/// A copy must never keep production's: without one given, it is derived from the source's by
/// replacing the first label of the host with the copy's name (`https://erp.acme.com` for
/// `staging-2` gives `https://staging-2.acme.com`); a host with nothing to replace (an IP
/// address, a single label) gives `<name>.invalid`, a name reserved never to resolve; a copy
/// named like the source's first label gets `<name>-copy`.
public enum BaseURL {
    public static func derived(from sourceURL: String, for name: String) -> String? {
        guard let url = URLComponents(string: sourceURL), let scheme = url.scheme, let host = url.host, !host.isEmpty else { return nil }
        let label = dnsLabel(name)
        let labels = host.split(separator: ".")
        let isAddress = host.contains(":") || labels.allSatisfy { $0.allSatisfy(\.isNumber) }
        let rest = labels.dropFirst().map(String.init)
        // A copy named like the source's first label still gets a host of its own.
        let first = label == labels.first.map({ $0.lowercased() }) ? label + "-copy" : label
        let newHost = isAddress || labels.count < 2 ? "\(label).invalid" : ([first] + rest).joined(separator: ".")
        let derived = "\(scheme)://\(newHost)\(url.port.map { ":\($0)" } ?? "")"
        // What a database holds is outside input: a URL that is not a plain web URL gives none.
        return (try? URLRules.validateWebURL(derived, field: "URL")) != nil && ["http", "https"].contains(scheme.lowercased()) ? derived : nil
    }

    /// A URL for a copy whose source has none to derive from (or only one that is not a plain
    /// web URL): under `.invalid`, so nothing it links to resolves, and never the source's.
    public static func placeholder(for name: String) -> String { "https://\(dnsLabel(name)).invalid" }

    /// The host of a URL, lower-cased ("erp.acme.com").
    public static func host(of url: String) -> String? {
        URLComponents(string: url)?.host.map { $0.lowercased() }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// An environment name as a DNS label: lower-case letters, digits and dashes.
    static func dnsLabel(_ name: String) -> String {
        let mapped = name.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }
        let label = String(mapped).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return label.isEmpty ? "copy" : String(label.prefix(63))
    }
}
