import Foundation
import OcoreModel
import Testing

/// Two years of daily 02:00 backups in Brussels (two DST changes a year), with failures on
/// promotion days, simulated through the same rules the backup job uses.
struct RetentionSimulation {
    var calendar: Calendar
    var retention: Retention
    var backups: [BackupRecord] = []

    init(policy: RetentionPolicy = RetentionPolicy()) {
        calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Brussels")!
        retention = Retention(policy: policy, calendar: calendar)
    }

    func date(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 2) -> Date {
        calendar.date(from: DateComponents(year: y, month: m, day: d, hour: h))!
    }

    /// Runs one backup a day from `start` for `days` days; `fails` says which days' backups fail.
    mutating func run(from start: Date, days: Int, fails: (Date) -> Bool) {
        for i in 0..<days {
            let at = calendar.date(byAdding: .day, value: i, to: start)!
            let failed = fails(at)
            let tier = retention.tier(for: at, earlier: backups)
            backups.append(BackupRecord(id: "b\(i)", environment: "prod", project: "p", storage: "s", key: "k\(i)", type: .scheduled,
                                        status: failed ? .failed : .completed, includeFilestore: true, createdAt: at, tier: tier,
                                        expiresAt: retention.expiry(of: tier, createdAt: at), verifiedAt: failed ? nil : at, databaseName: "prod"))
        }
    }

    var succeeded: [BackupRecord] { backups.filter { $0.status == .completed } }
}

@Suite("GFS retention")
struct RetentionTests {
    @Test("a sanitized backup is no restore point: it takes no period's tier from the real backups, it does not stand for the newest verified one, and a real backup's failure still stops the sweep")
    func sanitizedBackupsAreNotRestorePoints() throws {
        var sim = RetentionSimulation()
        func record(_ id: String, at: Date, tier: RetentionTier, status: BackupStatus = .completed, sanitized: String? = nil) -> BackupRecord {
            var b = BackupRecord(id: id, environment: "prod", project: "p", storage: "s", key: id, type: .manual, status: status, includeFilestore: false,
                                 createdAt: at, tier: tier, expiresAt: sim.retention.expiry(of: tier, createdAt: at), verifiedAt: status == .completed ? at : nil,
                                 databaseName: "prod")
            b.sanitized = sanitized
            return b
        }
        // The month's first backup is a sanitized one (01:00); the scheduled one at 02:00 is still the month's (and the year's).
        let handOut = record("h", at: sim.date(2027, 1, 1, 1), tier: Retention.handOutTier, sanitized: "NEUTRALIZED")
        sim.backups = [handOut]
        #expect(sim.retention.tier(for: sim.date(2027, 1, 1, 2), earlier: sim.backups) == .yearly)

        // Later: the newest backup is sanitized, the real daily before it expired: the real one stays (newest verified real backup).
        let real = record("r", at: sim.date(2027, 1, 1, 2), tier: .daily)
        let newer = record("h2", at: sim.date(2027, 1, 20, 1), tier: .daily, sanitized: "NEUTRALIZED")
        let decisions = sim.retention.sweep([real, newer], now: sim.date(2027, 1, 21))
        #expect(decisions.first { $0.backup.id == "r" }?.delete == false, "\(decisions)")
        // A real backup failed after it: nothing is thinned, whatever sanitized backup succeeded since.
        let failed = record("f", at: sim.date(2027, 1, 21, 2), tier: .daily, status: .failed)
        let older = record("o", at: sim.date(2027, 1, 2, 2), tier: .daily)
        let blocked = sim.retention.sweep([real, older, failed, record("h3", at: sim.date(2027, 1, 21, 3), tier: .daily, sanitized: "NEUTRALIZED")],
                                          now: sim.date(2027, 1, 22))
        #expect(blocked.allSatisfy { !$0.delete }, "\(blocked)")
        // An expired sanitized backup goes.
        #expect(sim.retention.sweep([real, record("h4", at: sim.date(2027, 1, 1, 3), tier: .daily, sanitized: "NEUTRALIZED")], now: sim.date(2027, 1, 22))
            .first { $0.backup.id == "h4" }?.delete == true)
    }

    @Test("the first successful backup of each year, month and week takes the tier, also when the promotion day failed")
    func tiersOverTwoYears() throws {
        var sim = RetentionSimulation()
        let cal = sim.calendar
        // Failures: 1 March 2027 (a monthly day), Sunday 14 Feb 2027 (a weekly day), 1 Jan 2028 and 2 Jan 2028.
        let failing: Set<String> = ["2027-03-01", "2027-02-14", "2028-01-01", "2028-01-02"]
        func day(_ d: Date) -> String {
            let c = cal.dateComponents([.year, .month, .day], from: d)
            return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
        }
        sim.run(from: sim.date(2026, 12, 1), days: 731) { failing.contains(day($0)) }
        let ok = sim.succeeded

        // Exactly one yearly per calendar year, one monthly-or-better per month, one weekly-or-better per week.
        let byYear = Dictionary(grouping: ok) { cal.component(.year, from: $0.createdAt) }
        for (year, list) in byYear { #expect(list.filter { $0.tier == .yearly }.count == 1, "year \(year)") }
        let byMonth = Dictionary(grouping: ok) { cal.dateComponents([.year, .month], from: $0.createdAt) }
        for (month, list) in byMonth { #expect(list.filter { $0.tier >= .monthly }.count == 1, "month \(month)") }
        let byWeek = Dictionary(grouping: ok) { sim.retention.periodStart(.weekly, containing: $0.createdAt) }
        for (week, list) in byWeek {
            // The week's first good backup is at least weekly; no later one in that week is a weekly
            // (a monthly may still fall mid-week).
            let sorted = list.sorted { $0.createdAt < $1.createdAt }
            #expect(sorted.first!.tier >= .weekly && !sorted.dropFirst().contains { $0.tier == .weekly }, "week of \(week)")
        }

        // Promotion days that succeeded follow the seeds' rule exactly; failed ones pass the tier on.
        func tier(_ y: Int, _ m: Int, _ d: Int) -> RetentionTier? { ok.first { day($0.createdAt) == String(format: "%04d-%02d-%02d", y, m, d) }?.tier }
        #expect(tier(2027, 1, 1) == .yearly)
        #expect(tier(2027, 6, 1) == .monthly)
        #expect(tier(2027, 3, 1) == nil && tier(2027, 3, 2) == .monthly)
        #expect(tier(2027, 2, 14) == nil && tier(2027, 2, 15) == .weekly)
        #expect(tier(2028, 1, 3) == .yearly)
        #expect(tier(2027, 6, 6) == .weekly)      // a Sunday
        #expect(tier(2027, 6, 8) == .daily)       // a Tuesday
        // The golden first fortnight: a history that starts mid-year gets its yearly at once.
        let golden = ok.prefix(14).map(\.tier.badge).joined()
        #expect(golden == "YDDDDWDDDDDDWD")  // 1 Dec 2026 is a Tuesday; Sundays 6 and 13 Dec are weekly
    }

    @Test("with a frequent schedule the day's first good backup is its daily (or better) and the others are hourlies kept the hours asked; without one every backup is at least a daily")
    func hourlyTier() throws {
        var sim = RetentionSimulation(policy: RetentionPolicy(hourlyHours: 36))
        for day in 1...3 {
            for hour in [2, 8, 14, 20] {
                let at = sim.date(2027, 6, day, hour)
                // The first slot of 2 June fails: the 08:00 backup is that day's daily.
                let failed = day == 2 && hour == 2
                let tier = sim.retention.tier(for: at, earlier: sim.backups)
                sim.backups.append(BackupRecord(id: "b\(day)-\(hour)", environment: "prod", project: "p", storage: "s", key: "k", type: .scheduled,
                                                status: failed ? .failed : .completed, includeFilestore: true, createdAt: at, tier: tier,
                                                expiresAt: sim.retention.expiry(of: tier, createdAt: at), databaseName: "prod"))
            }
        }
        let badges = sim.succeeded.map(\.tier.badge).joined()
        #expect(badges == "YHHH" + "DHH" + "DHHH", "a history that starts mid-year gets its yearly at once; \(badges)")
        let hourly = try #require(sim.succeeded.first { $0.tier == .hourly })
        #expect(hourly.expiresAt == hourly.createdAt.addingTimeInterval(36 * 3600))
        var daily = RetentionSimulation()
        let first = daily.retention.tier(for: daily.date(2027, 6, 2, 2), earlier: [])
        daily.backups.append(BackupRecord(id: "a", environment: "prod", project: "p", storage: "s", key: "k", type: .scheduled, status: .completed,
                                          includeFilestore: true, createdAt: daily.date(2027, 6, 2, 2), tier: first, expiresAt: nil, databaseName: "prod"))
        #expect(daily.retention.tier(for: daily.date(2027, 6, 2, 14), earlier: daily.backups) == .daily, "a second backup of a daily schedule stays a daily")
    }

    @Test("expiry is in calendar time: a daily created before a DST change expires at the same local hour")
    func expiryAcrossDST() throws {
        let sim = RetentionSimulation()
        let created = sim.date(2027, 3, 25)  // DST starts on 28 March 2027 in Brussels
        let expires = try #require(sim.retention.expiry(of: .daily, createdAt: created))
        #expect(sim.calendar.component(.hour, from: expires) == 2 && sim.calendar.component(.day, from: expires) == 1)
        #expect(expires.timeIntervalSince(created) == 7 * 86_400 - 3_600)
        #expect(sim.retention.expiry(of: .monthly, createdAt: created) == sim.date(2028, 3, 25))
        #expect(sim.retention.expiry(of: .permanent, createdAt: created) == nil)
    }

    @Test("a sweep deletes only expired backups: never a pinned one, never the newest verified, nothing while backups fail")
    func sweepRules() throws {
        var sim = RetentionSimulation()
        sim.run(from: sim.date(2027, 1, 1), days: 120) { _ in false }
        sim.backups[3].pinned = true
        let now = sim.date(2027, 5, 1, 12)
        let plan = sim.retention.sweep(sim.backups, now: now)
        let deleted = plan.filter(\.delete).map(\.backup)
        #expect(!deleted.isEmpty)
        #expect(deleted.allSatisfy { $0.expiresAt! <= now && !$0.isPermanent })
        #expect(!deleted.contains { $0.id == "b3" })
        #expect(plan.first { $0.backup.id == "b3" }?.reason == "pinned")
        // Everything not deleted is either unexpired, permanent or the newest verified.
        #expect(plan.filter { !$0.delete }.allSatisfy { ($0.backup.expiresAt ?? .distantFuture) > now || $0.backup.isPermanent || $0.reason == "newest verified backup" })
        // Weekly and monthly copies outlive the dailies around them.
        #expect(plan.contains { !$0.delete && $0.backup.tier == .weekly } && plan.contains { !$0.delete && $0.backup.tier == .monthly })

        // When every backup is old and only the oldest is verified, that one stays.
        var old = sim.backups
        for i in old.indices { old[i].verifiedAt = i == 0 ? old[i].createdAt : nil; old[i].pinned = false; old[i].tier = .daily; old[i].expiresAt = sim.date(2027, 4, 1) }
        let kept = sim.retention.sweep(old, now: now).filter { !$0.delete }
        #expect(kept.map(\.backup.id) == ["b0"])

        // The latest backup failed: expired backups are kept until one succeeds again.
        var failing = sim.backups
        failing.append(BackupRecord(id: "bad", environment: "prod", project: "p", storage: "s", key: "kb", type: .scheduled, status: .failed,
                                    includeFilestore: true, createdAt: now, tier: .daily, expiresAt: nil, databaseName: "prod"))
        #expect(sim.retention.sweep(failing, now: now).allSatisfy { !$0.delete })
    }
}
