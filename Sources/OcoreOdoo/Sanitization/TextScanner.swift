import Foundation
import OcoreRemote

/// Finds e-mail addresses and phone numbers in field text as PostgreSQL's `COPY … TO STDOUT`
/// writes it (text format, still escaped): the same tokens as the SQL patterns
/// `[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}` and `\+?[0-9][0-9 .()/-]{5,}[0-9]`.
/// Working on the escaped bytes is safe because no character of either token is ever escaped;
/// the one care is the letter of an escape (`\n`, `\t`…), which is not part of an address.
enum TextScanner {
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 48 < 10 }
    @inline(__always) static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) &- 97 < 26 }
    @inline(__always) static func isLocal(_ b: UInt8) -> Bool {
        isLetter(b) || isDigit(b) || b == 46 || b == 95 || b == 37 || b == 43 || b == 45  // . _ % + -
    }
    @inline(__always) static func isDomain(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) || b == 46 || b == 45 }
    @inline(__always) static func isPhoneChar(_ b: UInt8) -> Bool {
        isDigit(b) || b == 32 || b == 46 || b == 40 || b == 41 || b == 47 || b == 45  // space . ( ) / -
    }

    /// Whether the byte at `k` is the letter of a backslash escape (an odd run of backslashes before it).
    @inline(__always) static func isEscaped(_ b: UnsafeBufferPointer<UInt8>, _ k: Int) -> Bool {
        var j = k - 1, run = 0
        while j >= 0 && b[j] == 92 { run += 1; j -= 1 }
        return run % 2 == 1
    }

    /// The addresses in `b`, left to right, as the regular expression would find them.
    static func emails(in b: UnsafeBufferPointer<UInt8>, limit: Int = .max) -> [Range<Int>] {
        var found: [Range<Int>] = []
        let n = b.count
        var from = 0, i = 0
        while i < n, found.count < limit {
            guard let base = b.baseAddress, let hit = memchr(base + i, 64, n - i) else { break }
            let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            var s = at
            while s > from && isLocal(b[s - 1]) && !isEscaped(b, s - 1) { s -= 1 }
            var e = at + 1
            while e < n && isDomain(b[e]) { e += 1 }
            var end: Int?
            if s < at {
                var d = e - 1
                while d > at + 1 {
                    if b[d] == 46 {
                        var letters = 0
                        while d + 1 + letters < e && isLetter(b[d + 1 + letters]) { letters += 1 }
                        if letters >= 2 { end = d + 1 + letters; break }
                    }
                    d -= 1
                }
            }
            if let end {
                found.append(s..<end)
                from = end
                i = end
            } else {
                i = at + 1
            }
        }
        return found
    }

    static func firstEmail(in b: UnsafeBufferPointer<UInt8>) -> Range<Int>? { emails(in: b, limit: 1).first }

    /// The phone-number-like runs in `b` (at least 7 characters from the first digit to the last).
    static func phones(in b: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var found: [Range<Int>] = []
        let n = b.count
        var i = 0
        while i < n {
            guard isDigit(b[i]) else { i += 1; continue }
            var e = i
            while e < n && isPhoneChar(b[e]) { e += 1 }
            var last = e - 1
            while last > i && !isDigit(b[last]) { last -= 1 }
            if last - i >= 6 { found.append((i > 0 && b[i - 1] == 43 ? i - 1 : i)..<(last + 1)) }
            i = e
        }
        return found
    }

    static func digits(of b: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        if b.count == 2 && b[0] == 92 && b[1] == 78 { return [] }  // \N
        return b.filter(isDigit)
    }

    /// FNV-1a, 64 bits: a map key for text (collisions at 10⁶ keys are ~10⁻⁸ and would only swap fakes).
    static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in b { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return h
    }

    static func lowercasedHash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in b { h = (h ^ UInt64(byte &- 65 < 26 ? byte | 0x20 : byte)) &* 0x100_0000_01b3 }
        return h
    }

    static func lowercased(_ b: UnsafeBufferPointer<UInt8>) -> [UInt8] { b.map { $0 &- 65 < 26 ? $0 | 0x20 : $0 } }

    static func hasSuffixIgnoringCase(_ b: UnsafeBufferPointer<UInt8>, _ suffix: StaticString) -> Bool {
        let count = suffix.utf8CodeUnitCount
        guard b.count >= count else { return false }
        let s = suffix.utf8Start
        for k in 0..<count where (b[b.count - count + k] &- 65 < 26 ? b[b.count - count + k] | 0x20 : b[b.count - count + k]) != s[k] { return false }
        return true
    }
}

/// Splits a `COPY … TO STDOUT` text stream into rows (a raw newline always ends a row: newlines
/// in data are escaped), holding a partial row until the rest arrives.
public class StreamRowReader: ByteSink {
    private var carry: [UInt8] = []

    func row(_ bytes: UnsafeBufferPointer<UInt8>) {}

    /// Calls `body` with each complete row in `bytes` (after what was held back), without its newline.
    final func rows(in bytes: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        let input = bytes.bindMemory(to: UInt8.self)
        var start = 0
        if !carry.isEmpty {
            guard let nl = input.firstIndex(of: 10) else { carry.append(contentsOf: input); return }
            carry.append(contentsOf: input[0..<nl])
            try carry.withUnsafeBufferPointer { try body($0) }
            carry.removeAll(keepingCapacity: true)
            start = nl + 1
        }
        guard let base = input.baseAddress else { return }
        while start < input.count {
            guard let hit = memchr(base + start, 10, input.count - start) else {
                carry.append(contentsOf: input[start...])
                return
            }
            let nl = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            try body(UnsafeBufferPointer(start: base + start, count: nl - start))
            start = nl + 1
        }
    }

    /// Bytes left without a final newline (a truncated stream).
    final var pendingCount: Int { carry.count }

    public func write(_ bytes: UnsafeRawBufferPointer) throws { rows(in: bytes) { row($0) } }
}
