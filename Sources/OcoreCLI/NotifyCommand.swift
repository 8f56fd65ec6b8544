import ArgumentParser
import Foundation
import OcoreEngine
import OcoreModel
import OcoreStorage
import OcoreStore

struct NotifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Tell a project's people when its jobs end (webhook and/or e-mail).",
        subcommands: [Set.self, Show.self, Test.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Configure a webhook (JSON POST) and/or SMTP e-mail for a project.")
        @OptionGroup var global: GlobalOptions
        @Argument var project: String
        @Option(help: ArgumentHelp("URL to POST a JSON event to.", valueName: "url")) var webhook: String?
        @Option(help: ArgumentHelp("SMTP server, e.g. smtp://USER@mail.example.com:587 (the user in the URL, never a password).", valueName: "url")) var smtp: String?
        @Option(name: .customLong("password-env"), help: ArgumentHelp("Environment variable holding the SMTP password (read when mail is sent).", valueName: "var"))
        var passwordEnv: String?
        @Option(help: ArgumentHelp("Recipient address.", valueName: "addr")) var to: String?
        @Option(help: ArgumentHelp("Sender address.", valueName: "addr")) var from: String?

        func validate() throws {
            guard webhook != nil || smtp != nil else { throw ValidationError("give --webhook URL and/or --smtp URL --to ADDR") }
            if smtp != nil && to == nil { throw ValidationError("--smtp needs --to ADDR") }
            if let webhook, !(webhook.hasPrefix("http://") || webhook.hasPrefix("https://")) || webhook.contains(where: { $0.isWhitespace || $0.isNewline }) {
                throw ValidationError("--webhook must be an http(s) URL without spaces or line breaks")
            }
        }

        func run() throws {
            if let smtp { try SMTPAddressRules.validate(url: smtp, passwordEnv: passwordEnv) }
            if let to { try SMTPAddressRules.validate(address: to, field: "--to") }
            if let from { try SMTPAddressRules.validate(address: from, field: "--from") }
            let store = try global.openStore()
            guard try store.projects().contains(where: { $0.name == project }) else { throw CLIError("no project named \"\(project)\" (see `ocore env list`)") }
            try store.setNotificationSetting(project: project, webhookURL: webhook, smtpURL: smtp, smtpFrom: from, smtpTo: to, smtpPasswordEnv: passwordEnv)
            print("notifications set for project \(project)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a project's notification settings.")
        @OptionGroup var global: GlobalOptions
        @Argument var project: String
        @Flag(help: "Print JSON (secrets never: the webhook redacted, the password's variable only).") var json = false

        func run() throws {
            let setting = try global.openStore().notificationSetting(project: project)
            if json {
                return try JSONOutput.print(NotifyJSON(project: project, webhook: setting?.webhookURL.map(CurlHTTP.redacted), email_to: setting?.smtpTo,
                                                       smtp: setting?.smtpURL.flatMap(SMTPAddressRules.withoutPassword), smtp_from: setting?.smtpFrom,
                                                       smtp_password_env: setting?.smtpPasswordEnv))
            }
            guard let s = setting else { return print("no notifications for project \(project)") }
            let password = s.smtpPasswordEnv.map { ", password from $\($0)" } ?? ""
            print("webhook  \(s.webhookURL.map(CurlHTTP.redacted) ?? "(none)")\ne-mail   \(s.smtpTo.map { "\($0) via \(s.smtpURL.flatMap(SMTPAddressRules.withoutPassword) ?? "")\(password)" } ?? "(none)")")
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "test", abstract: "Send a test notification through every configured channel.")
        @OptionGroup var global: GlobalOptions
        @Argument var project: String

        func run() throws {
            let store = try global.openStore()
            guard let setting = try store.notificationSetting(project: project) else { throw CLIError("no notifications set for project \(project): use `ocore notify set`") }
            let failures = Notifier(store: store).send(setting, event: ["kind": "test", "status": "test", "project": project,
                                                                         "environment": "-", "job_id": "0", "created_by": JobQueue.requester().user])
            guard failures.isEmpty else { throw CLIError(failures.joined(separator: "; ")) }
            print("test notification sent for project \(project)")
        }
    }
}

/// `ocore notify show --json`; a project without notifications has every channel null.
struct NotifyJSON: Encodable {
    let project: String
    @Nullable var webhook: String?
    @Nullable var email_to: String?
    @Nullable var smtp: String?
    @Nullable var smtp_from: String?
    @Nullable var smtp_password_env: String?
}
