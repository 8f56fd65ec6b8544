import Foundation
import OcoreOdoo
import Testing

/// How ocore reads a dump it did not make: data passes, commands are refused with their line.
@Suite("Untrusted dumps")
struct UntrustedDumpTests {
    /// Runs `sql` through a guard in chunks of `chunk` bytes; returns what it passes on.
    func pass(_ sql: String, chunk: Int = .max, key: String? = nil) throws -> (String, PlainDumpGuard) {
        let guardian = PlainDumpGuard(restrictKey: key)
        return (try feed(sql, to: guardian, chunk: chunk), guardian)
    }

    func refusals(_ sql: String) throws -> [String] { try pass(sql).1.refusals.map(\.description) }

    static let pgDumpStart = """
        --
        -- PostgreSQL database dump
        --

        \\restrict zSTjkq60hCi1yQgr6mzE6cq0X2lKs2Wucfj6JjUZ

        SET standard_conforming_strings = on;
        CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
        COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';
        CREATE TABLE public.t (
            a text
        );
        ALTER TABLE public.t OWNER TO odoo;
        COPY public.t (a) FROM stdin;
        \\! not a command: a row
        back\\\\slash
        \\.

        \\unrestrict zSTjkq60hCi1yQgr6mzE6cq0X2lKs2Wucfj6JjUZ

        """

    @Test("a pg_dump dump passes: its own \\restrict lines, the extension's statements and ownership changes are left out, rows and tables kept")
    func pgDumpPasses() throws {
        for chunk in [.max, 7, 1] {
            let (out, g) = try pass(Self.pgDumpStart, chunk: chunk, key: "K")
            #expect(g.refusals.isEmpty, "\(g.refusals)")
            #expect(g.extensions == ["pg_trgm"])
            #expect(out.hasPrefix("\\restrict K\n"))
            #expect(!out.contains("zSTjkq60"))
            #expect(!out.contains("OWNER TO") && !out.contains("EXTENSION"))
            #expect(out.contains("CREATE TABLE public.t (\n    a text\n);"))
            #expect(out.contains("COPY public.t (a) FROM stdin;\n\\! not a command: a row\nback\\\\slash\n\\.\n"))
        }
    }

    @Test("psql's commands are refused wherever they stand outside strings and rows, each with its line")
    func metaCommands() throws {
        #expect(try refusals("SELECT 1;\n\\! touch /tmp/x\n") == ["line 2: psql command \\! is not allowed: a dump is data, never commands"])
        #expect(try refusals("SELECT 1; \\o /tmp/x\n") == ["line 1: psql command \\o is not allowed: a dump is data, never commands"])
        #expect(try refusals("SELECT 1\n  \\gexec\n")[0].hasPrefix("line 2: psql command \\gexec"))
        #expect(try refusals("\\connect other\n")[0].contains("\\connect switches to another database"))
        #expect(try refusals("\\i /etc/passwd\n\\copy t from '/etc/passwd'\n").count == 2)
        // A \restrict that is not a line of its own is not pg_dump's.
        #expect(try refusals("SELECT 1; \\restrict k\n").count == 1)
    }

    @Test("backslashes inside strings, escape strings, dollar quotes, quoted names and comments are text")
    func backslashesAsText() throws {
        let sql = """
            SELECT 'it''s \\! fine', E'\\' \\! still a string', $$ \\! body $$, $fn$ \\o $x$ $fn$, "we\\ird";
            -- \\! a comment
            /* \\! a /* nested */ comment */ SELECT 1;
            CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$
              SELECT '\\! multi-line'
            $body$;

            """
        #expect(try refusals(sql) == [])
        // After a string ends, a backslash is a command again.
        #expect(try refusals("SELECT 'a\\' \\! cmd;\n").count == 1)
        #expect(try refusals("SELECT E'a\\\\' \\! cmd;\n").count == 1)
    }

    @Test("statements that reach past the database are refused: roles, server settings, other databases, languages, foreign servers, identity")
    func statements() throws {
        let cases = [
            "ALTER ROLE odoo SUPERUSER;": "ALTER ROLE is not allowed",
            "CREATE ROLE evil LOGIN SUPERUSER;": "CREATE ROLE is not allowed",
            "alter system set archive_command = 'x';": "ALTER SYSTEM is not allowed",
            "COPY (SELECT 1) TO PROGRAM 'touch /tmp/x';": "COPY other than FROM stdin",
            "COPY public.t FROM PROGRAM 'id';": "COPY other than FROM stdin",
            "COPY public.t FROM '/etc/passwd';": "COPY other than FROM stdin",
            "CREATE EXTENSION plpython3u;": "CREATE EXTENSION plpython3u is not allowed",
            "CREATE EXTENSION IF NOT EXISTS \"postgres_fdw\" WITH SCHEMA public;": "CREATE EXTENSION postgres_fdw is not allowed",
            "CREATE OR REPLACE TRUSTED LANGUAGE x HANDLER h;": "CREATE OR REPLACE TRUSTED is not allowed",
            "SET SESSION AUTHORIZATION postgres;": "SET SESSION AUTHORIZATION is not allowed",
            "RESET ROLE;": "RESET ROLE is not allowed",
            "CREATE DATABASE other;": "CREATE DATABASE is not allowed",
            "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw;": "CREATE SERVER is not allowed",
            "CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f();": "CREATE EVENT TRIGGER is not allowed",
        ]
        for (sql, expected) in cases {
            let found = try refusals("SELECT 1;\n" + sql + "\n")
            #expect(found.count == 1 && found[0].hasPrefix("line 2: ") && found[0].contains(expected), "\(sql) → \(found)")
        }
        // Names that only look like keywords are names.
        #expect(try refusals("COPY public.x (id, program, \"to\") FROM stdin;\n\\.\nSELECT role FROM t;\n") == [])
        #expect(try refusals("COPY public.t (a) FROM stdin; SELECT 1;\n\\.\n") == ["line 1: text after COPY … FROM stdin on the same line"])
    }

    @Test("a line with two statements is passed on whole; a dump cut inside COPY data is refused")
    func edges() throws {
        let (out, g) = try pass("ALTER TABLE t OWNER TO x; DELETE FROM t;\n")
        #expect(g.refusals.isEmpty && out.contains("DELETE FROM t"))
        #expect(try refusals("COPY public.t (a) FROM stdin;\nrow\n").first?.contains("ends inside COPY data") == true)
    }

    @Test("a table of contents: the database's own objects pass; languages, event triggers, foreign servers and unknown extensions are refused")
    func tableOfContents() {
        let listing = """
            ;
            ; Archive created at 2026-12-01 23:13:02 UTC
            ;
            2; 3079 16393 EXTENSION - pg_trgm 
            3409; 0 0 COMMENT - EXTENSION pg_trgm 
            250; 1255 16480 FUNCTION public f() odoo
            215; 1259 16384 TABLE public t odoo
            3399; 0 16384 TABLE DATA public t odoo
            3255; 2606 16484 CONSTRAINT public t t_pkey odoo
            3253; 1259 16475 INDEX public t_a_idx odoo
            3412; 0 0 SEQUENCE SET public s odoo
            """
        let ok = RestoreListGuard(listing: listing)
        #expect(ok.refusals.isEmpty && ok.extensions == ["pg_trgm"])
        #expect(ok.list.contains(";2; 3079 16393 EXTENSION - pg_trgm") && ok.list.contains(";3409; 0 0 COMMENT - EXTENSION pg_trgm"))
        #expect(ok.list.contains("\n3399; 0 16384 TABLE DATA public t odoo"))

        let bad = RestoreListGuard(listing: listing + """

            4; 3079 16400 EXTENSION - postgres_fdw 
            5; 2612 16401 PROCEDURAL LANGUAGE - plperlu postgres
            6; 3466 16402 EVENT TRIGGER - e postgres
            7; 1417 16403 SERVER - remote postgres
            8; 0 0 SOMETHING NEW - x postgres
            """)
        let found = bad.refusals.map(\.description)
        #expect(found.count == 5, "\(found)")
        #expect(found.contains { $0.hasPrefix("EXTENSION postgres_fdw is not allowed") })
        #expect(found.contains { $0.hasPrefix("PROCEDURAL LANGUAGE - plperlu postgres is not allowed") })
        #expect(found.contains { $0.hasPrefix("EVENT TRIGGER") } && found.contains { $0.hasPrefix("SERVER") })
        #expect(found.contains { $0.hasPrefix("SOMETHING entries are not allowed") })
    }
}
