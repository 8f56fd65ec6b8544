import OcoreModel

/// A bar with percentage, elapsed time and ETA (when there is one).
public struct ProgressBar {
    public var percent: Double
    public var elapsed: Double?
    public var eta: Double?

    public init(percent: Double, elapsed: Double? = nil, eta: Double? = nil) {
        self.percent = percent
        self.elapsed = elapsed
        self.eta = eta
    }

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

    public init(steps: [JobStepRecord], spinnerFrame: Int) {
        self.steps = steps
        self.spinnerFrame = spinnerFrame
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
            buffer.put(text, x: rect.x, y: rect.y + i, style: style, maxWidth: rect.width)
        }
    }
}
