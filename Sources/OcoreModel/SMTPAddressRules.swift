import Foundation

/// What an SMTP setting may hold. The URL never carries a password (it would be stored and
/// shown); header values never carry a line break (a hidden `Bcc:` would follow it).
public enum SMTPAddressRules {
    public static func validate(url: String, passwordEnv: String?) throws(ModelError) {
        guard !url.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw .invalidValue(field: "--smtp", value: url.debugDescription, reason: "must not contain spaces or line breaks")
        }
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, ["smtp", "smtps"].contains(scheme) else {
            throw .invalidValue(field: "--smtp", value: url, reason: "must be an smtp:// or smtps:// URL")
        }
        guard let host = parts.host, !host.isEmpty else { throw .invalidValue(field: "--smtp", value: url, reason: "has no host") }
        if parts.password != nil {
            throw .invalidValue(field: "--smtp", value: withoutPassword(url) ?? "smtp://…", reason: "holds a password: give the user in the URL (smtp://USER@\(host)) and the password in a variable with --password-env VAR")
        }
        if let passwordEnv, !Environment.isEnvironmentVariableName(passwordEnv) {
            throw .invalidValue(field: "--password-env", value: passwordEnv, reason: "must be the name of an environment variable (letters, digits, '_')")
        }
    }

    /// An address for a From or To header: one address, no line breaks, no spaces or brackets.
    public static func validate(address: String, field: String) throws(ModelError) {
        let forbidden = CharacterSet(charactersIn: "<>,;\"\\ \t").union(.newlines).union(.controlCharacters)
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, address.unicodeScalars.allSatisfy({ !forbidden.contains($0) }) else {
            throw .invalidValue(field: field, value: address.debugDescription, reason: "must be one e-mail address (no line breaks, spaces or brackets)")
        }
    }

    /// `url` with any password removed from its user part (nil if it is not a URL).
    public static func withoutPassword(_ url: String) -> String? {
        guard var parts = URLComponents(string: url) else { return nil }
        parts.password = nil
        return parts.string
    }
}
