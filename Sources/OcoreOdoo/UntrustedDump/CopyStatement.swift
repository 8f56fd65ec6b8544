import Foundation
import OcoreRemote

/// A plain dump's `COPY schema.table (columns) FROM stdin;` line, as pg_dump writes it: the one
/// place a dump says which table its rows are for and in which column order. A restore that
/// sanitizes while loading reads it to know which rows to rewrite.
public struct CopyStatement: Equatable, Sendable {
    public var schema: String?
    public var table: String
    /// The column list; empty when the statement has none (a table without columns).
    public var columns: [String]

    public init(schema: String?, table: String, columns: [String]) {
        self.schema = schema
        self.table = table
        self.columns = columns
    }

    /// Whether the table is in `public`, where Odoo's tables are (pg_dump always names the schema).
    public var isPublic: Bool { schema == nil || schema == "public" }

    /// The statement on one line (without its newline); nil when the line is not pg_dump's form.
    /// Unquoted names are folded to lower case, as PostgreSQL does.
    public static func parse(_ line: UnsafeBufferPointer<UInt8>) -> CopyStatement? {
        var p = Parser(bytes: line)
        p.skipSpaces()
        guard p.keyword("COPY"), p.skipSpaces() > 0, var name = p.identifier() else { return nil }
        var schema: String?
        if p.peek == UInt8(ascii: ".") {
            p.i += 1
            guard let second = p.identifier() else { return nil }
            schema = name
            name = second
        }
        p.skipSpaces()
        var columns: [String] = []
        if p.peek == UInt8(ascii: "(") {
            p.i += 1
            repeat {
                p.skipSpaces()
                guard let column = p.identifier() else { return nil }
                columns.append(column)
                p.skipSpaces()
            } while p.take(UInt8(ascii: ","))
            guard p.take(UInt8(ascii: ")")) else { return nil }
            p.skipSpaces()
        }
        guard p.keyword("FROM"), p.skipSpaces() > 0, p.keyword("STDIN") else { return nil }
        p.skipSpaces()
        guard p.take(UInt8(ascii: ";")) else { return nil }
        p.skipSpaces()
        guard p.i == line.count else { return nil }
        return CopyStatement(schema: schema, table: name, columns: columns)
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

        @discardableResult mutating func skipSpaces() -> Int {
            let start = i
            while let c = peek, c == 0x20 || c == 0x09 || c == 0x0D { i += 1 }
            return i - start
        }

        mutating func take(_ c: UInt8) -> Bool {
            guard peek == c else { return false }
            i += 1
            return true
        }

        /// A keyword, case-insensitive, not followed by a name's character.
        mutating func keyword(_ word: String) -> Bool {
            let w = Array(word.utf8)
            guard bytes.count - i >= w.count else { return false }
            for (k, c) in w.enumerated() where bytes[i + k] & 0xDF != c { return false }
            if i + w.count < bytes.count, Self.isNameByte(bytes[i + w.count]) { return false }
            i += w.count
            return true
        }

        /// A bare name (lower-cased) or a double-quoted one (`""` is a quote).
        mutating func identifier() -> String? {
            if take(0x22) {
                var name: [UInt8] = []
                while let c = peek {
                    i += 1
                    if c == 0x22 {
                        if peek == 0x22 { name.append(c); i += 1 } else { return name.isEmpty ? nil : String(decoding: name, as: UTF8.self) }
                    } else {
                        name.append(c)
                    }
                }
                return nil
            }
            let start = i
            while let c = peek, Self.isNameByte(c) { i += 1 }
            guard i > start, !(bytes[start] >= 0x30 && bytes[start] <= 0x39) else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self).lowercased()
        }

        static func isNameByte(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x24 || c >= 0x80
        }
    }
}

/// What a ``PlainDumpGuard`` does with the rows of one `COPY … FROM stdin` block.
public enum CopyDataHandling {
    /// Passed on as they are.
    case pass
    /// Passed through a filter (complete rows in, rows out; `finish()` before the `\.` line).
    case filter(any StreamFilter)
    /// The dump is refused: why.
    case refuse(String)
}

/// Decides, per `COPY` block of a plain dump, what happens to its rows (a restore that sanitizes
/// while loading rewrites some tables' rows; the check before it reads the same rows to learn the
/// customers' addresses). `statement` is nil when the `COPY` is not pg_dump's one-line form.
public protocol CopyDataHook: AnyObject {
    func copyBegins(_ statement: CopyStatement?) -> CopyDataHandling
}
