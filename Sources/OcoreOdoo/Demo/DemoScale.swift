/// How big a demo dataset is. `large` is the benchmark dataset (≈1.4 GB database, ≈1 GB
/// filestore); `xl` (≈5 GB database, ≈3 GB filestore) is the top of the benchmarks' cost curve.
public enum DemoScale: String, CaseIterable, Sendable, Codable {
    case small, medium, large, xl

    public var partners: Int {
        switch self {
        case .small: 2_000
        case .medium: 100_000
        case .large: 1_500_000
        case .xl: 5_400_000
        }
    }

    public var messages: Int { partners }

    /// Filestore files and their mean size: mostly incompressible, like scans, photos and PDFs.
    public var files: Int {
        switch self {
        case .small: 150
        case .medium: 2_000
        case .large: 20_000
        case .xl: 58_000
        }
    }

    public var meanFileSize: Int {
        switch self {
        case .small: 24 << 10
        case .medium, .large, .xl: 52 << 10
        }
    }
}
