@testable import DropledgerCore
import Foundation
import Testing

/// The API's drop and loss fields from a ledger and tagged traffic, without a kernel.
struct LossRatioAPITests {
    static func responder(trackedCustomers: Int = 100_000) -> (DropLedger, TaggedTraffic, APIResponder) {
        let ledger = DropLedger(trackedCustomers: trackedCustomers)
        let traffic = TaggedTraffic(startedAt: 0)
        let responder = APIResponder(ledger: ledger, reasons: ReasonTable(enums: []), traffic: traffic,
                                     functionName: { _ in nil }, deviceName: { _ in (nil, nil) },
                                     customerName: { $0 == 1 ? "one" : nil })
        return (ledger, traffic, responder)
    }

    static func drop(_ ledger: DropLedger, _ id: UInt64, _ count: Int, at time: Double) {
        let batch = DropTally()
        for _ in 0..<count { batch.record(DropEvent(customer: .id(id), reason: 2, length: 100)) }
        ledger.flush(batch, at: time)
    }

    func body(_ responder: APIResponder, _ path: String, now: Double) -> [String: Any] {
        let parts = path.split(separator: "?", maxSplits: 1)
        let query: [(name: String, value: String?)] = parts.count > 1 ? parts[1].split(separator: "&").map { item in
            let pair = item.split(separator: "=", maxSplits: 1)
            return (name: String(pair[0]), value: pair.count > 1 ? String(pair[1]) as String? : nil)
        } : []
        let answer = responder.respond(method: "GET", path: String(parts[0]), query: query, accept: nil, now: now)
        return (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any] ?? [:]
    }

    @Test func lossIsDropsOverTaggedAndNullWithoutTraffic() {
        let (ledger, traffic, responder) = Self.responder()
        traffic.observe([:], at: 1000)
        traffic.observe([TaggedTraffic.Source(interface: "eth0", mapID: 1, attachedAt: 1): [1: TrafficCount(packets: 400, bytes: 40000)]], at: 1000.5)
        Self.drop(ledger, 1, 100, at: 1000.7)
        Self.drop(ledger, 2, 5, at: 1000.7)  // never tagged

        let one = body(responder, "/api/v1/customers/1", now: 1012)
        #expect(one["name"] as? String == "one")
        #expect(one["tagged_packets"] as? Int == 400)
        #expect(one["loss_ratio"] as? Double == 0.25)
        let windows = one["loss_ratios"] as? [String: Any] ?? [:]
        #expect(windows["1m"] as? Double == 0.25)
        #expect(windows["10s"] as? Double == nil && windows["10s"] is NSNull, "ended: \(windows)")

        let two = body(responder, "/api/v1/customers/2", now: 1012)
        #expect(two["loss_ratio"] is NSNull, "null, present: \(two)")
        #expect(two["name"] is NSNull)
        #expect(two["tagged_packets"] as? Int == 0)

        let list = body(responder, "/api/v1/customers?sort=loss", now: 1012)
        let rows = list["customers"] as? [[String: Any]] ?? []
        #expect(rows.map { $0["customer"] as? String } == ["1", "2"], "customers with a ratio first")
        #expect(list["sort"] as? String == "loss")
    }

    /// Customer 1 drops 100, its detail is evicted, it drops 1 more: /metrics says 101,
    /// and so must the API (it said 1, `evicted: false`, loss and reasons from 1 drop),
    /// and the list, which ranks it by its detail, must show its 101.
    @Test func afterEvictionTheAPICountsWhatMetricsCounts() {
        let (ledger, traffic, responder) = Self.responder(trackedCustomers: 2)
        traffic.observe([:], at: 0)
        traffic.observe([TaggedTraffic.Source(interface: "eth0", mapID: 1, attachedAt: 1): [1: TrafficCount(packets: 202, bytes: 20200)]], at: 1)
        Self.drop(ledger, 1, 100, at: 1)
        Self.drop(ledger, 2, 50, at: 2)
        Self.drop(ledger, 3, 1, at: 3)
        ledger.maintain()   // evicts customer 1's detail: it dropped least recently
        Self.drop(ledger, 1, 1, at: 4)
        let metrics = ledger.exposition().snapshot.counters[DropKey(customer: .id(1), reason: 2)]
        #expect(metrics == DropCount(drops: 101, bytes: 10100))

        let one = body(responder, "/api/v1/customers/1", now: 5)
        #expect(one["drops"] as? Int == 101)
        #expect(one["bytes"] as? Int == 10100)
        #expect(one["loss_ratio"] as? Double == 0.5)
        #expect(one["evicted"] as? Bool == true, "the detail covers 1 drop of 101")
        let reasons = one["reasons"] as? [[String: Any]] ?? []
        #expect(reasons.map { $0["drops"] as? Int } == [101])
        #expect((one["devices"] as? [[String: Any]])?.first?["drops"] as? Int == 1, "the detail since it was seen again")

        let two = body(responder, "/api/v1/customers/2", now: 5)
        #expect(two["drops"] as? Int == 50 && two["evicted"] as? Bool == false)

        let list = body(responder, "/api/v1/customers", now: 5)
        let rows = list["customers"] as? [[String: Any]] ?? []
        // Ranked by the detail (1 drop since customer 1 was seen again), shown from the totals.
        #expect(rows.map { $0["customer"] as? String } == ["2", "1", "3"])
        let row = rows.first { $0["customer"] as? String == "1" }
        #expect(row?["drops"] as? Int == 101)
        #expect(row?["loss_ratio"] as? Double == 0.5)
        #expect((row?["top_reasons"] as? [[String: Any]])?.first?["drops"] as? Int == 101)
    }

    @Test func percentagesReadAsPeopleWriteThem() {
        #expect(APIText.percent(0.25) == "25.00%")
        #expect(APIText.percent(1) == "100.00%")
        #expect(APIText.percent(0.00004) == "0.00%")
        #expect(APIText.percent(0.123456) == "12.35%")
        #expect(APIText.percent(nil) == "-")
    }
}
