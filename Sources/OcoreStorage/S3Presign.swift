import Crypto
import Foundation

/// Pre-signed download URLs (SigV4 in the query string), as the seeds' download endpoint gives:
/// anyone holding the URL can GET the object until it expires, without ocore's credentials.
extension S3Storage {
    public func presignedGetURL(key: String, expires seconds: Int, now: Date = Date()) throws -> String {
        try StorageKey.validate(key)
        guard (1...604_800).contains(seconds) else {
            throw StorageError.invalidKey("expiry must be between 1 second and 7 days, not \(seconds)")
        }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let amzDate = f.string(from: now)
        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(credentials.region)/s3/aws4_request"
        guard let host = URLComponents(string: endpoint)?.host else { throw StorageError.unsupported("cannot read the host of \(endpoint)") }
        let port = URLComponents(string: endpoint)?.port.map { ":\($0)" } ?? ""
        let path = "/" + location.bucket + "/" + objectKey(key).split(separator: "/").map { Self.percentEncode(String($0)) }.joined(separator: "/")
        let query = [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "\(credentials.accessKey)/\(scope)"),
                     ("X-Amz-Date", amzDate), ("X-Amz-Expires", String(seconds)), ("X-Amz-SignedHeaders", "host")]
            .map { "\(Self.percentEncode($0.0))=\(Self.percentEncode($0.1))" }.sorted().joined(separator: "&")
        let canonical = ["GET", path, query, "host:\(host)\(port)\n", "host", "UNSIGNED-PAYLOAD"].joined(separator: "\n")
        let toSign = ["AWS4-HMAC-SHA256", amzDate, scope, Self.sha256Hex(Data(canonical.utf8))].joined(separator: "\n")
        var signingKey = SymmetricKey(data: Data("AWS4\(credentials.secretKey)".utf8))
        for part in [day, credentials.region, "s3", "aws4_request"] {
            signingKey = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: signingKey)))
        }
        let signature = HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: signingKey).map { String(format: "%02x", $0) }.joined()
        return "\(endpoint)\(path)?\(query)&X-Amz-Signature=\(signature)"
    }
}
