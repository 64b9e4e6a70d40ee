@testable import DropledgerCore
import Testing

struct RateWindowTests {
    @Test func ratesCoverWholeEndedSeconds() {
        var window = RateWindow()
        // 100 drops in each second from t=1000 to t=1019 (20 s), queried at 1020.5.
        for second in 1000..<1020 { window.add(100, at: Double(second) + 0.3) }
        #expect(window.rate(over: 10, at: 1020.5) == 100)
        #expect(window.rate(over: 60, at: 1020.5) == 2000.0 / 60)
        #expect(window.rate(over: 300, at: 1020.5) == 2000.0 / 300)
        // The current, partial second does not count yet.
        window.add(5000, at: 1020.7)
        #expect(window.rate(over: 10, at: 1020.9) == 100)
        #expect(window.rate(over: 10, at: 1021.0) == (900 + 5000) / 10)
    }

    @Test func oldDropsAgeOut() {
        var window = RateWindow()
        window.add(1000, at: 50)
        #expect(window.rate(over: 10, at: 55) == 100)
        #expect(window.rate(over: 10, at: 61) == 0)
        #expect(window.rate(over: 300, at: 300) == 1000.0 / 300)
        #expect(window.rate(over: 300, at: 400) == 0)
    }
}

struct ActivityTrackerTests {
    /// Two drops of 50 bytes for each customer at one site, as a merge adds them.
    func record(_ tracker: inout ActivityTracker, _ customers: [UInt64], reason: UInt32 = 3, at time: Double) {
        for id in customers {
            tracker.add(DropSite(customer: .id(id), reason: reason, location: 0xffff_ffff_8100_0000, ifindex: 2, netnsInode: 7),
                        DropCount(drops: 2, bytes: 100), at: time)
        }
    }

    @Test func keepsTotalsTimesAndBreakdowns() {
        var tracker = ActivityTracker(capacity: 10)
        record(&tracker, [1], at: 100)
        record(&tracker, [1], reason: 5, at: 105)
        let one = tracker.customers[.id(1)]!
        #expect(one.total == DropCount(drops: 4, bytes: 200))
        #expect(one.firstSeen == 100 && one.lastSeen == 105)
        #expect(one.reasons == [3: DropCount(drops: 2, bytes: 100), 5: DropCount(drops: 2, bytes: 100)])
        #expect(one.devices == [DeviceID(ifindex: 2, netnsInode: 7): DropCount(drops: 4, bytes: 200)])
        #expect(one.locations == [0xffff_ffff_8100_0000: DropCount(drops: 4, bytes: 200)])
    }

    @Test func evictsTheLeastRecentlyDropping() {
        var tracker = ActivityTracker(capacity: 10)
        for id in UInt64(1)...10 { record(&tracker, [id], at: Double(id)) }
        record(&tracker, [1], at: 20)  // customer 1 drops again: now the most recent
        #expect(!tracker.needsEviction)
        record(&tracker, [11], at: 21)
        #expect(tracker.needsEviction)
        #expect(tracker.customers.count == 11, "eviction waits for evict()")
        tracker.evict()
        // Over the cap: down to 9, the oldest (2, 3) go first.
        #expect(tracker.customers.count == 9)
        #expect(tracker.evicted == 2)
        #expect(Set(tracker.customers.keys) == Set([1, 4, 5, 6, 7, 8, 9, 10, 11].map { DropCustomer.id($0) }))
        // Moved in place with their own detail, and still found by the index.
        for id in UInt64(4)...11 {
            let activity = tracker.customers[.id(id)]!
            #expect(activity.lastSeen == Double(id + (id == 11 ? 10 : 0)) && activity.total == DropCount(drops: 2, bytes: 100))
        }
        #expect(tracker.customers[.id(1)]!.firstSeen == 1 && tracker.customers[.id(1)]!.lastSeen == 20)
        #expect(tracker.customers[.id(2)] == nil)
    }

    /// Between two evictions (a flood of new IDs faster than maintenance), detail stops
    /// at the capacity and a tenth: known customers keep counting, new ones get none.
    @Test func newCustomersPastTheHardLimitGetNoDetail() {
        var tracker = ActivityTracker(capacity: 100)
        #expect(tracker.hardLimit == 110)
        record(&tracker, Array(1...200), at: 1)
        #expect(tracker.customers.count == 110)
        #expect(tracker.evicted == 90, "never kept counts as evicted")
        #expect(tracker.customers[.id(111)] == nil)
        record(&tracker, [5], at: 2)
        #expect(tracker.customers[.id(5)]!.total == DropCount(drops: 4, bytes: 200))
        tracker.evict()
        #expect(tracker.customers.count == 90 && tracker.evicted == 110)
        #expect(tracker.customers[.id(5)] != nil, "the most recent is kept")
        record(&tracker, [300], at: 3)
        #expect(tracker.customers[.id(300)] != nil)

        // Refused at several sites and in several merges before the next eviction: counted once.
        record(&tracker, Array(400...418), at: 4)
        #expect(tracker.customers.count == 110 && tracker.evicted == 110)
        let before = tracker.evicted
        for round in 0..<3 {
            for reason in UInt32(2)...4 {
                tracker.add(DropSite(customer: .id(500), reason: reason, location: 0xffff_ffff_8100_0000, ifindex: 2, netnsInode: 7),
                            DropCount(drops: 1, bytes: 50), at: 5 + Double(round))
            }
        }
        #expect(tracker.evicted == before + 1, "one customer refused, at three sites in three merges")
        tracker.evict()
        #expect(tracker.evicted == before + 1 + 20, "the eviction adds the 20 it evicts")
        record(&tracker, [500], at: 9)
        #expect(tracker.customers[.id(500)] != nil, "room again after the eviction")
    }

    /// Past 16 sites a customer's sites are indexed: counts stay per site.
    @Test func manySitesOfOneCustomer() {
        var tracker = ActivityTracker(capacity: 10)
        for round in 0..<3 {
            for ifindex in UInt32(1)...40 {
                tracker.add(DropSite(customer: .id(1), reason: 3, location: 0xffff_ffff_8100_0000, ifindex: ifindex, netnsInode: 7),
                            DropCount(drops: 1, bytes: UInt64(ifindex)), at: Double(round))
            }
        }
        let one = tracker.customers[.id(1)]!
        #expect(one.sites.count == 40)
        #expect(one.devices.count == 40)
        #expect(one.devices[DeviceID(ifindex: 17, netnsInode: 7)] == DropCount(drops: 3, bytes: 51))
        #expect(one.total == DropCount(drops: 120, bytes: 3 * 820))
    }
}

struct APIRequestTests {
    func parse(_ path: String, _ query: [(String, String?)] = [], method: String = "GET", accept: String? = nil) throws(APIError) -> APIRequest {
        try APIRequest(method: method, path: path, query: query.map { (name: $0.0, value: $0.1) }, accept: accept)
    }

    @Test func routesAndDefaults() throws {
        #expect(try parse("/api/v1/customers").route == .customers(limit: 100, reason: nil, sort: .drops))
        #expect(try parse("/api/v1/customers", [("limit", "5"), ("sort", "rate"), ("reason", "NO_SOCKET")]).route
                == .customers(limit: 5, reason: "NO_SOCKET", sort: .rate))
        #expect(try parse("/api/v1/customers/18446744073709551615").route == .customer(.id(.max)))
        #expect(try parse("/api/v1/customers/none").route == .customer(.none))
        #expect(try parse("/api/v1/reasons").route == .reasons(limit: 10))
    }

    @Test func negotiatesTheFormat() throws {
        #expect(try parse("/api/v1/customers").format == .json)
        #expect(try parse("/api/v1/customers", accept: "text/plain").format == .text)
        #expect(try parse("/api/v1/customers", accept: "application/json, text/plain").format == .json)
        #expect(try parse("/api/v1/customers", [("format", "text")], accept: "application/json").format == .text)
    }

    @Test(arguments: [
        ("/api/v1/customers/007x", [(String, String?)](), "GET", 400),
        ("/api/v1/customers/", [], "GET", 404),
        ("/api/v1/customers", [("limit", "100001")], "GET", 400),
        ("/api/v1/customers", [("bogus", nil)], "GET", 400),
        ("/api/v1/reasons", [("sort", "rate")], "GET", 400),
        ("/api/v1/customers", [], "DELETE", 405),
        ("/api/v2/customers", [], "GET", 404),
    ])
    func rejects(path: String, query: [(String, String?)], method: String, status: Int) {
        #expect(throws: APIError.self) { try parse(path, query, method: method) }
        do { _ = try parse(path, query, method: method) } catch { #expect(error.status == status) }
    }
}

struct KernelSymbolsTests {
    @Test func namesTheFunctionContainingAnAddress() {
        let symbols = KernelSymbols(kallsyms: """
            ffffffff81000000 T _stext
            ffffffff81a00000 t __udp4_lib_rcv
            ffffffff81a00400 T udp_rcv
            ffffffff81b00000 D some_data
            ffffffffc0100000 t veth_xmit\t[veth]
            """)
        #expect(symbols.count == 4)
        #expect(symbols.function(containing: 0xffff_ffff_81a0_03e1) == "__udp4_lib_rcv")
        #expect(symbols.function(containing: 0xffff_ffff_81a0_0400) == "udp_rcv")
        #expect(symbols.function(containing: 0xffff_ffff_c010_0010) == "veth_xmit")
        #expect(symbols.function(containing: 0x1000) == nil)
    }

    @Test func withoutRootEveryAddressIsZero() {
        #expect(KernelSymbols(kallsyms: "0000000000000000 T _stext\n0000000000000000 t udp_rcv\n").count == 0)
    }
}
