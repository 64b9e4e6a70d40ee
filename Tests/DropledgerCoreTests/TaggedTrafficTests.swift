import DropledgerCore
import Foundation
import PropertyBased
import Testing

/// Tagged traffic as the exporter adds it up from the taggers' cumulative counts,
/// and as `/metrics` serves it.
struct TaggedTrafficTests {
    typealias Source = TaggedTraffic.Source
    /// The exporter starts at 1000 (boot-clock nanoseconds); eth0's tagger was attached later.
    static let started: UInt64 = 1000
    static let eth0 = Source(interface: "eth0", mapID: 10, attachedAt: 2000)

    static func counts(_ pairs: [UInt64: UInt64]) -> [UInt64: TrafficCount] {
        pairs.mapValues { TrafficCount(packets: $0, bytes: $0 * 100) }
    }

    @Test func whatATaggerCountedBeforeTheStartIsTheBaseline() {
        let traffic = TaggedTraffic(startedAt: Self.started)
        let early = Source(interface: "eth9", mapID: 9, attachedAt: 500)
        traffic.observe([early: Self.counts([1: 500, 2: 7])], at: 100)
        #expect(traffic.totals().isEmpty, "counted before the exporter started")
        traffic.observe([early: Self.counts([1: 530, 2: 7, 3: 4])], at: 101)
        #expect(traffic.totals() == Self.counts([1: 30, 3: 4]))
    }

    /// Unreadable at first: its baseline is still what it had when first seen.
    @Test func anEarlyTaggerFirstSeenLateStillStartsFromItsBaseline() {
        let traffic = TaggedTraffic(startedAt: Self.started)
        let early = Source(interface: "eth9", mapID: 9, attachedAt: 500)
        traffic.observe([:], unreadable: ["eth9"], at: 100)
        traffic.observe([early: Self.counts([1: 500])], at: 101)
        traffic.observe([early: Self.counts([1: 510])], at: 102)
        #expect(traffic.totals() == Self.counts([1: 10]))
    }

    @Test func aTaggerAttachedLaterCountsFromItsStart() {
        let traffic = TaggedTraffic(startedAt: Self.started)
        traffic.observe([:], at: 100)
        let eth1 = Source(interface: "eth1", mapID: 11, attachedAt: 3000)
        traffic.observe([eth1: Self.counts([1: 40])], at: 101)
        traffic.observe([eth1: Self.counts([1: 45])], at: 102)
        #expect(traffic.totals() == Self.counts([1: 45]))
    }

    @Test func untaggingKeepsTheCountsAndRetaggingStartsAgainFromZero() {
        let traffic = TaggedTraffic(startedAt: Self.started)
        traffic.observe([:], at: 100)
        traffic.observe([Self.eth0: Self.counts([1: 40])], at: 101)
        traffic.observe([:], at: 102)  // untagged: its pins are gone
        #expect(traffic.totals() == Self.counts([1: 40]))
        let again = Source(interface: "eth0", mapID: 12, attachedAt: 4000)  // tagged again: a new map
        traffic.observe([again: Self.counts([1: 5])], at: 103)
        #expect(traffic.totals() == Self.counts([1: 45]))
    }

    @Test func anUnreadableTaggerIsNotCountedTwice() {
        let traffic = TaggedTraffic(startedAt: Self.started)
        traffic.observe([:], at: 100)
        traffic.observe([Self.eth0: Self.counts([1: 40])], at: 101)
        traffic.observe([:], unreadable: ["eth0"], at: 102)
        traffic.observe([Self.eth0: Self.counts([1: 42])], at: 103)
        #expect(traffic.totals() == Self.counts([1: 42]))
    }

    @Test func windowsHoldTheTrafficOfTheirSeconds() {
        let traffic = TaggedTraffic(startedAt: Self.started)
        traffic.observe([:], at: 1000)
        traffic.observe([Self.eth0: Self.counts([1: 50])], at: 1000.5)
        traffic.observe([Self.eth0: Self.counts([1: 80])], at: 1001.5)
        let customer = traffic.customer(1)
        #expect(customer?.window.rate(over: 10, at: 1002.2) == 8)   // 80 packets over 10 s
        #expect(customer?.window.rate(over: 10, at: 1012.2) == 0)
        #expect(traffic.customer(2) == nil)
    }

    /// The served series: the drop exposition's named customers by ID, others in
    /// `other`; while the named set changes no series ever shows less than it once
    /// showed (not only at the scrape before), and every packet is in the growth of
    /// exactly one series.
    @Test func servedSeriesNeverDecreaseAndCountEveryPacketOnce() async {
        // Steps: (customer 0-7, packets 0-50, named set as a bit mask).
        let step = zip(Gen.int(in: 0...7), Gen.int(in: 0...50), Gen.int(in: 0...255))
        await propertyCheck(count: 300, input: step.array(of: 1...60)) { steps in
            let traffic = TaggedTraffic(startedAt: Self.started)
            traffic.observe([:], at: 0)
            var cumulative: [UInt64: UInt64] = [:]
            // The last value ever served for each series, served now or not.
            var lastServed: [String: UInt64] = [:]
            for (i, (customer, packets, mask)) in steps.enumerated() {
                cumulative[UInt64(customer), default: 0] += UInt64(packets)
                traffic.observe([Self.eth0: Self.counts(cumulative)], at: Double(i + 1))
                let named = Set((0..<8).filter { mask & (1 << $0) != 0 }.map(UInt64.init))
                let exposed = traffic.exposition(named: named, limit: 3)
                #expect(exposed.named.isSuperset(of: named) && exposed.named.count <= max(3, named.count))
                let now = Dictionary(uniqueKeysWithValues: exposed.series.map { ($0.customer.label, $0.count.packets) })
                for (label, value) in now {
                    if let before = lastServed[label] { #expect(value >= before, "\(label) went from \(before) to \(value)") }
                }
                if let other = lastServed["other"] { #expect(now["other"] != nil, "other vanished after \(other)") }
                for label in now.keys where label != "other" { #expect(exposed.named.contains(UInt64(label)!), "\(label) is not named") }
                lastServed.merge(now) { $1 }
                let total = cumulative.values.reduce(0, +)
                #expect(lastServed.values.reduce(0, +) == total, "every packet in the growth of exactly one series")
                // While no series has vanished, the served ones alone sum to the total.
                if now.count == lastServed.count { #expect(now.values.reduce(0, +) == total) }
            }
        }
    }

    /// The reviewer's case: with one customer named, A is named, then B, then A again:
    /// A resumes from what it showed, `other` never goes down, every packet once.
    @Test func aCustomerNamedAgainResumesFromWhatItShowed() {
        let traffic = TaggedTraffic(startedAt: Self.started)
        traffic.observe([:], at: 0)
        func scrape(_ a: UInt64, _ b: UInt64) -> [String: UInt64] {
            traffic.observe([Self.eth0: [1: TrafficCount(packets: a, bytes: a), 2: TrafficCount(packets: b, bytes: b)]], at: 1)
            return Dictionary(uniqueKeysWithValues: traffic.exposition(named: [], limit: 1).series.map { ($0.customer.label, $0.count.packets) })
        }
        #expect(scrape(10, 5) == ["1": 10, "other": 5])
        #expect(scrape(10, 11) == ["2": 6, "other": 5])     // A retired at 10; B's burst in its own series
        #expect(scrape(12, 11) == ["1": 12, "other": 5])    // A resumes from 10; B retired at 6
        #expect(scrape(12, 20) == ["2": 15, "other": 5])    // B resumes from 6; A retired at 12
    }
}
