import PropertyBased
import Testing
@testable import DropledgerCore

@Suite struct DropTallyTests {
    /// A packet's verdict: the shared decoding, with what the program never writes as invalid.
    static func customer(status: UInt8, id: UInt64) -> DropCustomer {
        status < DropCustomer.otherStatus ? DropCustomer(status: status, id: id)! : .invalid
    }

    /// Every site of `tally` with its counts.
    static func sites(_ tally: DropTally) -> [DropSite: DropCount] {
        var sites: [DropSite: DropCount] = [:]
        tally.forEach { site, count in sites[site, default: DropCount()] += count }
        return sites
    }

    /// Same counts as a dictionary of sites, event by event, for every part of the key,
    /// across emptying.
    @Test func exactAgainstADictionary() {
        var random = Xoshiro(seed: (42, 0x9e37_79b9_7f4a_7c15, ~42, 1))
        let tally = DropTally(minimumSlots: 16)
        var tallied: [DropSite: DropCount] = [:], reference: [DropSite: DropCount] = [:]
        var events: UInt64 = 0
        for round in 0 ..< 3 {
            for _ in 0 ..< 20_000 {
                let status = UInt8.random(in: 0 ... 3, using: &random)
                let id = UInt64.random(in: 0 ... 300, using: &random) &* 0x1_0000_0001
                let reason = UInt32.random(in: 0 ... 5, using: &random) | (round == 2 ? 0x1_0000 : 0)
                let location: UInt64 = [0, 0xffff_ffff_8100_0000, 0xffff_ffff_8100_0010, 0xffff_ffff_c0de_0001][Int.random(in: 0 ..< 4, using: &random)]
                let ifindex = UInt32.random(in: 0 ... 2, using: &random)
                let netns: UInt32 = [0, 4_026_531_840, 4_026_532_000][Int.random(in: 0 ..< 3, using: &random)]
                let length = UInt32.random(in: 0 ... UInt32.max, using: &random)
                tally.record(status: status, id: id, reason: reason, location: location,
                             ifindex: ifindex, netnsInode: netns, length: length)
                let site = DropSite(customer: Self.customer(status: status, id: id), reason: reason,
                                    location: location, ifindex: ifindex, netnsInode: netns)
                reference[site, default: DropCount()] += DropCount(drops: 1, bytes: UInt64(length))
            }
            #expect(tally.events == 20_000)
            events += tally.events
            tallied.merge(Self.sites(tally)) { $0 + $1 }
            tally.removeAll()
            #expect(tally.isEmpty)
        }
        #expect(events == 60_000)
        #expect(tallied.count == reference.count)
        #expect(tallied == reference)
        #expect(tallied.values.reduce(0) { $0 + $1.drops } == 60_000)
    }

    @Test func statusAndIDBecomeTheCustomer() {
        let tally = DropTally()
        tally.record(status: 0, id: 7, reason: 2, location: 1, ifindex: 3, netnsInode: 4, length: 10)
        tally.record(status: 0, id: 0, reason: 2, location: 1, ifindex: 3, netnsInode: 4, length: 10)
        // The ID means nothing without a customer entry: not part of the key.
        tally.record(status: 1, id: 7, reason: 2, location: 1, ifindex: 3, netnsInode: 4, length: 10)
        tally.record(status: 1, id: 8, reason: 2, location: 1, ifindex: 3, netnsInode: 4, length: 10)
        tally.record(status: 2, id: 7, reason: 2, location: 1, ifindex: 3, netnsInode: 4, length: 10)
        tally.record(status: 255, id: 0, reason: 2, location: 1, ifindex: 3, netnsInode: 4, length: 10)
        func site(_ customer: DropCustomer) -> DropSite {
            DropSite(customer: customer, reason: 2, location: 1, ifindex: 3, netnsInode: 4)
        }
        #expect(tally.count == 4)
        #expect(tally[site(.id(7))] == DropCount(drops: 1, bytes: 10))
        #expect(tally[site(.id(0))] == DropCount(drops: 1, bytes: 10))
        #expect(tally[site(.none)] == DropCount(drops: 2, bytes: 20))
        #expect(tally[site(.invalid)] == DropCount(drops: 2, bytes: 20))
        #expect(tally[site(.other)] == nil)

        #expect(tally.events == 6)
        #expect(Self.sites(tally)[site(.none)] == DropCount(drops: 2, bytes: 20))
        #expect(tally.counters[DropKey(customer: .invalid, reason: 2)] == DropCount(drops: 2, bytes: 20))
    }

    /// An event of a GRO/GSO aggregate is as many drops as it held segments (0 reads as 1).
    @Test func anEventCountsItsSegments() {
        let tally = DropTally()
        tally.record(status: 0, id: 9, reason: 2, location: 1, ifindex: 3, netnsInode: 4, length: 9000, segments: 6)
        tally.record(status: 0, id: 9, reason: 2, location: 1, ifindex: 3, netnsInode: 4, length: 1500, segments: 0)
        tally.record(DropEvent(customer: .id(9), reason: 2, location: 1, ifindex: 3, netnsInode: 4, length: 3000, segments: 2))
        #expect(tally.events == 3)
        #expect(tally[DropSite(customer: .id(9), reason: 2, location: 1, ifindex: 3, netnsInode: 4)]
                == DropCount(drops: 6 + 1 + 2, bytes: 13_500))
    }

    /// Every field is part of the key: sites differing in one field only stay apart.
    @Test func everyFieldIsKey() {
        let tally = DropTally()
        let base = DropSite(customer: .id(5), reason: 2, location: 0xffff_ffff_8100_0000, ifindex: 3, netnsInode: 9)
        var sites = [base]
        for change in 0 ..< 5 {
            var site = base
            switch change {
            case 0: site.customer = .id(6)
            case 1: site.reason = 3
            case 2: site.location += 8
            case 3: site.ifindex = 4
            default: site.netnsInode = 10
            }
            sites.append(site)
        }
        // Swapping ifindex and namespace, or reason and kind, must not alias either.
        sites.append(DropSite(customer: .id(5), reason: 2, location: base.location, ifindex: 9, netnsInode: 3))
        sites.append(DropSite(customer: .none, reason: 2, location: base.location, ifindex: 3, netnsInode: 9))
        sites.append(DropSite(customer: .other, reason: 2, location: base.location, ifindex: 3, netnsInode: 9))
        for (i, site) in sites.enumerated() { tally.add(site, DropCount(drops: UInt64(i + 1), bytes: UInt64(100 * (i + 1)))) }
        #expect(tally.count == sites.count)
        #expect(tally.events == 0)
        for (i, site) in sites.enumerated() {
            #expect(tally[site] == DropCount(drops: UInt64(i + 1), bytes: UInt64(100 * (i + 1))))
        }
        let listed = Self.sites(tally)
        #expect(listed.count == sites.count)
        for (i, site) in sites.enumerated() {
            #expect(listed[site] == DropCount(drops: UInt64(i + 1), bytes: UInt64(100 * (i + 1))))
        }
    }

    /// Keys whose hashes land on one slot (the last, so the chain wraps around) are all
    /// kept apart and counted exactly, before and after the table grows.
    @Test func collisionsProbeAndWrapAround() {
        let tally = DropTally(minimumSlots: 16)
        #expect(tally.capacity == 16)
        let seed = tally.table.pointee.seed
        let location: UInt64 = 0xffff_ffff_8100_0000
        let kindReason = UInt64(2) | 1 << 32, device = UInt64(3) | UInt64(9) << 32
        var colliding: [UInt64] = []
        var id: UInt64 = 0
        while colliding.count < 8 {
            if DropTally.hash(id, location, kindReason, device, seed) & 15 == 15 { colliding.append(id) }
            id += 1
        }
        // 8 of 16 slots: no growth yet (it grows past half full), the chain runs 15, 0, 1, ...
        for (n, id) in colliding.enumerated() {
            for _ in 0 ... n {
                tally.record(status: 0, id: id, reason: 2, location: location, ifindex: 3, netnsInode: 9, length: 100)
            }
        }
        #expect(tally.capacity == 16)
        #expect(tally.count == 8)
        func site(_ id: UInt64) -> DropSite {
            DropSite(customer: .id(id), reason: 2, location: location, ifindex: 3, netnsInode: 9)
        }
        for (n, id) in colliding.enumerated() {
            #expect(tally[site(id)] == DropCount(drops: UInt64(n + 1), bytes: UInt64(100 * (n + 1))))
        }
        #expect(tally[site(id)] == nil)
        // One more key: past half full, the table doubles and rehashes.
        tally.record(status: 0, id: id, reason: 2, location: location, ifindex: 3, netnsInode: 9, length: 1)
        #expect(tally.capacity == 32)
        for (n, id) in colliding.enumerated() {
            tally.record(status: 0, id: id, reason: 2, location: location, ifindex: 3, netnsInode: 9, length: 100)
            #expect(tally[site(id)] == DropCount(drops: UInt64(n + 2), bytes: UInt64(100 * (n + 2))))
        }
        #expect(tally[site(id)] == DropCount(drops: 1, bytes: 1))
        #expect(tally.events == 36 + 1 + 8)
    }

    @Test func growsKeepsCountsAndShrinksAfterABurst() {
        let tally = DropTally(minimumSlots: 16)
        for round in 1 ... 2 {
            for id in UInt64(0) ..< 10_000 {
                tally.record(status: 0, id: id, reason: 2, location: 0, ifindex: 0, netnsInode: 0, length: UInt32(id))
            }
            #expect(tally.count == 10_000)
            #expect(tally.capacity == 32_768)
            #expect(tally[DropSite(customer: .id(9_999), reason: 2)] == DropCount(drops: UInt64(round), bytes: 9_999 * UInt64(round)))
        }
        #expect(tally.events == 20_000)
        #expect(Self.sites(tally).count == 10_000)
        #expect(tally.counters.total == DropCount(drops: 20_000, bytes: 2 * (UInt64(0) ..< 10_000).reduce(0, +)))
        tally.removeAll()
        // Still sized for a publish like that one...
        #expect(tally.capacity == 32_768)
        #expect(tally.isEmpty)
        // ...until a publish needs far less.
        tally.record(status: 1, id: 0, reason: 7, location: 0, ifindex: 0, netnsInode: 0, length: 5)
        #expect(Self.sites(tally) == [DropSite(customer: .none, reason: 7): DropCount(drops: 1, bytes: 5)])
        tally.removeAll()
        #expect(tally.capacity == 16)
        tally.record(status: 0, id: 3, reason: 2, location: 0, ifindex: 0, netnsInode: 0, length: 1)
        #expect(tally[DropSite(customer: .id(3), reason: 2)] == DropCount(drops: 1, bytes: 1))
    }

    /// Fallback deltas, decoded events and ring events add up in one tally.
    @Test func overflowEventsAndRingEventsAddUp() {
        let tally = DropTally()
        tally.recordOverflow(DropKey(customer: .id(1), reason: 2), DropCount(drops: 5, bytes: 50))
        tally.record(DropEvent(customer: .id(1), reason: 2, location: 8, length: 10))
        tally.record(status: 0, id: 1, reason: 2, location: 8, ifindex: 0, netnsInode: 0, length: 10)
        tally.record(status: 0, id: 1, reason: 2, location: 0, ifindex: 0, netnsInode: 0, length: 10)
        #expect(tally.events == 3)
        #expect(tally.overflowEvents == 5)
        let sites = Self.sites(tally)
        #expect(sites[DropSite(customer: .id(1), reason: 2, location: 8)] == DropCount(drops: 2, bytes: 20))
        #expect(sites[DropSite(customer: .id(1), reason: 2)] == DropCount(drops: 6, bytes: 60))
        #expect(tally.counters[DropKey(customer: .id(1), reason: 2)] == DropCount(drops: 8, bytes: 80))
        #expect(sites.count == 2)
    }

    /// Through the ledger, as the consumer publishes: totals and API detail.
    @Test func publishedThroughTheLedger() {
        let ledger = DropLedger()
        let tally = DropTally()
        for i in 0 ..< 1000 {
            tally.record(status: UInt8(i % 3), id: UInt64(i % 10), reason: UInt32(i % 4), location: 0xffff_ffff_8100_0000,
                         ifindex: 2, netnsInode: 4_026_531_840, length: 64)
        }
        #expect(ledger.publish(tally, at: 100))
        #expect(tally.isEmpty)
        let snapshot = ledger.snapshot()
        #expect(snapshot.events == 1000)
        #expect(snapshot.counters.total == DropCount(drops: 1000, bytes: 64_000))
        // i % 3 == 1: none, 333 events over the 4 reasons.
        #expect((0 ..< 4).reduce(0) { $0 + snapshot.counters[DropKey(customer: .none, reason: $1)]!.drops } == 333)
        #expect(snapshot.counters[DropKey(customer: .id(0), reason: 0)] == DropCount(drops: 17, bytes: 17 * 64))  // i % 60 == 0
        ledger.withActivity { activity, _ in
            let none = activity.customers[.none]!
            #expect(none.total.drops == 333)
            #expect(none.devices[DeviceID(ifindex: 2, netnsInode: 4_026_531_840)]?.drops == 333)
            #expect(none.locations[0xffff_ffff_8100_0000]?.drops == 333)
        }
    }
}
