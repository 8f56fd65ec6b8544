import Foundation
import OcoreOdoo
import OcoreRemote
import Testing

/// The rewriting a sanitizing clone applies to `COPY` rows on their way to the target.
@Suite("Sanitizing copy filter")
struct SanitizingCopyFilterTests {
    /// Partners as the map query returns them: id, email, phone, mobile, active user?, company's own?
    static let partners = """
        7\tann@acme.test\t+32 475 12 34 56\t\\N\tf\tf
        3\tAnn <ANN@acme.test>\t\\N\t\\N\tf\tf
        1\tboss@acme.test\t+32 2 555 00 00\t\\N\tt\tf
        9\tinfo@acme.test\t+32 2 700 00 00\t\\N\tf\tt

        """

    func map() throws -> PersonalDataMap {
        let map = PersonalDataMap(key: "test-key")
        let loader = PersonalDataMap.Loader(map)
        try Data(Self.partners.utf8).withUnsafeBytes { try loader.write($0) }
        return map
    }

    func run(_ rules: CopyRules, _ input: String, chunk: Int = .max, map: PersonalDataMap? = nil) throws -> (String, SanitizingCopyFilter) {
        let filter = SanitizingCopyFilter(rules: rules, map: try map ?? self.map())
        var out = Data()
        let bytes = Array(input.utf8)
        var i = 0
        while i < bytes.count {
            let piece = Array(bytes[i..<min(bytes.count, i + chunk)])
            out += try piece.withUnsafeBytes { try filter.filter($0) }
            i += piece.count
        }
        out += try filter.finish()
        return (String(decoding: out, as: UTF8.self), filter)
    }

    let body = CopyRules(outputFields: 2, columns: [.init(field: 1, actions: [.emailsInText, .phonesInText(keyed: false)])])

    @Test("addresses in text: a customer's becomes its partner's fake, an active user's stays, a stranger's gets a keyed fake")
    func emailsInText() throws {
        let (out, filter) = try run(body, "1\tWrite to ann@ACME.test, boss@acme.test or stranger@else.org\n2\tnothing here\n")
        let rows = out.split(separator: "\n")
        #expect(rows.count == 2)
        #expect(rows[0].hasPrefix("1\tWrite to user_3@staging.local, boss@acme.test or x"), "the lowest partner with the address gives the fake")
        #expect(rows[0].hasSuffix("@staging.local") && !rows[0].contains("stranger"))
        #expect(rows[1] == "2\tnothing here")
        #expect(filter.counts.changed == ["anonymize_emails": 1] && filter.counts.rows == 2)
    }

    @Test("the letter of an escape (\\n, \\t) is not part of the address that follows it; an escaped backslash's n is")
    func escapes() throws {
        // COPY text: `\n` is a newline, `\\` a backslash; so "\\nbob@x.io" is a backslash, then "nbob@x.io".
        let (out, _) = try run(body, "1\tline\\nann@acme.test\\tend\\\\nbob@x.io\n")
        let prefix = "1\tline\\nuser_3@staging.local\\tend\\\\x"
        #expect(out.hasPrefix(prefix) && out.hasSuffix("@staging.local\n"))
        #expect(out.count == prefix.count + 12 + "@staging.local\n".count, "\(out)")
    }

    @Test("numbers: a customer's becomes its partner's fake in free text; dates and unknown numbers stay unless the column holds numbers")
    func phones() throws {
        let (out, filter) = try run(body, "1\tCall +32 475 12 34 56 before 2024-01-15 10:30\n")
        #expect(out == "1\tCall 555-0007 before 2024-01-15 10:30\n")
        #expect(filter.counts.changed == ["anonymize_phones": 1])
        let numbers = CopyRules(outputFields: 2, columns: [.init(field: 1, actions: [.phonesInText(keyed: true)])])
        let (keyed, _) = try run(numbers, "1\t+1 (555) 010-9999\n2\t\\N\n3\t555-0007\n")
        let rows = keyed.split(separator: "\n")
        #expect(rows[0].hasPrefix("1\t555-x") && rows[0].count == "1\t555-x".count + 6)
        #expect(rows[1] == "2\t\\N" && rows[2] == "3\t555-0007", "NULL and fakes are left alone")
    }

    @Test("a partner's e-mail field is replaced whole; active users keep theirs; email_normalized follows; helper fields are not written")
    func partnerEmail() throws {
        let rules = CopyRules(outputFields: 3, columns: [.init(field: 1, actions: [.partnerEmail(rowIDField: 3)]),
                                                         .init(field: 2, actions: [.lowercasedCopy(of: 1)])],
                              changeFlags: ["anonymize_phones": 4])
        let (out, filter) = try run(rules, """
            3\tAnn <ANN@acme.test>\tann@acme.test\t3\tf
            1\tboss@acme.test\tboss@acme.test\t1\tf
            12\tnot an address\t\\N\t12\tt
            13\t\\N\t\\N\t13\tf

            """, chunk: 5)
        #expect(out == """
            3\tuser_3@staging.local\tuser_3@staging.local
            1\tboss@acme.test\tboss@acme.test
            12\tuser_12@staging.local\tuser_12@staging.local
            13\t\\N\t\\N

            """)
        #expect(filter.counts.changed == ["anonymize_emails": 2, "anonymize_phones": 1])
    }

    @Test("rows split across chunks come out the same; a stream cut inside a row is an error, not a shorter table")
    func chunking() throws {
        let input = (1...200).map { "\($0)\tmail ann@acme.test and +32 475 12 34 56 \\t x\n" }.joined()
        let (whole, _) = try run(body, input)
        let (bytewise, _) = try run(body, input, chunk: 1)
        #expect(whole == bytewise && whole.split(separator: "\n").count == 200)
        #expect(throws: SanitizingCopyError.self) { try run(body, "1\tann@acme.test\n2\tcut") }

        #expect(throws: SanitizingCopyError.self) { try run(CopyRules(outputFields: 3, columns: [.init(field: 2, actions: [.emailsInText])]), "1\tonly two\n") }
    }
}

/// The proof of a sanitized backup's `dump.sql`: every row of every `COPY` block searched for
/// the source's customer addresses as the dump is written.
@Suite("The search of a dump for customer addresses")
struct DumpAddressSearchTests {
    @Test("a customer's address is found in any table and any case, split across chunks; fakes, active users' and the company's own addresses, and SQL outside COPY blocks are not findings; the bytes pass on unchanged")
    func findsCustomersOnly() throws {
        let map = try SanitizingCopyFilterTests().map()
        let dump = """
            SET search_path = '';
            -- ann@acme.test in a comment is not data
            COPY public.x_notes (id, body) FROM stdin;
            1\tcall back, write to Ann@ACME.test after the fair
            2\tuser_7@staging.local and boss@acme.test and info@acme.test
            \\.

            COPY public.res_partner (id, email) FROM stdin;
            7\tuser_7@staging.local
            \\.
            COPY public.mail_message (id, body) FROM stdin;
            5\t<p>from ann@acme.test</p>
            \\.

            """
        for chunk in [1, 7, 4096] {
            let out = CollectingSink(limit: 1 << 20)
            let search = DumpAddressSearch(next: out, map: map)
            let bytes = Array(dump.utf8)
            var i = 0
            while i < bytes.count {
                try bytes[i..<min(bytes.count, i + chunk)].withUnsafeBytes { try search.write($0) }
                i += chunk
            }
            #expect(search.findings == ["x_notes": 1, "mail_message": 1], "chunk \(chunk)")
            #expect(search.rows == 4)
            #expect(String(decoding: out.data, as: UTF8.self) == dump)
        }
    }
}
