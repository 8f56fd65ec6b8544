import Foundation

/// What past clones onto a server measured: how fast bytes moved, and how long each preset's
/// sanitization took. Made from finished jobs; empty until the server has some.
public struct CloneHistory: Equatable, Sendable {
    /// Median bytes per second of the copy (database + filestore), sanitization excluded.
    public var bytesPerSecond: Double?
    /// Median seconds of the sanitizing step, by preset.
    public var sanitizationSeconds: [String: Double]
    /// How many finished clones it comes from.
    public var samples: Int

    public init(bytesPerSecond: Double?, sanitizationSeconds: [String: Double], samples: Int) {
        self.bytesPerSecond = bytesPerSecond
        self.sanitizationSeconds = sanitizationSeconds
        self.samples = samples
    }
}

/// A clone's expected duration: an estimate from typical speeds until the target server has history, then
/// its measured throughput (and, per preset, its measured sanitization time).
public enum CloneEstimate {
    public static func seconds(databaseBytes: Int64, filestoreBytes: Int64, crossServer: Bool,
                               preset: SanitizationCatalog.Preset, history: CloneHistory?) -> (seconds: Double, basis: String) {
        guard let history, history.samples > 0, let rate = history.bytesPerSecond, rate > 0 else {
            return (SanitizationCatalog.estimatedSeconds(databaseBytes: databaseBytes, filestoreBytes: filestoreBytes,
                                                         crossServer: crossServer, preset: preset), "an estimate from typical speeds")
        }
        let copy = Double(databaseBytes + filestoreBytes) / rate
        let sanitize = history.sanitizationSeconds[preset.rawValue]
            ?? SanitizationCatalog.estimatedSeconds(databaseBytes: 0, filestoreBytes: 0, crossServer: false, preset: preset) - 30
        return (5 + copy + sanitize, "\(history.samples) past clone\(history.samples == 1 ? "" : "s") on this server")
    }
}
