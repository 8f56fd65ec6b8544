import CCurl
import Foundation
import OcoreRemote

/// One HTTP exchange through a libcurl easy handle (used from one thread at a time).
/// Request bodies come from memory; response bodies go to a sink or are collected (bounded).
public struct CurlHTTP {
    public struct Response {
        public var status: Int
        public var body: Data
        public var headers: [String: String]
    }

    public enum Body {
        case none
        case data(Data)
    }

    /// Credentials for libcurl's own AWS SigV4 signing.
    public struct SigV4: Sendable {
        public var region: String
        public var accessKey: String
        public var secretKey: String
    }

    static let ensureGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    /// What every transfer sets: the URL, no signals (threads), a 15 s connect timeout, and an
    /// abort when it moves less than a byte a second for `stallSeconds` (a stalled server).
    static func setTransferBasics(_ curl: UnsafeMutableRawPointer, url: String, stallSeconds: Int) {
        ocore_curl_setopt_string(curl, CURLOPT_URL, url)
        ocore_curl_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
        ocore_curl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT, 15)
        ocore_curl_setopt_long(curl, CURLOPT_LOW_SPEED_LIMIT, 1)
        ocore_curl_setopt_long(curl, CURLOPT_LOW_SPEED_TIME, stallSeconds)
    }

    public static func perform(method: String, url: String, headers: [String] = [], body: Body = .none, sink: ByteSink? = nil,
                        sigv4: SigV4? = nil, timeout: Int = 300) throws -> Response {
        _ = ensureGlobalInit
        guard let curl = curl_easy_init() else { throw StorageError.failed(target: url, operation: method, reason: "libcurl init failed") }
        defer { curl_easy_cleanup(curl) }
        let context = TransferContext(sink: sink, body: body)
        let unmanaged = Unmanaged.passRetained(context)
        defer { unmanaged.release() }

        setTransferBasics(curl, url: url, stallSeconds: timeout)
        ocore_curl_setopt_callback(curl, CURLOPT_WRITEFUNCTION, curlWrite)
        ocore_curl_setopt_pointer(curl, CURLOPT_WRITEDATA, unmanaged.toOpaque())
        ocore_curl_setopt_callback(curl, CURLOPT_HEADERFUNCTION, curlHeader)
        ocore_curl_setopt_pointer(curl, CURLOPT_HEADERDATA, unmanaged.toOpaque())

        var bodyLength = 0
        if case .data(let data) = body { bodyLength = data.count }
        switch method {
        case "GET": break
        case "HEAD": ocore_curl_setopt_long(curl, CURLOPT_NOBODY, 1)
        case "PUT":
            ocore_curl_setopt_long(curl, CURLOPT_UPLOAD, 1)
            ocore_curl_setopt_offset(curl, CURLOPT_INFILESIZE_LARGE, curl_off_t(bodyLength))
        case "POST":
            ocore_curl_setopt_long(curl, CURLOPT_POST, 1)
            ocore_curl_setopt_offset(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyLength))
        default: ocore_curl_setopt_string(curl, CURLOPT_CUSTOMREQUEST, method)
        }
        if method == "PUT" || method == "POST" {
            ocore_curl_setopt_callback(curl, CURLOPT_READFUNCTION, curlRead)
            ocore_curl_setopt_pointer(curl, CURLOPT_READDATA, unmanaged.toOpaque())
        }
        var allHeaders = headers
        if sigv4 == nil {
            allHeaders.append("Expect:")  // no 100-continue round trip
        } else {
            // libcurl 7.88 signs an empty "Expect:" header that it then does not send, which breaks
            // the signature: keep 100-continue for signed requests, with a short wait.
            ocore_curl_setopt_long(curl, CURLOPT_EXPECT_100_TIMEOUT_MS, 200)
        }
        if let sigv4 {
            ocore_curl_setopt_string(curl, CURLOPT_AWS_SIGV4, "aws:amz:\(sigv4.region):s3")
            ocore_curl_setopt_string(curl, CURLOPT_USERPWD, "\(sigv4.accessKey):\(sigv4.secretKey)")
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for h in allHeaders { list = curl_slist_append(list, h) }
        defer { curl_slist_free_all(list) }
        ocore_curl_setopt_slist(curl, CURLOPT_HTTPHEADER, list)

        let code = curl_easy_perform(curl)
        if let error = context.sinkError { throw error }
        guard code == CURLE_OK else {
            throw StorageError.failed(target: Self.redacted(url), operation: method, reason: String(cString: curl_easy_strerror(code)))
        }
        var status = 0
        ocore_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
        return Response(status: status, body: context.collected, headers: context.headers)
    }

    /// The URL without its query (which may carry a pre-signed signature).
    public static func redacted(_ url: String) -> String { String(url.split(separator: "?").first ?? Substring(url)) }
}

private final class TransferContext {
    let sink: ByteSink?
    let body: Data
    var offset = 0
    var collected = Data()
    var headers: [String: String] = [:]
    var sinkError: Error?

    init(sink: ByteSink?, body: CurlHTTP.Body) {
        self.sink = sink
        if case .data(let d) = body { self.body = d } else { self.body = Data() }
    }
}

private let curlWrite: ocore_curl_io_callback = { pointer, size, count, userdata in
    let context = Unmanaged<TransferContext>.fromOpaque(userdata!).takeUnretainedValue()
    let n = size * count
    let bytes = UnsafeRawBufferPointer(start: pointer, count: n)
    if let sink = context.sink {
        do { try sink.write(bytes) } catch { context.sinkError = error; return 0 }
    } else if context.collected.count < 4 << 20 {
        context.collected.append(contentsOf: bytes)
    }
    return n
}

private let curlRead: ocore_curl_io_callback = { pointer, size, count, userdata in
    let context = Unmanaged<TransferContext>.fromOpaque(userdata!).takeUnretainedValue()
    let n = min(size * count, context.body.count - context.offset)
    guard n > 0 else { return 0 }
    context.body.withUnsafeBytes { src in
        UnsafeMutableRawPointer(pointer!).copyMemory(from: src.baseAddress! + context.offset, byteCount: n)
    }
    context.offset += n
    return n
}

private let curlHeader: ocore_curl_io_callback = { pointer, size, count, userdata in
    let context = Unmanaged<TransferContext>.fromOpaque(userdata!).takeUnretainedValue()
    let n = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: pointer, count: n), as: UTF8.self)
    if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        context.headers[name] = value
    }
    return n
}
