@testable import DropledgerCore
import Testing

struct SampleStoreTests {
    /// An Ethernet + IPv4 + UDP frame from 10.0.<customer>.1 with a 4-byte payload.
    static func frame(customer: UInt8, port: UInt16 = 53) -> [UInt8] {
        [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
         0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, customer, 1, 10, 9, 9, 9,
         0x9c, 0x40, UInt8(port >> 8), UInt8(port & 0xff), 0, 12, 0, 0,
         0xde, 0xad, 0xbe, 0xef]
    }

    static func sample(_ customer: DropCustomer, reason: UInt32 = 2, byte: UInt8 = 1, port: UInt16 = 53,
                       payload: Bool = false) -> DropSample {
        DropSample(timeNanoseconds: 1, customer: customer, reason: reason, location: 0,
                   device: DeviceID(ifindex: 1, netnsInode: 2), wireLength: 46, segments: 1, link: .ethernet,
                   copied: frame(customer: byte, port: port), payload: payload)
    }

    @Test func keepsOnlyHeadersUnlessPayloadIsAllowed() {
        let headersOnly = Self.sample(.id(1))
        #expect(headersOnly.bytes == Array(Self.frame(customer: 1).prefix(42)))
        #expect(headersOnly.headers?.summary == "udp 10.0.1.1:40000 > 10.9.9.9:53")
        #expect(headersOnly.headers?.undecoded == "", "the payload must not be kept as hex either")
        let withPayload = Self.sample(.id(1), payload: true)
        #expect(withPayload.bytes == Self.frame(customer: 1))
        #expect(withPayload.headers?.undecoded == "deadbeef")
    }

    /// Headers are decoded from the kept bytes when asked for: the same headers as the
    /// bytes the kernel copied gave, only without the payload's hex.
    @Test func keptBytesDecodeToTheCopiedHeaders() {
        let copied = Self.frame(customer: 3)
        var full = PacketHeaders.decode(copied, link: .ethernet)
        #expect(full.undecoded == "deadbeef")
        full.undecoded = ""
        #expect(Self.sample(.id(1), byte: 3).headers == full)
    }

    @Test func putsBackAVLANTagTheKernelTookOut() {
        let sample = DropSample(timeNanoseconds: 1, customer: .none, reason: 2, location: 0,
                                device: DeviceID(ifindex: 1, netnsInode: 2), wireLength: 46, segments: 1, link: .ethernet,
                                copied: Self.frame(customer: 1), vlan: (tpid: 0x8100, tci: 0x2064))
        #expect(sample.wireLength == 50)
        #expect(Array(sample.bytes[12..<18]) == [0x81, 0x00, 0x20, 0x64, 0x08, 0x00])
        #expect(sample.headers?.vlans.map(\.id) == [100])
        #expect(sample.headers?.vlans.first?.priority == 1)
        #expect(sample.bytes.count == 46)
    }

    @Test func noLinkMeansNoBytes() {
        let sample = DropSample(timeNanoseconds: 1, customer: .none, reason: 2, location: 0,
                                device: DeviceID(ifindex: 1, netnsInode: 2), wireLength: 46, segments: 1, link: nil,
                                copied: [1, 2, 3])
        #expect(sample.bytes.isEmpty && sample.headers == nil)
    }

    @Test func keepsTheNewestPerCustomerNewestFirst() {
        let store = SampleStore(keep: 3)
        store.add((1...5).map { Self.sample(.id(7), byte: UInt8($0)) } + [Self.sample(.id(8), reason: 9)])
        let seven = store.samples(of: .id(7))
        #expect(seven.samples.map(\.sequence) == [5, 4, 3])
        #expect(seven.last == 6)
        #expect(store.samples(of: .id(7), reason: 2, limit: 2).samples.map(\.sequence) == [5, 4])
        #expect(store.samples(of: .id(8)).samples.map(\.reason) == [9])
        #expect(store.samples(of: .id(7), reason: 9).samples.isEmpty)
        #expect(store.samples(of: .id(9)).samples.isEmpty)
    }

    /// Any number of customers, bounded memory: those sampled least recently are forgotten.
    @Test func forgetsTheLeastRecentlySampledCustomers() {
        let store = SampleStore(keep: 2, customers: 8, recent: 16)
        for id in 0..<1000 { store.add([Self.sample(.id(UInt64(id)))]) }
        let statistics = store.statistics
        #expect(statistics.customers <= 8 + 1)
        #expect(statistics.received == 1000)
        #expect(statistics.forgottenCustomers == UInt64(1000 - statistics.customers))
        #expect(store.samples(of: .id(999)).samples.count == 1)
        #expect(store.samples(of: .id(0)).samples.isEmpty)
    }

    @Test func followsWithAfterAndSaysWhatItMissed() {
        let store = SampleStore(keep: 10, recent: 4)
        store.add((1...3).map { Self.sample(.id(UInt64($0))) })
        let first = store.recent(after: 0)
        #expect(first.samples.map(\.sequence) == [1, 2, 3] && first.last == 3 && first.missed == 0)
        #expect(store.recent(after: 3).samples.isEmpty && store.recent(after: 3).last == 3)
        store.add((4...9).map { Self.sample(.id(UInt64($0))) })
        // Only the last 4 are kept in arrival order: 4 and 5 were missed.
        let behind = store.recent(after: 3)
        #expect(behind.samples.map(\.sequence) == [6, 7, 8, 9] && behind.missed == 2 && behind.last == 9)
        // Pages: a full page ends at its last sample.
        let page = store.recent(after: 5, limit: 2)
        #expect(page.samples.map(\.sequence) == [6, 7] && page.last == 7)
        #expect(store.recent(after: 7, customer: .id(9)).samples.map(\.sequence) == [9])
        // Without `after`: the newest `limit`, oldest first, and where to follow from.
        let newest = store.recent(after: nil, limit: 2)
        #expect(newest.samples.map(\.sequence) == [8, 9] && newest.last == 9)
    }

    @Test func topSourcesCountTheKeptSamples() throws {
        let store = SampleStore(keep: 10)
        store.add([Self.sample(.id(1), byte: 5, port: 53), Self.sample(.id(1), byte: 5, port: 53),
                   Self.sample(.id(1), byte: 6, port: 80)])
        let responder = APIResponder(ledger: DropLedger(trackedCustomers: 10, exposedCustomers: 10), reasons: ReasonTable(enums: []),
                                     functionName: { _ in nil }, deviceName: { _ in (nil, nil) }, samples: store)
        let sources = responder.topSources(.id(1))
        #expect(sources.samples == 3)
        #expect(sources.prefixes == [APIModels.PrefixCount(prefix: "10.0.5.0/24", samples: 2),
                                     APIModels.PrefixCount(prefix: "10.0.6.0/24", samples: 1)])
        #expect(sources.destination_ports == [APIModels.PortCount(protocol: "udp", port: 53, samples: 2),
                                              APIModels.PortCount(protocol: "udp", port: 80, samples: 1)])
    }
}

/// The sample routes of the API, parsed: what each accepts and how it says no.
struct SampleRequestTests {
    func route(_ path: String, _ query: [(name: String, value: String?)] = []) throws(APIError) -> APIRequest.Route {
        try APIRequest(method: "GET", path: path, query: query, accept: nil).route
    }

    @Test func routes() throws {
        #expect(try route("/api/v1/customers/42/samples") == .samples(.id(42), reason: nil, limit: 100, pcapng: false))
        #expect(try route("/api/v1/customers/none/samples.pcapng", [("reason", "NO_SOCKET"), ("limit", "5")])
                == .samples(.none, reason: "NO_SOCKET", limit: 5, pcapng: true))
        #expect(try route("/api/v1/samples") == .recentSamples(after: nil, customer: nil, reason: nil, limit: 100))
        #expect(try route("/api/v1/samples", [("after", "17"), ("customer", "9")])
                == .recentSamples(after: 17, customer: .id(9), reason: nil, limit: 100))
    }

    @Test func badRequestsSayWhatIsWrong() {
        func message(_ path: String, _ query: [(name: String, value: String?)] = []) -> String {
            do { _ = try route(path, query); return "accepted" } catch { return error.description }
        }
        #expect(message("/api/v1/samples", [("after", "+3")]).contains("after must be a sample's sequence number"))
        #expect(message("/api/v1/samples", [("customer", "acme")]).contains("'acme' is not a customer"))
        #expect(message("/api/v1/customers/x/samples").contains("'x' is not a customer"))
        #expect(message("/api/v1/customers/1/samples.pcapng", [("format", "text")]).contains("unknown query parameter 'format'"))
        #expect(message("/api/v1/customers/1/pcap").contains("no such API path"))
    }

    @Test func samplesOffIsNotFoundWithTheFlagToTurnThemOn() {
        let responder = APIResponder(ledger: DropLedger(), reasons: ReasonTable(enums: []),
                                     functionName: { _ in nil }, deviceName: { _ in (nil, nil) })
        let answer = responder.respond(method: "GET", path: "/api/v1/samples", query: [], accept: nil, now: 0)
        #expect(answer.status == 404)
        #expect(String(decoding: answer.body, as: UTF8.self).contains("sampling is off (--samples.rate 0)"))
    }
}
