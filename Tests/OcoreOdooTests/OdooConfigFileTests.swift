import OcoreModel
import OcoreOdoo
import Testing

@Suite("odoo.conf read and edited as Odoo reads it, everything else left as it was")
struct OdooConfigFileTests {
    static let text = """
        ; written by the installer
        [options]
        admin_passwd = s3cret-master
        db_name = acme_prod
        # four workers for four cores
        workers = 2
        limit_time_real = 120

        [queue_job]
        workers = 9
        """

    @Test("entries of [options] only, in order; a secret is masked when shown")
    func read() {
        let file = OdooConfigFile(text: Self.text)
        #expect(file.entries.map(\.key) == ["admin_passwd", "db_name", "workers", "limit_time_real"])
        #expect(file.value("workers") == "2")
        #expect(file.entries.first { $0.key == "admin_passwd" }?.shown == "********")
        #expect(file.shownEntries.first?.key == "workers", "the tuning keys first")
    }

    @Test("a key set in place keeps every comment, the order and the other section; a new one lands at the end of [options]")
    func edit() throws {
        var file = OdooConfigFile(text: Self.text)
        try file.set("workers", "4")
        try file.set("proxy_mode", "True")
        #expect(file.text == """
            ; written by the installer
            [options]
            admin_passwd = s3cret-master
            db_name = acme_prod
            # four workers for four cores
            workers = 4
            limit_time_real = 120
            proxy_mode = True

            [queue_job]
            workers = 9
            """)
        #expect(throws: ModelError.self) { try file.set("workers\nadmin_passwd", "x") }
        #expect(throws: ModelError.self) { try file.set("workers", "4\nadmin_passwd = x") }
        var empty = OdooConfigFile(text: "")
        try empty.set("workers", "2")
        #expect(empty.entries.map { "\($0.key)=\($0.value)" } == ["workers=2"] && empty.text.hasPrefix("[options]\nworkers = 2"))
    }
}
