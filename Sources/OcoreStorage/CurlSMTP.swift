import CCurl
import Foundation

/// Sends one e-mail through an SMTP server with libcurl (`smtp://` or `smtps://`; the user in
/// the URL's user part, the password handed in from a variable, never part of the URL).
public enum CurlSMTP {
    public static func send(url: String, password: String? = nil, from: String, to: [String], message: Data) throws {
        _ = CurlHTTP.ensureGlobalInit
        guard let curl = curl_easy_init() else { throw StorageError.failed(target: url, operation: "SMTP", reason: "libcurl init failed") }
        defer { curl_easy_cleanup(curl) }
        let reader = MessageReader(message)
        let unmanaged = Unmanaged.passRetained(reader)
        defer { unmanaged.release() }
        var recipients: UnsafeMutablePointer<curl_slist>?
        for address in to { recipients = curl_slist_append(recipients, "<\(address)>") }
        defer { curl_slist_free_all(recipients) }
        ocore_curl_setopt_string(curl, CURLOPT_URL, url)
        if let password { ocore_curl_setopt_string(curl, CURLOPT_PASSWORD, password) }
        ocore_curl_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
        ocore_curl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT, 15)
        ocore_curl_setopt_long(curl, CURLOPT_TIMEOUT, 60)
        ocore_curl_setopt_string(curl, CURLOPT_MAIL_FROM, "<\(from)>")
        ocore_curl_setopt_slist(curl, CURLOPT_MAIL_RCPT, recipients)
        ocore_curl_setopt_long(curl, CURLOPT_UPLOAD, 1)
        ocore_curl_setopt_callback(curl, CURLOPT_READFUNCTION, smtpRead)
        ocore_curl_setopt_pointer(curl, CURLOPT_READDATA, unmanaged.toOpaque())
        let code = curl_easy_perform(curl)
        guard code == CURLE_OK else {
            throw StorageError.failed(target: CurlHTTP.redacted(url), operation: "SMTP", reason: String(cString: curl_easy_strerror(code)))
        }
    }
}

private final class MessageReader {
    let data: Data
    var offset = 0
    init(_ data: Data) { self.data = data }
}

private let smtpRead: ocore_curl_io_callback = { pointer, size, count, userdata in
    let reader = Unmanaged<MessageReader>.fromOpaque(userdata!).takeUnretainedValue()
    let n = min(size * count, reader.data.count - reader.offset)
    guard n > 0 else { return 0 }
    reader.data.withUnsafeBytes { src in UnsafeMutableRawPointer(pointer!).copyMemory(from: src.baseAddress! + reader.offset, byteCount: n) }
    reader.offset += n
    return n
}
