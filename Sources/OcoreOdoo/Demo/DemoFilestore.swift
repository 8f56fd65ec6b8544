import Crypto
import Foundation

/// Writes an Odoo-layout filestore: each file named by the SHA-1 of its content, in a folder
/// named by the first two hex digits (`ir_attachment.store_fname` = `ab/abcdef…`).
///
/// Contents are deterministic pseudo-random bytes (incompressible, like the scans, photos and PDFs
/// that dominate real filestores) with one file in ten text-like and compressible.
struct DemoFilestore {
    struct File {
        let name: String
        let storeFname: String
        let size: Int
        let checksum: String
        let mimetype: String
        let resModel: String?
        let resID: Int?
    }

    let directory: String
    let seed: UInt64

    func generate(count: Int, meanSize: Int, partners: Int) throws -> [File] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files: [File] = []
        files.reserveCapacity(count + 4)
        var rng = SplitMix64(seed: seed)
        var buffer = [UInt8](repeating: 0, count: meanSize * 2)
        for i in 0..<count {
            // Sizes spread from 1/4 to 7/4 of the mean, averaging the mean.
            let size = meanSize / 4 + Int(rng.next() % UInt64(meanSize * 3 / 2))
            let textLike = i % 10 == 0
            fill(&buffer, count: size, textLike: textLike, rng: &rng)
            let kind = i % 4
            let (ext, mime) = textLike ? ("txt", "text/plain") : [("pdf", "application/pdf"), ("jpg", "image/jpeg"),
                                                                  ("png", "image/png"), ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")][kind]
            let stored = try store(buffer[0..<size])
            files.append(File(name: "document_\(i + 1).\(ext)", storeFname: stored.fname, size: size, checksum: stored.sha1,
                              mimetype: mime, resModel: "res.partner", resID: 14 + Int(rng.next() % UInt64(max(partners - 13, 1)))))
        }
        // Compiled asset bundles and a view attachment: what `clear_asset_bundles` removes.
        let variant = seed
        for (name, mime) in [("web.assets_backend.min.js", "application/javascript"), ("web.assets_frontend.min.css", "text/css"),
                             ("web.assets_common.css", "text/css"), ("web.assets_web.js", "application/javascript")] {
            let body = Array("/* \(name) compiled bundle \(variant) */\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 2048)
            let stored = try store(body[...])
            files.append(File(name: name, storeFname: stored.fname, size: body.count, checksum: stored.sha1, mimetype: mime,
                              resModel: name.hasSuffix("css") || name.hasSuffix("js") ? "ir.ui.view" : nil, resID: nil))
        }
        return files
    }

    private func store(_ bytes: ArraySlice<UInt8>) throws -> (fname: String, sha1: String) {
        let sha1 = Insecure.SHA1.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let folder = directory + "/" + sha1.prefix(2)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + sha1
        if !FileManager.default.fileExists(atPath: path) {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        return (String(sha1.prefix(2)) + "/" + sha1, sha1)
    }

    private func fill(_ buffer: inout [UInt8], count: Int, textLike: Bool, rng: inout SplitMix64) {
        buffer.withUnsafeMutableBytes { raw in
            if textLike {
                let words = Array("lorem ipsum dolor sit amet invoice delivery order customer payment ".utf8)
                var start = Int(rng.next() % UInt64(words.count))
                for j in 0..<count { raw[j] = words[(start + j) % words.count]; if j % 997 == 0 { start += 3 } }
            } else {
                let words = count / 8
                let p = raw.baseAddress!.assumingMemoryBound(to: UInt64.self)
                for j in 0..<words { p[j] = rng.next() }
                for j in (words * 8)..<count { raw[j] = UInt8(truncatingIfNeeded: rng.next()) }
            }
        }
    }
}

/// A small, fast, deterministic generator (Steele, Lea and Flood's SplitMix64).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
