import Foundation
import OcoreModel
import Testing

@Suite("Store timestamps")
struct TimestampTests {
    @Test("parses what the store writes, with or without fractions and offsets, exactly as ISO8601DateFormatter does")
    func matchesFoundation() {
        let full = ISO8601DateFormatter()
        full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        for text in ["2026-11-22T08:40:02.123Z", "2024-02-29T23:59:59.999Z", "1970-01-01T00:00:00.000Z", "2026-03-29T01:30:00Z",
                     "2026-10-25T02:30:00+02:00", "1999-12-31T23:00:00-05:30"] {
            let expected = full.date(from: text) ?? plain.date(from: text)
            let got = Timestamp.parse(text)
            #expect(got != nil && expected != nil && abs(got!.timeIntervalSince(expected!)) < 0.0005, "\(text): \(String(describing: got)) vs \(String(describing: expected))")
        }
    }

    @Test("anything else is not a timestamp (the caller falls back to Foundation)")
    func rejects() {
        for text in ["", "2026-11-22", "2026-13-01T00:00:00Z", "2026-11-22T08:40:02", "2026-11-22T08:40:02.1Zjunk", "yesterday"] {
            #expect(Timestamp.parse(text) == nil, "\(text)")
        }
    }
}
