import Foundation
import OcoreRemote

/// Reads a plain SQL dump from outside as what it must be, data, and refuses what it must not
/// be: psql's backslash commands (`\!` runs a shell command, `\o` writes a file, `\connect`
/// switches databases), statements that reach past the database being loaded (roles, server
/// settings, other databases, languages, foreign servers, session identity), `COPY` other than
/// `FROM stdin`, and extensions other than the few Odoo uses. Each refusal names its line.
///
/// It follows psql's own lexing (quotes, `E''` strings, dollar quotes, comments, `COPY` data up
/// to `\.`), so a backslash inside a string or a row is data, not a command. It is one defence of
/// three: the load also runs under psql's `\restrict` with a key the dump cannot know, and as a
/// role without superuser rights, so a dump that fools this reader still cannot run anything.
///
/// As a ``StreamFilter`` it passes the dump on with pg_dump's own `\restrict`/`\unrestrict` lines,
/// ownership changes and the allowed extensions' statements removed (ocore creates those
/// extensions as an administrator; the loading role may not own or comment on them).
public final class PlainDumpGuard: StreamFilter {
    public private(set) var refusals: [DumpRefusal] = []
    /// Refusals past the first ``refusalLimit`` are counted, not kept.
    public private(set) var refusalCount = 0
    /// Allowed extensions the dump asks for.
    public private(set) var extensions: Set<String> = []
    public let refusalLimit = 10
    /// The longest line held in memory (a dump is lines; a gigabyte without a newline is not one).
    public static let maxLineLength = 256 << 20

    private let prefix: Data?
    /// False when only reading (the check before anything is dropped): nothing is passed on.
    private let emitting: Bool
    private var prefixSent = false
    private var pending = Data()
    private var lineNumber = 0
    private var inCopyData = false
    private var lexer = SQLLexer()
    private var statement = StatementTokens()
    private var statementStartLine = 0
    /// The line the last `COPY … FROM stdin` statement started on.
    private var copyStatementLine = 0
    /// Says what happens to each COPY block's rows (nil: they pass as they are).
    private let copyData: (any CopyDataHook)?
    /// The filter of the COPY block being read, if its rows are rewritten.
    private var rowFilter: (any StreamFilter)?

    /// `restrictKey`: when given, the output starts with `\restrict KEY`, which turns every later
    /// backslash command of the stream into an error in psql. `copyData`: asked at each `COPY`
    /// what to do with its rows; the lexing that finds them is this guard's, so text that only
    /// looks like a `COPY` (in a function's body, say) is never taken for one.
    public init(restrictKey: String? = nil, emitting: Bool = true, copyData: (any CopyDataHook)? = nil) {
        prefix = restrictKey.map { Data("\\restrict \($0)\n".utf8) }
        self.emitting = emitting
        self.copyData = copyData
    }

    /// Reads a whole dump and returns the guard with what it found.
    public static func scan(copyData: (any CopyDataHook)? = nil, _ read: ((Data) throws -> Void) throws -> Void) throws -> PlainDumpGuard {
        let guardian = PlainDumpGuard(emitting: false, copyData: copyData)
        try read { chunk in _ = try chunk.withUnsafeBytes { try guardian.filter($0) } }
        _ = try guardian.finish()
        return guardian
    }

    public func filter(_ bytes: UnsafeRawBufferPointer) throws -> Data {
        var out = Data()
        if let prefix, !prefixSent { out.append(prefix); prefixSent = true }
        guard bytes.count > 0 else { return out }
        var start = 0
        let base = bytes.bindMemory(to: UInt8.self)
        while start < base.count {
            // Rows of COPY data, the bulk of a dump, pass whole up to the `\.` line: only their
            // newlines are counted (for the line numbers of what follows).
            if inCopyData && pending.isEmpty, let rows = copyDataEnd(base, from: start), rows.end > start {
                lineNumber += rows.lines
                try passData(UnsafeBufferPointer(rebasing: base[start..<rows.end]), into: &out)
                start = rows.end
                continue
            }
            guard let nl = memchr(base.baseAddress! + start, 0x0A, base.count - start) else {
                pending.append(contentsOf: UnsafeBufferPointer(rebasing: base[start...]))
                if pending.count > Self.maxLineLength {
                    throw DumpRefusal(line: lineNumber + 1, what: "a line longer than \(Self.maxLineLength >> 20) MiB: not a dump")
                }
                break
            }
            let end = base.baseAddress!.distance(to: nl.assumingMemoryBound(to: UInt8.self))
            let slice = UnsafeBufferPointer(rebasing: base[start...end])  // with its newline
            if pending.isEmpty {
                try line(slice, into: &out)
            } else {
                pending.append(contentsOf: slice)
                let whole = pending
                pending = Data()
                try whole.withUnsafeBytes { try line($0.bindMemory(to: UInt8.self), into: &out) }
            }
            start = end + 1
        }
        return out
    }

    public func finish() throws -> Data {
        var out = Data()
        if let prefix, !prefixSent { out.append(prefix); prefixSent = true }
        if !pending.isEmpty {
            let last = pending
            pending = Data()
            let kept = try last.withUnsafeBytes { try keep($0.bindMemory(to: UInt8.self)) }
            if let rowFilter, !inCopyData {  // the `\.` line, without its newline
                let rest = try rowFilter.finish()
                self.rowFilter = nil
                if emitting { out.append(rest) }
            }
            if kept, emitting, !(inCopyData && rowFilter != nil) { out.append(last) }
        }
        if inCopyData { refuse(line: lineNumber, "the dump ends inside COPY data (no \\. line): it is cut short") }
        return out
    }

    // MARK: Lines

    /// One whole line (with its newline): read, then passed on, dropped, or (a row of a COPY
    /// block with a filter) rewritten; the filter's last rows go out before the `\.` line.
    private func line(_ slice: UnsafeBufferPointer<UInt8>, into out: inout Data) throws {
        let wasData = inCopyData
        let kept = try keep(UnsafeBufferPointer(rebasing: slice.dropLast()))
        if wasData, let rowFilter {
            if inCopyData { return try passData(slice, into: &out) }
            let rest = try rowFilter.finish()
            self.rowFilter = nil
            if emitting { out.append(rest) }
        }
        if kept, emitting { out.append(contentsOf: slice) }
        if !wasData, inCopyData, let copyData {
            switch copyData.copyBegins(statementOnOneLine(slice)) {
            case .pass: break
            case .filter(let filter): rowFilter = filter
            case .refuse(let why):
                refuse(line: lineNumber, why)
                // Passing on rows that were to be rewritten would load them as they are: the stream stops here.
                if emitting { throw DumpRefusal(line: lineNumber, what: why) }
            }
        }
    }

    /// Complete rows of COPY data: through the block's filter, or on as they are.
    private func passData(_ rows: UnsafeBufferPointer<UInt8>, into out: inout Data) throws {
        if let rowFilter {
            let rewritten = try rowFilter.filter(UnsafeRawBufferPointer(rows))
            if emitting { out.append(rewritten) }
        } else if emitting {
            out.append(contentsOf: rows)
        }
    }

    /// The COPY statement that starts a data block, when it is the whole of its line.
    private func statementOnOneLine(_ slice: UnsafeBufferPointer<UInt8>) -> CopyStatement? {
        guard copyStatementLine == lineNumber else { return nil }
        var body = slice.dropLast()
        if body.last == 0x0D { body = body.dropLast() }
        return CopyStatement.parse(UnsafeBufferPointer(rebasing: body))
    }

    /// Where the complete data lines from `start` end (at the `\.` line, or after the chunk's last
    /// newline when the terminator is not in it), and how many lines that is.
    private func copyDataEnd(_ base: UnsafeBufferPointer<UInt8>, from start: Int) -> (end: Int, lines: Int)? {
        let p = base.baseAddress!, count = base.count
        if count - start >= 3, p[start] == 0x5C, p[start + 1] == 0x2E, p[start + 2] == 0x0A { return (start, 0) }
        var at = start, lines = 0
        var end: Int?
        while at < count, let nl = memchr(p + at, 0x0A, count - at) {
            let i = UnsafeRawPointer(p).distance(to: UnsafeRawPointer(nl))
            lines += 1
            end = i + 1
            if i + 3 < count, p[i + 1] == 0x5C, p[i + 2] == 0x2E, p[i + 3] == 0x0A { break }
            at = i + 1
        }
        return end.map { ($0, lines) }
    }

    /// Reads one line (without its newline) and says whether it is passed on.
    private func keep(_ line: UnsafeBufferPointer<UInt8>) throws -> Bool {
        lineNumber += 1
        if inCopyData {
            if line.count == 2 && line[0] == 0x5C && line[1] == 0x2E { inCopyData = false }
            return true
        }
        let startsStatement = lexer.state == .normal && statement.isEmpty
        if startsStatement { statementStartLine = lineNumber }
        var drop = false
        var statementsEnded = 0
        var i = 0
        var copyStartsAfterThisLine = false
        while i < line.count {
            if copyStartsAfterThisLine, lexer.state == .normal, !isSpace(line[i]) {
                refuse(line: lineNumber, "text after COPY … FROM stdin on the same line")
                break
            }
            switch lexer.step(line, &i) {
            case .none:
                continue
            case .token(let token):
                statement.append(token)
            case .backslash:
                let command = metaCommand(line, from: i)
                if startsStatement, statement.isEmpty, i == firstNonSpace(line), command == "\\restrict" || command == "\\unrestrict" {
                    drop = true  // pg_dump's own guard: ocore sets its own key
                } else if command == "\\connect" || command == "\\c" {
                    refuse(line: lineNumber, "\\connect switches to another database (a dump made with --create): make it without --create")
                } else {
                    refuse(line: lineNumber, "psql command \(command) is not allowed: a dump is data, never commands")
                }
                i = line.count  // a backslash command runs to the end of its line
            case .semicolon:
                statementsEnded += 1
                let verdict = judge(statement)
                if case .refuse(let why) = verdict { refuse(line: statementStartLine, why) }
                if case .copyData = verdict { copyStartsAfterThisLine = true; copyStatementLine = statementStartLine }
                if startsStatement, case .dropIfWholeLine = verdict { drop = true }
                statement = StatementTokens()
                statementStartLine = lineNumber
            }
        }
        lexer.endOfLine()
        // Only a line that is exactly one such statement is left out; anything more is passed on.
        if drop, statementsEnded > 1 || !(lexer.state == .normal && statement.isEmpty) { drop = false }
        if copyStartsAfterThisLine { inCopyData = true }
        return !drop
    }

    private func refuse(line: Int, _ what: String) {
        refusalCount += 1
        if refusals.count < refusalLimit { refusals.append(DumpRefusal(line: line, what: what)) }
    }

    private func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D }
    private func firstNonSpace(_ line: UnsafeBufferPointer<UInt8>) -> Int { line.firstIndex { !isSpace($0) } ?? 0 }

    private func metaCommand(_ line: UnsafeBufferPointer<UInt8>, from i: Int) -> String {
        var j = i + 1
        while j < line.count, !isSpace(line[j]), line[j] != 0x5C, j - i < 24 { j += 1 }
        return "\\" + String(decoding: UnsafeBufferPointer(rebasing: line[(i + 1)..<j]), as: UTF8.self)
    }

    // MARK: Statements

    enum Verdict { case pass, refuse(String), copyData, dropIfWholeLine }

    private func judge(_ s: StatementTokens) -> Verdict {
        let w = s.leadingWords
        guard let first = w.first else { return .pass }
        if first == "COPY" {
            return s.endsWith(["FROM", "STDIN"]) ? .copyData : .refuse("COPY other than FROM stdin (a dump's COPY reads its rows from the dump itself)")
        }
        for (prefix, why) in Self.refused where w.starts(with: prefix) {
            return .refuse("\(prefix.joined(separator: " ")) is not allowed: \(why)")
        }
        if w.starts(with: ["CREATE", "EXTENSION"]) {
            guard let name = s.extensionName else { return .refuse("CREATE EXTENSION without a name") }
            guard DumpPolicy.extensions.contains(name) else {
                return .refuse("CREATE EXTENSION \(name) is not allowed: only \(DumpPolicy.extensions.sorted().joined(separator: ", ")) are created for a dump")
            }
            extensions.insert(name)
            return .dropIfWholeLine
        }
        if w.starts(with: ["COMMENT", "ON", "EXTENSION"]) { return .dropIfWholeLine }
        if first == "ALTER", s.hasWords(["OWNER", "TO"]) { return .dropIfWholeLine }
        return .pass
    }

    /// Statement beginnings that reach past the database being loaded, and why they are refused.
    static let refused: [([String], String)] = {
        let roles = "roles belong to the server, not to a database"
        let server = "server settings are not a database's"
        let databases = "a dump loads into the database ocore made for it"
        let code = "it would run code outside the database's own trusted languages"
        let remote = "it would connect to other servers"
        let identity = "it changes who runs the statements"
        let extensions = "extensions are created by ocore, not by the dump"
        return [
            (["CREATE", "ROLE"], roles), (["CREATE", "USER"], roles), (["CREATE", "GROUP"], roles),
            (["ALTER", "ROLE"], roles), (["ALTER", "USER"], roles), (["ALTER", "GROUP"], roles),
            (["DROP", "ROLE"], roles), (["DROP", "USER"], roles), (["DROP", "GROUP"], roles), (["REASSIGN", "OWNED"], roles),
            (["ALTER", "SYSTEM"], server), (["CREATE", "TABLESPACE"], server), (["LOAD"], server), (["CHECKPOINT"], server),
            (["CREATE", "DATABASE"], databases), (["ALTER", "DATABASE"], databases), (["DROP", "DATABASE"], databases),
            (["CREATE", "LANGUAGE"], code), (["CREATE", "TRUSTED"], code), (["CREATE", "PROCEDURAL"], code),
            (["CREATE", "OR", "REPLACE", "LANGUAGE"], code), (["CREATE", "OR", "REPLACE", "TRUSTED"], code),
            (["CREATE", "OR", "REPLACE", "PROCEDURAL"], code), (["CREATE", "EVENT", "TRIGGER"], code),
            (["CREATE", "SERVER"], remote), (["CREATE", "FOREIGN", "DATA", "WRAPPER"], remote), (["CREATE", "SUBSCRIPTION"], remote),
            (["CREATE", "PUBLICATION"], remote),
            (["SET", "ROLE"], identity), (["SET", "SESSION", "AUTHORIZATION"], identity), (["SET", "LOCAL", "ROLE"], identity),
            (["SET", "LOCAL", "SESSION", "AUTHORIZATION"], identity), (["RESET", "ROLE"], identity), (["RESET", "SESSION"], identity),
            (["ALTER", "EXTENSION"], extensions), (["DROP", "EXTENSION"], extensions),
        ]
    }()
}

/// One refused line of a dump (or entry of a dump's table of contents).
public struct DumpRefusal: Error, Equatable, CustomStringConvertible, Sendable {
    /// The dump's line, for plain SQL.
    public var line: Int?
    public var what: String

    public var description: String { line.map { "line \($0): \(what)" } ?? what }
}

/// What a dump from outside may bring.
public enum DumpPolicy {
    /// Extensions Odoo and common community modules use. ocore creates them as an administrator
    /// before the load, so the role that loads the dump needs no rights over them.
    public static let extensions: Set<String> = [
        "btree_gin", "btree_gist", "citext", "fuzzystrmatch", "hstore", "intarray", "pg_trgm", "pgcrypto", "plpgsql", "tablefunc",
        "unaccent", "uuid-ossp",
    ]
}

/// The tokens of one SQL statement that the guard looks at: its first words, the last few
/// tokens, and which keywords it has (bounded, whatever the statement's length).
struct StatementTokens {
    private(set) var leadingWords: [String] = []
    private(set) var tail: [SQLToken] = []
    private(set) var leading: [SQLToken] = []
    private(set) var isEmpty = true
    private var words: Set<String> = []

    mutating func append(_ token: SQLToken) {
        isEmpty = false
        if leading.count < 8 { leading.append(token) }
        if case .word(let w) = token {
            if leadingWords.count < 6, leadingWords.count == leading.count - 1 { leadingWords.append(w) }
            if words.count < 512 { words.insert(w) }
        }
        tail.append(token)
        if tail.count > 3 { tail.removeFirst() }
    }

    func endsWith(_ last: [String]) -> Bool {
        tail.suffix(last.count).map { if case .word(let w) = $0 { w } else { "" } } == last
    }

    func hasWords(_ all: [String]) -> Bool { all.allSatisfy(words.contains) }

    /// `CREATE EXTENSION [IF NOT EXISTS] name`.
    var extensionName: String? {
        var rest = leading.dropFirst(2)
        if case .word("IF")? = rest.first { rest = rest.dropFirst(3) }
        switch rest.first {
        case .word(let w)?: return w.lowercased()
        case .quoted(let q)?: return q
        default: return nil
        }
    }
}

enum SQLToken: Equatable {
    /// An unquoted word, upper-cased.
    case word(String)
    /// A double-quoted identifier, as written.
    case quoted(String)
    case string
    case punctuation
}

/// psql's lexer, as far as telling SQL from strings, comments and commands goes.
struct SQLLexer {
    enum State: Equatable { case normal, string, escapeString, quoted, dollar(String), blockComment(Int) }
    enum Event { case none, token(SQLToken), backslash, semicolon }

    private(set) var state = State.normal
    private var word: [UInt8] = []
    private var quoted: [UInt8] = []

    mutating func endOfLine() {
        if state == .normal { _ = flushWord() }
    }

    private mutating func flushWord() -> SQLToken? {
        guard !word.isEmpty else { return nil }
        defer { word.removeAll(keepingCapacity: true) }
        return .word(String(decoding: word, as: UTF8.self).uppercased())
    }

    private static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c >= 0x80
    }

    /// Consumes one or more bytes at `i` and says what they were.
    mutating func step(_ line: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Event {
        let c = line[i]
        let next: UInt8? = i + 1 < line.count ? line[i + 1] : nil
        switch state {
        case .string:
            i += 1
            if c == 0x27 { if next == 0x27 { i += 1 } else { state = .normal; return .token(.string) } }
            return .none
        case .escapeString:
            i += 1
            if c == 0x5C { i += 1 } else if c == 0x27 { if next == 0x27 { i += 1 } else { state = .normal; return .token(.string) } }
            return .none
        case .quoted:
            i += 1
            if c == 0x22 {
                if next == 0x22 { quoted.append(c); i += 1 } else {
                    state = .normal
                    defer { quoted.removeAll(keepingCapacity: true) }
                    return .token(.quoted(String(decoding: quoted, as: UTF8.self)))
                }
            } else if quoted.count < 256 { quoted.append(c) }
            return .none
        case .dollar(let tag):
            if c == 0x24, closesDollar(line, at: i, tag: tag) { i += tag.utf8.count + 2; state = .normal; return .token(.string) }
            i += 1
            return .none
        case .blockComment(let depth):
            if c == 0x2A, next == 0x2F { i += 2; state = depth == 1 ? .normal : .blockComment(depth - 1); return .none }
            if c == 0x2F, next == 0x2A { i += 2; state = .blockComment(depth + 1); return .none }
            i += 1
            return .none
        case .normal:
            if Self.isWordByte(c) || (c == 0x24 && !word.isEmpty) {
                word.append(c)
                i += 1
                return .none
            }
            if c == 0x27 {
                // E'…' (or e'…') takes backslash escapes; the E is part of the string, not a word.
                let escape = word.count == 1 && (word[0] == 0x45 || word[0] == 0x65)
                if escape { word.removeAll() }
                let before = flushWord()
                state = escape ? .escapeString : .string
                i += 1
                return before.map { .token($0) } ?? .none
            }
            if let w = flushWord() { return .token(w) }
            switch c {
            case 0x2D where next == 0x2D:
                i = line.count  // a comment to the end of the line
                return .none
            case 0x2F where next == 0x2A:
                state = .blockComment(1)
                i += 2
                return .none
            case 0x22:
                state = .quoted
                i += 1
                return .none
            case 0x24:
                if let tag = dollarTag(line, at: i) { state = .dollar(tag); i += tag.utf8.count + 2; return .none }
                i += 1
                return .token(.punctuation)
            case 0x5C:
                return .backslash
            case 0x3B:
                i += 1
                return .semicolon
            case 0x20, 0x09, 0x0D:
                i += 1
                return .none
            default:
                i += 1
                return .token(.punctuation)
            }
        }
    }

    /// `$tag$` or `$$` at `i`: the tag.
    private func dollarTag(_ line: UnsafeBufferPointer<UInt8>, at i: Int) -> String? {
        var j = i + 1
        while j < line.count, line[j] != 0x24 {
            let c = line[j]
            let ok = Self.isWordByte(c) && !(j == i + 1 && c >= 0x30 && c <= 0x39)
            if !ok || c == 0x24 { return nil }
            j += 1
        }
        guard j < line.count else { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: line[(i + 1)..<j]), as: UTF8.self)
    }

    private func closesDollar(_ line: UnsafeBufferPointer<UInt8>, at i: Int, tag: String) -> Bool {
        let needle = Array(("$" + tag + "$").utf8)
        guard i + needle.count <= line.count else { return false }
        return Array(line[i..<(i + needle.count)]) == needle
    }
}
