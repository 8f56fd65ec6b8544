import Foundation
import OcoreRemote
import OcoreStorage

/// Whether an Odoo instance answers over HTTP: `/web/health` (Odoo 16+), else `/web/login`.
struct HTTPHealth {
    let ok: Bool
    let summary: String

    /// Tries until it answers or `waitUpTo` seconds have passed (a service just started needs a moment).
    static func check(_ url: String, waitUpTo seconds: Double, cancellation: CancellationFlag?) -> HTTPHealth {
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let deadline = Date().addingTimeInterval(seconds)
        var last = HTTPHealth(ok: false, summary: "not tried")
        repeat {
            last = once(base)
            if last.ok || cancellation?.isCancelled == true { return last }
            if Date() < deadline { Thread.sleep(forTimeInterval: 2) }
        } while Date() < deadline
        return last
    }

    private static func once(_ base: String) -> HTTPHealth {
        do {
            let health = try CurlHTTP.perform(method: "GET", url: base + "/web/health", timeout: 10).status
            if health == 200 { return HTTPHealth(ok: true, summary: "HTTP 200 from /web/health") }
            let login = try CurlHTTP.perform(method: "GET", url: base + "/web/login", timeout: 10).status
            return HTTPHealth(ok: login == 200, summary: "HTTP \(health) from /web/health, \(login) from /web/login")
        } catch {
            return HTTPHealth(ok: false, summary: "\(error)")
        }
    }
}
