import CCurl
import Foundation
import OcoreModel
import OcoreRemote

/// Backups on an FTP server through libcurl, optionally FTPS (explicit `AUTH TLS`, required on
/// control and data connections, certificate checked). Uploads go to a temporary name in the
/// target directory and are renamed (`RNFR`/`RNTO`) in the same session once the transfer ended,
/// so a listed object is always whole. Listings use `MLSD` (exact sizes, machine-readable).
/// Plain FTP sends the password and the data unencrypted; the CLI and the dashboard say so.
public struct FTPStorage: StorageProvider {
    public let location: FTPLocation
    let password: String

    public init(location: FTPLocation) throws {
        self.location = location
        if let variable = location.passwordEnv {
            guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
                throw StorageError.failed(target: "ftp://\(location.host)", operation: "credentials",
                                          reason: "the password variable \(variable) is not set in this environment")
            }
            password = value
        } else {
            password = ""
        }
    }

    public var description: String { "\(location.tls ? "ftps" : "ftp")://\(location.user)@\(location.host):\(location.port)\(location.path)" }

    /// `ftp://host:port/%2F<absolute path>/<key>`: the leading `%2F` makes the path absolute
    /// rather than relative to the login directory.
    func url(_ relative: String, directory: Bool = false) -> String {
        let full = (location.path.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/" + relative)
            .split(separator: "/").map { S3Storage.percentEncode(String($0)) }.joined(separator: "/")
        return "ftp://\(location.host):\(location.port)/%2F\(full)\(directory && !full.isEmpty ? "/" : "")"
    }

    /// The server-side absolute path of a key (quoted commands do not follow libcurl's CWDs).
    func absolute(_ relative: String) -> String {
        (location.path.hasSuffix("/") ? location.path : location.path + "/") + relative
    }

    public func put(key: String, from source: ByteSource, progress: (@Sendable (Int64) -> Void)?) throws -> StoredObject {
        try StorageKey.validate(key)
        if try stat(key: key) != nil {
            throw StorageError.failed(target: description, operation: "put \(key)", reason: "an object with that name already exists")
        }
        let dir = (key as NSString).deletingLastPathComponent, name = (key as NSString).lastPathComponent
        let temp = ".tmp-" + UUID().uuidString.lowercased() + "-" + name
        let transfer = FTPTransfer(source: source, progress: progress)
        do {
            try perform(url(dir.isEmpty ? temp : dir + "/" + temp), operation: "put \(key)", transfer: transfer, upload: true,
                        after: ["RNFR " + absolute(dir.isEmpty ? temp : dir + "/" + temp), "RNTO " + absolute(key)])
        } catch {
            try? deleteFile(dir: dir, name: temp)
            throw error
        }
        return StoredObject(key: key, size: transfer.bytes)
    }

    public func get(key: String, into sink: ByteSink) throws {
        try StorageKey.validate(key)
        guard try stat(key: key) != nil else { throw StorageError.notFound(key) }
        try perform(url(key), operation: "get \(key)", transfer: FTPTransfer(sink: sink))
    }

    public func list(prefix: String) throws -> [StoredObject] {
        // Walk down from the deepest directory the prefix names.
        let start = prefix.hasSuffix("/") ? String(prefix.dropLast()) : (prefix as NSString).deletingLastPathComponent
        return try walk(start).filter { $0.key.hasPrefix(prefix) && !($0.key as NSString).lastPathComponent.hasPrefix(".tmp-") }
    }

    private func walk(_ dir: String) throws -> [StoredObject] {
        var out: [StoredObject] = []
        for entry in try listDirectory(dir) {
            let path = dir.isEmpty ? entry.name : dir + "/" + entry.name
            if entry.isDirectory { out += try walk(path) } else { out.append(StoredObject(key: path, size: entry.size, modified: entry.modified)) }
        }
        return out
    }

    /// One directory's entries from `MLSD` ("type=file;size=42;modify=…; name"); a directory
    /// that does not exist is empty.
    func listDirectory(_ dir: String) throws -> [(name: String, size: Int64, isDirectory: Bool, modified: Date?)] {
        let sink = CollectingSink(limit: 64 << 20)
        do {
            try perform(url(dir, directory: true), operation: "list \(dir)", transfer: FTPTransfer(sink: sink), customRequest: "MLSD")
        } catch FTPFailure.notFound {
            return []
        }
        return String(decoding: sink.data, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { line in
            guard let space = line.firstIndex(of: " ") else { return nil }
            let name = String(line[line.index(after: space)...])
            var facts: [String: String] = [:]
            for fact in line[..<space].split(separator: ";") {
                let kv = fact.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { facts[kv[0].lowercased()] = String(kv[1]) }
            }
            let type = facts["type"]?.lowercased() ?? ""
            guard type == "file" || type == "dir", name != ".", name != ".." else { return nil }
            return (name, Int64(facts["size"] ?? "") ?? 0, type == "dir", facts["modify"].flatMap(Self.mlsdTime))
        }
    }

    /// MLSD's `modify=YYYYMMDDHHMMSS[.sss]`, UTC.
    static func mlsdTime(_ text: String) -> Date? {
        let digits = text.prefix(14)
        guard digits.count == 14, digits.allSatisfy(\.isNumber) else { return nil }
        var c = DateComponents()
        c.timeZone = TimeZone(identifier: "UTC")
        let n = Array(digits).map { Int(String($0))! }
        func num(_ from: Int, _ count: Int) -> Int { n[from..<(from + count)].reduce(0) { $0 * 10 + $1 } }
        (c.year, c.month, c.day, c.hour, c.minute, c.second) = (num(0, 4), num(4, 2), num(6, 2), num(8, 2), num(10, 2), num(12, 2))
        return Calendar(identifier: .gregorian).date(from: c)
    }

    public func stat(key: String) throws -> StoredObject? {
        try StorageKey.validate(key)
        let dir = (key as NSString).deletingLastPathComponent, name = (key as NSString).lastPathComponent
        return try listDirectory(dir).first { $0.name == name && !$0.isDirectory }.map { StoredObject(key: key, size: $0.size) }
    }

    public func delete(key: String) throws {
        try StorageKey.validate(key)
        do { try deleteFile(dir: (key as NSString).deletingLastPathComponent, name: (key as NSString).lastPathComponent) } catch FTPFailure.notFound {}
    }

    public func removeIncomplete(key: String) throws -> Int {
        try StorageKey.validate(key)
        let dir = (key as NSString).deletingLastPathComponent, name = (key as NSString).lastPathComponent
        let leftovers = try listDirectory(dir).filter { !$0.isDirectory && $0.name.hasPrefix(".tmp-") && $0.name.hasSuffix("-" + name) }
        for file in leftovers { try? deleteFile(dir: dir, name: file.name) }
        return leftovers.count
    }

    private func deleteFile(dir: String, name: String) throws {
        try perform(url(dir, directory: true), operation: "delete \(name)", transfer: FTPTransfer(), noBody: true,
                    before: ["DELE " + absolute(dir.isEmpty ? name : dir + "/" + name)])
    }

    // MARK: libcurl

    enum FTPFailure: Error { case notFound }

    private func perform(_ url: String, operation: String, transfer: FTPTransfer, upload: Bool = false, customRequest: String? = nil,
                         noBody: Bool = false, before: [String] = [], after: [String] = []) throws {
        _ = CurlHTTP.ensureGlobalInit
        guard let curl = curl_easy_init() else { throw StorageError.failed(target: description, operation: operation, reason: "libcurl init failed") }
        defer { curl_easy_cleanup(curl) }
        let unmanaged = Unmanaged.passRetained(transfer)
        defer { unmanaged.release() }
        CurlHTTP.setTransferBasics(curl, url: url, stallSeconds: 300)
        ocore_curl_setopt_string(curl, CURLOPT_USERNAME, location.user)
        ocore_curl_setopt_string(curl, CURLOPT_PASSWORD, password)
        // RETRY: another connection may create the same folder at the same moment (parallel uploads).
        ocore_curl_setopt_long(curl, CURLOPT_FTP_CREATE_MISSING_DIRS, Int(CURLFTP_CREATE_DIR_RETRY.rawValue))
        if location.tls {
            ocore_curl_setopt_long(curl, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
            if let ca = location.caFile { ocore_curl_setopt_string(curl, CURLOPT_CAINFO, ca) }
        }
        ocore_curl_setopt_callback(curl, CURLOPT_WRITEFUNCTION, ftpWrite)
        ocore_curl_setopt_pointer(curl, CURLOPT_WRITEDATA, unmanaged.toOpaque())
        if upload {
            ocore_curl_setopt_long(curl, CURLOPT_UPLOAD, 1)
            ocore_curl_setopt_callback(curl, CURLOPT_READFUNCTION, ftpRead)
            ocore_curl_setopt_pointer(curl, CURLOPT_READDATA, unmanaged.toOpaque())
        }
        if let customRequest { ocore_curl_setopt_string(curl, CURLOPT_CUSTOMREQUEST, customRequest) }
        if noBody { ocore_curl_setopt_long(curl, CURLOPT_NOBODY, 1) }
        var quote: UnsafeMutablePointer<curl_slist>?, postQuote: UnsafeMutablePointer<curl_slist>?
        for c in before { quote = curl_slist_append(quote, c) }
        for c in after { postQuote = curl_slist_append(postQuote, c) }
        defer { curl_slist_free_all(quote); curl_slist_free_all(postQuote) }
        if quote != nil { ocore_curl_setopt_slist(curl, CURLOPT_QUOTE, quote) }
        if postQuote != nil { ocore_curl_setopt_slist(curl, CURLOPT_POSTQUOTE, postQuote) }

        let code = curl_easy_perform(curl)
        if let error = transfer.error { throw error }
        guard code == CURLE_OK else {
            var reply = 0
            ocore_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &reply)
            // 550: no such file or directory (a listing of a directory not created yet, a delete of a gone file).
            if code == CURLE_REMOTE_FILE_NOT_FOUND || (reply == 550 && !upload) { throw FTPFailure.notFound }
            throw StorageError.failed(target: description, operation: operation,
                                      reason: String(cString: curl_easy_strerror(code)) + (reply > 0 ? " (server reply \(reply))" : ""))
        }
    }
}

/// What one libcurl FTP transfer reads from or writes to.
final class FTPTransfer {
    let source: ByteSource?
    let sink: ByteSink?
    let progress: (@Sendable (Int64) -> Void)?
    var bytes: Int64 = 0
    var error: Error?
    var buffer = [UInt8](repeating: 0, count: 1 << 20)

    init(source: ByteSource? = nil, sink: ByteSink? = nil, progress: (@Sendable (Int64) -> Void)? = nil) {
        self.source = source
        self.sink = sink
        self.progress = progress
    }
}

private let ftpWrite: ocore_curl_io_callback = { pointer, size, count, userdata in
    let t = Unmanaged<FTPTransfer>.fromOpaque(userdata!).takeUnretainedValue()
    let n = size * count
    do { try t.sink?.write(UnsafeRawBufferPointer(start: pointer, count: n)) } catch { t.error = error; return 0 }
    t.bytes += Int64(n)
    return n
}

private let ftpRead: ocore_curl_io_callback = { pointer, size, count, userdata in
    let t = Unmanaged<FTPTransfer>.fromOpaque(userdata!).takeUnretainedValue()
    guard let source = t.source else { return 0 }
    do {
        let n = try source.read(into: UnsafeMutableRawBufferPointer(start: pointer, count: size * count))
        t.bytes += Int64(n)
        t.progress?(t.bytes)
        return n
    } catch {
        // The producer failed (a cancelled backup): abort so the temporary file is removed, not renamed.
        t.error = error
        return ocore_curl_readfunc_abort()
    }
}
