/// How big a demo dataset is. `large` is the benchmark dataset (≈1 GB database, ≈1 GB filestore).
public enum DemoScale: String, CaseIterable, Sendable, Codable {
    case small, medium, large

    public var partners: Int {
        switch self {
        case .small: 2_000
        case .medium: 100_000
        case .large: 1_500_000
        }
    }

    public var messages: Int { partners }

    /// Filestore files and their mean size: mostly incompressible, like scans, photos and PDFs.
    public var files: Int {
        switch self {
        case .small: 150
        case .medium: 2_000
        case .large: 20_000
        }
    }

    public var meanFileSize: Int {
        switch self {
        case .small: 24 << 10
        case .medium, .large: 52 << 10
        }
    }
}
