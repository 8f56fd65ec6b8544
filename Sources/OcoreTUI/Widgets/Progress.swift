import OcoreModel

/// A bar with percentage, elapsed time and ETA (when there is one).
public struct ProgressBar {
    public var percent: Double
    public var elapsed: Double?
    public var eta: Double?

    public func render(in rect: Rect, theme: Theme, into buffer: inout CellBuffer) {
        var suffix = String(format: " %3.0f%%", min(max(percent, 0), 100))
        if let elapsed { suffix += "  " + Duration.seconds(elapsed).shortText }
        suffix += eta.map { "  ETA " + Duration.seconds($0).shortText } ?? ""
        let barWidth = max(rect.width - TextWidth.of(suffix), 0)
        let filled = Int((Double(barWidth) * min(max(percent, 0), 100) / 100).rounded(.down))
        buffer.put(String(repeating: theme.symbols.barFull, count: filled), x: rect.x, y: rect.y, style: theme[.success])
        buffer.put(String(repeating: theme.symbols.barEmpty, count: barWidth - filled), x: rect.x + filled, y: rect.y, style: theme[.border])
        buffer.put(suffix, x: rect.x + barWidth, y: rect.y, style: theme[.text], maxWidth: rect.width - barWidth)
    }
}

/// The steps of a job: done ✓ / running with a spinner / pending / failed ✗ / skipped.
public struct StepList {
    public var steps: [JobStepRecord]
    public var spinnerFrame: Int
    /// With the time, each started step shows how long it took (a running one, so far) at the right.
    public var now: Double?

    /// How long a step took, or has taken so far while it runs.
    public static func duration(_ step: JobStepRecord, now: Double) -> Double? {
        guard let start = step.startedAt.flatMap(Timestamp.parse)?.timeIntervalSince1970 else { return nil }
        let end = step.endedAt.flatMap(Timestamp.parse)?.timeIntervalSince1970 ?? (step.status == .running ? now : nil)
        return end.map { max($0 - start, 0) }
    }

    public func render(in rect: Rect, theme: Theme, into buffer: inout CellBuffer) {
        for (i, step) in steps.enumerated() where i < rect.height {
            let (mark, style): (String, Style) = switch step.status {
            case .completed: (theme.symbols.done, theme[.success])
            case .running: (theme.symbols.spinner[spinnerFrame % theme.symbols.spinner.count], theme[.title])
            case .failed: (theme.symbols.failed, theme[.danger])
            case .cancelled: (theme.symbols.failed, theme[.warning])
            case .skipped: ("-", theme[.muted])
            case .pending: (theme.symbols.pending, theme[.muted])
            }
            var text = "\(mark) \(step.title)"
            if step.status == .running { text += String(format: " (%.0f%%)", step.progress * 100) }
            if let m = step.message, !m.isEmpty, step.status != .completed { text += " — " + m }
            let took = now.flatMap { Self.duration(step, now: $0) }.map { Duration.seconds($0).shortText } ?? ""
            let room = took.isEmpty ? rect.width : max(rect.width - took.count - 1, 0)
            buffer.put(text, x: rect.x, y: rect.y + i, style: style, maxWidth: room)
            if !took.isEmpty { buffer.put(took, x: rect.maxX - took.count, y: rect.y + i, style: theme[.muted]) }
        }
    }
}
