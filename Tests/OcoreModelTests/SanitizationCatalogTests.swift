import OcoreModel
import Testing

@Suite("The sanitization catalog, as the product documents define it")
struct SanitizationCatalogTests {
    @Test("20 options in four categories: the seeds' 19 and the detected secrets")
    func catalog() {
        #expect(SanitizationCatalog.options.count == 20)
        #expect(Set(SanitizationCatalog.options.map(\.category)) == Set(SanitizationOption.Category.allCases))
        #expect(SanitizationCatalog.option("clear_asset_bundles")?.alwaysOn == true)
        #expect(SanitizationCatalog.options.filter(\.alwaysOn).count == 1)
    }

    @Test("presets: Recommended 13, Minimal 3, None only asset bundles, Full everything")
    func presets() {
        #expect(SanitizationCatalog.keys(for: .recommended) == [
            "disable_mail_servers", "clear_mail_queue", "anonymize_emails", "anonymize_phones", "clear_api_keys", "update_base_url",
            "clear_oauth_providers", "clear_payment_providers", "clear_oauth_tokens", "clear_webhook_urls", "clear_integration_credentials",
            "clear_detected_secrets", "clear_asset_bundles",
        ])
        #expect(SanitizationCatalog.keys(for: .minimal) == ["disable_mail_servers", "clear_mail_queue", "clear_asset_bundles"])
        #expect(SanitizationCatalog.keys(for: .none) == ["clear_asset_bundles"])
        #expect(SanitizationCatalog.keys(for: .full).count == 20)
        #expect(SanitizationCatalog.defaultPreset == .recommended)
    }

    @Test("--enable and --disable adjust a preset; asset bundles cannot be disabled; unknown keys are named")
    func resolve() throws {
        let keys = try SanitizationCatalog.resolve(preset: .minimal, enable: ["disable_crons"], disable: ["clear_mail_queue"])
        #expect(keys == ["disable_mail_servers", "clear_asset_bundles", "disable_crons"])
        #expect(throws: ModelError.self) { try SanitizationCatalog.resolve(preset: .none, disable: ["clear_asset_bundles"]) }
        do { _ = try SanitizationCatalog.resolve(preset: .full, enable: ["anonymise_emails"]) } catch {
            #expect(error.description.contains("anonymise_emails") && error.description.contains("anonymize_emails"))
        }
    }

    @Test("the seeds' time estimate: 30 s + database at 10 MB/s + filestore at 20 MB/s + sanitization")
    func estimate() {
        #expect(SanitizationCatalog.estimatedSeconds(databaseBytes: 100_000_000, filestoreBytes: 500_000_000, crossServer: false, preset: .recommended) == 30 + 10 + 25 + 30)
        #expect(SanitizationCatalog.estimatedSeconds(databaseBytes: 0, filestoreBytes: nil, crossServer: false, preset: .none) == 35)
    }
}
