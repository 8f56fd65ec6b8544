import Foundation
import OcoreOdoo
import OcoreRemote
import Testing

/// A restore that sanitizes a plain dump as it loads: the check learns the customers from the
/// dump, the load rewrites their rows on the way to psql, as a clone's SELECT would.
@Suite("Sanitizing a dump while it loads")
struct DumpSanitizationTests {
    /// Runs `sql` through a guard with `hook`, in chunks of `chunk` bytes; returns what it passes on.
    func pass(_ sql: String, hook: any CopyDataHook, chunk: Int = .max, emitting: Bool = true) throws -> (String, PlainDumpGuard) {
        let guardian = PlainDumpGuard(emitting: emitting, copyData: hook)
        return (try feed(sql, to: guardian, chunk: chunk), guardian)
    }

    @Test("pg_dump's COPY line is read with its schema, table and columns, quoted names as written, bare ones folded")
    func copyLine() {
        func parse(_ line: String) -> CopyStatement? { Array(line.utf8).withUnsafeBufferPointer { CopyStatement.parse($0) } }
        #expect(parse("COPY public.res_partner (id, name, \"limit\", \"Odd \"\"Name\", Street2) FROM stdin;")
                == CopyStatement(schema: "public", table: "res_partner", columns: ["id", "name", "limit", "Odd \"Name", "street2"]))
        #expect(parse("COPY public.empty  FROM stdin;") == CopyStatement(schema: "public", table: "empty", columns: []))
        #expect(parse("copy \"Sales\".\"order\" (a) from STDIN ;")?.schema == "Sales")
        #expect(parse("COPY public.t (a) FROM stdin; SELECT 1;") == nil)
        #expect(parse("COPY public.t (a) TO stdout;") == nil)
        #expect(parse("COPY public.t (a FROM stdin;") == nil)
    }

    /// Upper-cases the rows it is given (to see which rows went through a hook's filter).
    final class Shout: StreamFilter {
        func filter(_ bytes: UnsafeRawBufferPointer) throws -> Data { Data(bytes.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 32 : $0 }) }
        func finish() throws -> Data { Data("LAST\n".utf8) }
    }

    final class ShoutAt: CopyDataHook {
        let table: String
        var seen: [CopyStatement?] = []
        init(_ table: String) { self.table = table }
        func copyBegins(_ statement: CopyStatement?) -> CopyDataHandling {
            seen.append(statement)
            return statement?.table == table ? .filter(Shout()) : .pass
        }
    }

    @Test("only the rows of a real COPY block go through its filter, whatever the chunks; a COPY inside a function's body is text, not a block")
    func rowsOfTheNamedTable() throws {
        let sql = """
            CREATE FUNCTION f() RETURNS void AS $$
            COPY public.secret (a) FROM stdin;
            $$ LANGUAGE sql;
            COPY public.secret (a) FROM stdin;
            alice@example.com
            bob@example.com
            \\.
            COPY public.other (a) FROM stdin;
            carol@example.com
            \\.

            """
        for chunk in [.max, 7, 1] {
            let hook = ShoutAt("secret")
            let (out, g) = try pass(sql, hook: hook, chunk: chunk)
            #expect(g.refusals.isEmpty)
            #expect(hook.seen.map { $0?.table } == ["secret", "other"], "chunk \(chunk)")
            #expect(out.contains("$$\nCOPY public.secret (a) FROM stdin;\n$$"), "the function's body is left as it is")
            #expect(out.contains("COPY public.secret (a) FROM stdin;\nALICE@EXAMPLE.COM\nBOB@EXAMPLE.COM\nLAST\n\\.\n"), "chunk \(chunk): \(out)")
            #expect(out.contains("COPY public.other (a) FROM stdin;\ncarol@example.com\n\\.\n"))
        }
    }

    /// A small Odoo-shaped dump: a message quoting a customer comes before the partners, the users after.
    static let dump = """
        COPY public.mail_message (id, body, email_from) FROM stdin;
        1\t<p>Ask Carla: carla@customer.example or +32 470 12 34 56</p>\tCarla <carla@customer.example>
        2\t<p>from the admin</p>\tadmin@acme.example
        \\.
        COPY public.res_company (id, name, partner_id) FROM stdin;
        1\tAcme\t1
        \\.
        COPY public.res_partner (id, name, complete_name, is_company, email, email_normalized, phone, mobile, street, street2, city, zip) FROM stdin;
        1\tAcme\tAcme\tt\tinfo@acme.example\tinfo@acme.example\t+32 2 555 01 00\t\\N\tMain 1\t\\N\tBrussels\t1000
        2\tAdmin\tAdmin\tf\tadmin@acme.example\tadmin@acme.example\t+32 2 555 01 01\t\\N\t\\N\t\\N\t\\N\t\\N
        7\tCarla\tCarla\tf\tCarla@Customer.example\tcarla@customer.example\t+32 470 12 34 56\t\\N\tRue 5\tBox 2\tLiège\t4000
        8\tBig Buyer SA\tBig Buyer SA\tt\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N
        \\.
        COPY public.res_users (id, login, partner_id, active) FROM stdin;
        1\tadmin@acme.example\t2\tt
        2\tcarla@customer.example\t7\tf
        \\.

        """

    @Test("the check learns the customers; the load maps them in every table (before and after the partners), keeps users' and companies' own, and counts the rows per option")
    func sanitizesLikeTheClone() throws {
        let options = ["anonymize_emails", "anonymize_phones", "anonymize_addresses", "anonymize_company_names"]
        for chunk in [.max, 5] {
            let facts = DumpFacts()
            let (_, scan) = try pass(Self.dump, hook: facts, chunk: chunk, emitting: false)
            #expect(scan.refusals.isEmpty)
            let sanitizer = try #require(DumpSanitizer(options: options, facts: facts))
            #expect(sanitizer.emailCount == 2 && sanitizer.phoneCount == 1, "the admin's address is kept; the customer's number only is mapped (the company's is its own)")
            let (out, g) = try pass(Self.dump, hook: sanitizer, chunk: chunk)
            #expect(g.refusals.isEmpty)
            let lines = out.split(separator: "\n").map(String.init)
            #expect(lines.contains("1\t<p>Ask Carla: user_7@staging.local or 555-0007</p>\tCarla <user_7@staging.local>"), "\(lines)")
            #expect(lines.contains("2\t<p>from the admin</p>\tadmin@acme.example"))
            #expect(lines.contains("1\tAcme\tAcme\tt\tuser_1@staging.local\tuser_1@staging.local\t+32 2 555 01 00\t\\N\tStreet 1\t\\N\tStaging City\t00000"),
                    "the company's own partner keeps its name and number; its address and e-mail are anonymized as the clone does")
            #expect(lines.contains("2\tAdmin\tAdmin\tf\tadmin@acme.example\tadmin@acme.example\t+32 2 555 01 01\t\\N\t\\N\t\\N\t\\N\t\\N"))
            #expect(lines.contains("7\tCarla\tCarla\tf\tuser_7@staging.local\tuser_7@staging.local\t555-0007\t\\N\tStreet 7\t\\N\tStaging City\t00000"))
            #expect(lines.contains("8\tCompany 8\tCompany 8\tt\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N"))
            #expect(lines.contains("2\tuser_7@staging.local\t7\tf"), "an archived user's login is the customer's address: mapped")
            #expect(lines.contains("1\tadmin@acme.example\t2\tt"))
            #expect(!out.contains("arla@customer") && !out.contains("470 12"))
            let results = Dictionary(uniqueKeysWithValues: sanitizer.results.map { ($0.optionKey, $0.affectedRows) })
            #expect(results == ["anonymize_emails": 4, "anonymize_phones": 2, "anonymize_addresses": 2, "anonymize_company_names": 1], "\(results)")
            #expect(sanitizer.addressCheck?.findings.isEmpty == true)
        }
    }

    @Test("a dump that changed after its check (the partners' columns differ) stops the load at that COPY: none of its rows is passed on as it is")
    func changedDumpStopsTheLoad() throws {
        let facts = DumpFacts()
        _ = try pass(Self.dump, hook: facts, emitting: false)
        let sanitizer = try #require(DumpSanitizer(options: ["anonymize_emails"], facts: facts))
        let changed = Self.dump.replacingOccurrences(of: "COPY public.res_partner (id, name, complete_name,", with: "COPY public.res_partner (id, complete_name, name,")
        #expect(throws: DumpRefusal.self) { _ = try pass(changed, hook: sanitizer) }
        let guardian = PlainDumpGuard(copyData: sanitizer)
        var out = Data()
        _ = try? Array(changed.utf8).withUnsafeBytes { out.append(try guardian.filter($0)) }
        #expect(!String(decoding: out, as: UTF8.self).contains("Carla@Customer.example"))
    }

    @Test("a COPY the check cannot read as pg_dump writes it refuses the restore before anything is loaded")
    func unreadableCopyRefused() throws {
        let sql = "COPY public.res_partner\n (id, email) FROM stdin;\n7\tcarla@customer.example\n\\.\n"
        let (_, g) = try pass(sql, hook: DumpFacts(), emitting: false)
        #expect(g.refusals.map(\.description) == ["line 2: a COPY statement not in pg_dump's one-line form: whose rows follow cannot be told, so they cannot be sanitized while loading"])
    }
}
