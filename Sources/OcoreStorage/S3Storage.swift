import Crypto
import Foundation
import OcoreModel
import OcoreRemote

/// Backups in S3-compatible storage (AWS S3, R2, B2, MinIO) through libcurl's SigV4 signing.
///
/// libcurl 7.88 signs correctly only with three workarounds (fixed in 8.x): we send our own
/// `x-amz-content-sha256`, keep query parameters in sorted order, and write `?uploads=`.
/// Objects larger than one part go up as a multipart upload whose part size grows with the part
/// count (so streams of unknown size reach terabytes within 10,000 parts); every part is retried,
/// a failed upload is aborted, and CompleteMultipartUpload must answer with an `<ETag>` — S3 can
/// answer HTTP 200 with an error body.
public struct S3Storage: StorageProvider {
    public let location: S3Location
    let credentials: CurlHTTP.SigV4
    let basePartSize: Int

    public init(location: S3Location, basePartSize: Int = 8 << 20) throws {
        let env = ProcessInfo.processInfo.environment
        guard let access = env[location.accessKeyEnv], !access.isEmpty else {
            throw StorageError.failed(target: "s3://\(location.bucket)", operation: "credentials",
                                      reason: "the access key variable \(location.accessKeyEnv) is not set in this environment")
        }
        guard let secret = env[location.secretKeyEnv], !secret.isEmpty else {
            throw StorageError.failed(target: "s3://\(location.bucket)", operation: "credentials",
                                      reason: "the secret key variable \(location.secretKeyEnv) is not set in this environment")
        }
        self.location = location
        self.credentials = CurlHTTP.SigV4(region: location.region, accessKey: access, secretKey: secret)
        self.basePartSize = max(basePartSize, 5 << 20)
    }

    public var description: String { "s3://\(location.bucket)\(location.prefix.isEmpty ? "" : "/" + location.prefix)" }

    var endpoint: String { location.endpoint.hasSuffix("/") ? String(location.endpoint.dropLast()) : location.endpoint }

    func objectKey(_ key: String) -> String { location.prefix.isEmpty ? key : location.prefix + "/" + key }

    func url(_ key: String, query: String = "") -> String {
        let path = objectKey(key).split(separator: "/").map { S3Storage.percentEncode(String($0)) }.joined(separator: "/")
        return "\(endpoint)/\(location.bucket)/\(path)" + (query.isEmpty ? "" : "?" + query)
    }

    static func percentEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// Query values for libcurl 7.88's signer: it signs `/` literally, so a `%2F` breaks the
    /// signature; everything else outside the unreserved set is percent-encoded.
    static func queryEncode(_ s: String) -> String {
        s.split(separator: "/", omittingEmptySubsequences: false).map { percentEncode(String($0)) }.joined(separator: "/")
    }

    static func sha256Hex(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    func request(_ method: String, _ url: String, body: Data? = nil, sink: ByteSink? = nil, headers: [String] = []) throws -> CurlHTTP.Response {
        let payloadHash = body.map(Self.sha256Hex) ?? Self.sha256Hex(Data())
        return try CurlHTTP.perform(method: method, url: url, headers: ["x-amz-content-sha256: \(payloadHash)"] + headers,
                                    body: body.map { .data($0) } ?? .none, sink: sink, sigv4: credentials)
    }

    private func check(_ response: CurlHTTP.Response, _ operation: String, expect: Set<Int> = [200]) throws {
        guard expect.contains(response.status) else {
            let code = XMLText.first("Code", in: response.body) ?? "HTTP \(response.status)"
            let message = XMLText.first("Message", in: response.body).map { ": \($0)" } ?? ""
            throw StorageError.failed(target: description, operation: operation, reason: code + message)
        }
    }

    // MARK: StorageProvider

    public func put(key: String, from source: ByteSource, progress: (@Sendable (Int64) -> Void)?) throws -> StoredObject {
        try StorageKey.validate(key)
        var first = try readPart(from: source, size: basePartSize)
        if first.count < basePartSize {
            try check(try request("PUT", url(key), body: first), "PUT \(key)")
            progress?(Int64(first.count))
            return StoredObject(key: key, size: Int64(first.count))
        }
        let created = try request("POST", url(key, query: "uploads="))
        try check(created, "start multipart upload of \(key)")
        guard let uploadID = XMLText.first("UploadId", in: created.body) else {
            throw StorageError.failed(target: description, operation: "start multipart upload", reason: "no UploadId in the answer")
        }
        var etags: [String] = []
        var total: Int64 = 0
        do {
            var partNumber = 1
            while !first.isEmpty {
                let etag = try uploadPart(key: key, uploadID: uploadID, number: partNumber, data: first)
                etags.append(etag)
                total += Int64(first.count)
                progress?(total)
                partNumber += 1
                guard partNumber <= 10_000 else {
                    throw StorageError.failed(target: description, operation: "upload", reason: "more than 10,000 parts")
                }
                first = try readPart(from: source, size: partSize(forPart: partNumber))
            }
            var xml = "<CompleteMultipartUpload>"
            for (i, etag) in etags.enumerated() { xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(etag)</ETag></Part>" }
            xml += "</CompleteMultipartUpload>"
            // libcurl labels a POST body as a form unless told; servers that parse forms (moto's
            // werkzeug) would swallow the XML.
            let done = try request("POST", url(key, query: "uploadId=\(Self.queryEncode(uploadID))"), body: Data(xml.utf8),
                                   headers: ["Content-Type: application/xml"])
            try check(done, "complete multipart upload of \(key)")
            guard XMLText.first("ETag", in: done.body) != nil else {
                let code = XMLText.first("Code", in: done.body) ?? "no ETag in the answer"
                throw StorageError.failed(target: description, operation: "complete multipart upload of \(key)", reason: code)
            }
        } catch {
            _ = try? request("DELETE", url(key, query: "uploadId=\(Self.queryEncode(uploadID))"))
            throw error
        }
        return StoredObject(key: key, size: total)
    }

    /// 8 MiB parts for the first 1,000, then doubling every 1,000 parts (capped at 5 GiB).
    func partSize(forPart number: Int) -> Int {
        min(basePartSize << min((number - 1) / 1000, 9), 5 << 30)
    }

    private func uploadPart(key: String, uploadID: String, number: Int, data: Data) throws -> String {
        var lastError: Error?
        for attempt in 0..<3 {
            if attempt > 0 { Thread.sleep(forTimeInterval: Double(attempt)) }
            do {
                let response = try request("PUT", url(key, query: "partNumber=\(number)&uploadId=\(Self.queryEncode(uploadID))"), body: data)
                try check(response, "upload part \(number) of \(key)")
                guard let etag = response.headers["etag"] else {
                    throw StorageError.failed(target: description, operation: "upload part \(number)", reason: "no ETag header")
                }
                return etag
            } catch { lastError = error }
        }
        throw lastError!
    }

    private func readPart(from source: ByteSource, size: Int) throws -> Data {
        var data = Data(count: size)
        var filled = 0
        while filled < size {
            let n = try data.withUnsafeMutableBytes { raw in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
            }
            if n == 0 { break }
            filled += n
        }
        data.count = filled
        return data
    }

    public func get(key: String, into sink: ByteSink) throws {
        try StorageKey.validate(key)
        // Errors arrive as an XML body: collect the first bytes until the status is known.
        let gate = StatusGatedSink(sink)
        let response = try request("GET", url(key), sink: gate)
        if response.status == 404 { throw StorageError.notFound(key) }
        try check(CurlHTTP.Response(status: response.status, body: gate.held, headers: response.headers), "GET \(key)")
    }

    public func list(prefix: String) throws -> [StoredObject] {
        var objects: [StoredObject] = []
        var token: String?
        let fullPrefix = objectKey(prefix)
        repeat {
            var query = ""
            if let token { query += "continuation-token=\(Self.queryEncode(token))&" }
            query += "list-type=2&prefix=\(Self.queryEncode(fullPrefix))"
            let response = try request("GET", "\(endpoint)/\(location.bucket)?\(query)")
            try check(response, "list \(prefix)")
            let keys = XMLText.all("Key", in: response.body)
            let sizes = XMLText.all("Size", in: response.body)
            let times = XMLText.all("LastModified", in: response.body)
            let iso = ISO8601DateFormatter()
            iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            for (i, (k, s)) in zip(keys, sizes).enumerated() {
                let key = location.prefix.isEmpty ? k : String(k.dropFirst(location.prefix.count + 1))
                let modified = i < times.count ? (iso.date(from: times[i]) ?? ISO8601DateFormatter().date(from: times[i])) : nil
                objects.append(StoredObject(key: key, size: Int64(s) ?? 0, modified: modified))
            }
            token = XMLText.first("IsTruncated", in: response.body) == "true" ? XMLText.first("NextContinuationToken", in: response.body) : nil
        } while token != nil
        return objects
    }

    public func stat(key: String) throws -> StoredObject? {
        try StorageKey.validate(key)
        let response = try request("HEAD", url(key))
        if response.status == 404 { return nil }
        try check(response, "HEAD \(key)")
        return StoredObject(key: key, size: Int64(response.headers["content-length"] ?? "") ?? 0)
    }

    public func delete(key: String) throws {
        try StorageKey.validate(key)
        try check(try request("DELETE", url(key)), "DELETE \(key)", expect: [200, 204, 404])
    }

    /// Aborts unfinished multipart uploads of `key` (they cost storage and are invisible to listings).
    public func removeIncomplete(key: String) throws -> Int {
        try StorageKey.validate(key)
        let full = objectKey(key)
        let response = try request("GET", "\(endpoint)/\(location.bucket)?prefix=\(Self.queryEncode(full))&uploads=")
        try check(response, "list multipart uploads of \(key)")
        var removed = 0
        for (k, uploadID) in zip(XMLText.all("Key", in: response.body), XMLText.all("UploadId", in: response.body)) where k == full {
            try check(try request("DELETE", url(key, query: "uploadId=\(Self.queryEncode(uploadID))")), "abort upload of \(key)", expect: [200, 204, 404])
            removed += 1
        }
        return removed
    }
}

/// Holds back the body until the HTTP status is known, then streams to the real sink (2xx only).
final class StatusGatedSink: ByteSink {
    let target: ByteSink
    var held = Data()
    var passing = false
    var decided = false

    init(_ target: ByteSink) { self.target = target }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if passing { return try target.write(bytes) }
        held.append(contentsOf: bytes)
        // An error document is small and starts with "<?xml" or "<Error>"; anything else is data.
        if held.count >= 512 || !(held.starts(with: Data("<?xml".utf8)) || held.starts(with: Data("<Error".utf8))) {
            if !decided, held.starts(with: Data("<?xml".utf8)) || held.starts(with: Data("<Error".utf8)) {
                if String(decoding: held, as: UTF8.self).contains("<Error>") { decided = true; return }
            }
            guard !decided else { return }
            passing = true
            try held.withUnsafeBytes { try target.write($0) }
            held = Data()
        }
    }
}

/// Tiny extraction of element texts from S3's XML answers (no namespaces, no nesting needed).
enum XMLText {
    static func all(_ tag: String, in data: Data) -> [String] {
        let text = String(decoding: data, as: UTF8.self)
        var result: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<\(tag)>") {
            guard let close = rest.range(of: "</\(tag)>", range: open.upperBound..<rest.endIndex) else { break }
            result.append(unescape(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        return result
    }

    static func first(_ tag: String, in data: Data) -> String? { all(tag, in: data).first }

    static func unescape(_ s: String) -> String {
        // Most values (sizes, dates, hex names) hold no entity at all.
        guard s.contains("&") else { return s }
        return s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
