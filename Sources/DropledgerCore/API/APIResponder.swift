import FoundationEssentials

/// Answers API requests from the ledger. Names of kernel functions and devices come
/// from the runtime (kallsyms, network namespaces) through the two closures.
public struct APIResponder: Sendable {
    public typealias FunctionName = @Sendable (UInt64) -> String?
    public typealias DeviceName = @Sendable (DeviceID) -> (interface: String?, netnsName: String?)
    public typealias CustomerName = @Sendable (UInt64) -> String?

    public struct Response: Sendable {
        public let status: Int
        public let contentType: String
        public let body: [UInt8]
    }

    let ledger: DropLedger
    let reasons: ReasonTable
    let functionName: FunctionName
    let deviceName: DeviceName
    let traffic: TaggedTraffic
    let customerName: CustomerName
    /// nil when sampling is off (`--samples.rate 0`).
    let samples: SampleStore?

    /// `traffic`: what the taggers tagged, for loss ratios; `customerName`: `--customers FILE`.
    public init(ledger: DropLedger, reasons: ReasonTable, traffic: TaggedTraffic = TaggedTraffic(startedAt: 0),
                functionName: @escaping FunctionName, deviceName: @escaping DeviceName,
                customerName: @escaping CustomerName = { _ in nil }, samples: SampleStore? = nil) {
        self.samples = samples
        self.ledger = ledger
        self.reasons = reasons
        self.traffic = traffic
        self.functionName = functionName
        self.deviceName = deviceName
        self.customerName = customerName
    }

    /// `now`: Unix seconds, for the rates.
    public func respond(method: String, path: String, query: [(name: String, value: String?)], accept: String?,
                        now: Double) -> Response {
        let request: APIRequest
        do {
            request = try APIRequest(method: method, path: path, query: query, accept: accept)
        } catch {
            return Self.error(error, text: accept.map { $0.contains("text/plain") } ?? false)
        }
        do {
            switch request.route {
            case .customers(let limit, let reason, let sort):
                return Self.render(try customers(limit: limit, reason: reason, sort: sort, now: now), request.format,
                                   text: APIText.customers)
            case .customer(let id):
                return Self.render(try customer(id, now: now), request.format, text: APIText.customer)
            case .reasons(let limit):
                return Self.render(reasonList(limit: limit), request.format, text: APIText.reasons)
            case .samples(let customer, let reason, let limit, let pcapng):
                let kept = try sampleStore().samples(of: customer, reason: try reasonNumber(reason), limit: limit)
                let documents = kept.samples.map(sampleDocument)
                if pcapng {
                    return Response(status: 200, contentType: Self.pcapngType,
                                    body: PcapNGWriter.file(documents.reversed().map(\.pcapngPacket)))
                }
                return Self.render(APIModels.SampleList(samples: documents, last: kept.last, missed: nil),
                                   request.format, text: APIText.samples)
            case .recentSamples(let after, let customer, let reason, let limit):
                let page = try sampleStore().recent(after: after, customer: customer, reason: try reasonNumber(reason), limit: limit)
                return Self.render(APIModels.SampleList(samples: page.samples.map(sampleDocument), last: page.last,
                                                        missed: after == nil ? nil : page.missed),
                                   request.format, text: APIText.samples)
            }
        } catch {
            return Self.error(error, text: request.format == .text)
        }
    }

    // MARK: Documents

    func customers(limit: Int, reason: String?, sort: APIRequest.Sort, now: Double) throws(APIError) -> APIModels.CustomerList {
        let reasonNumber = try reasonNumber(reason)
        let tagged = traffic.totals()
        return ledger.withActivity { activity, totals in
            // A row keeps what sorting needs, not the customer's whole detail (240 bytes
            // each: 100k rows of it were the API's largest allocation). Ranked by the
            // detail's counts, which are the ledger's unless a customer was evicted and
            // seen again (`evicted`); the rows shown count from the ledger's totals, as
            // /metrics does. (Ranking every customer of the ledger instead took a table of
            // all of them per request: +9 MiB at the peak under a forged-ID flood.)
            typealias Row = (customer: DropCustomer, count: DropCount, rate: Double, totalDrops: UInt64)
            var rows: [Row] = []
            rows.reserveCapacity(activity.customers.count)
            for (customer, record) in activity.customers {
                let count: DropCount
                if let reasonNumber {
                    guard let perReason = record.sites.reduce(into: nil as DropCount?, { sum, site in
                        if site.key.reason == reasonNumber { sum = (sum ?? DropCount()) + site.value }
                    }) else { continue }
                    count = perReason
                } else {
                    count = record.total
                }
                rows.append((customer, count, record.window.rate(over: 10, at: now), record.total.drops))
            }
            // The loss ratio counts all of a customer's drops, whatever `reason` filters.
            func traffic(_ customer: DropCustomer) -> TrafficCount {
                if case .id(let id) = customer { return tagged[id] ?? TrafficCount() }
                return TrafficCount()
            }
            func loss(_ row: Row) -> Double? {
                Self.ratio(row.totalDrops, traffic(row.customer).packets)
            }
            switch sort {
            case .drops: rows.sort { ($0.count.drops, $1.customer) > ($1.count.drops, $0.customer) }
            case .rate: rows.sort { ($0.rate, $0.count.drops, $1.customer) > ($1.rate, $1.count.drops, $0.customer) }
            case .loss:
                // Customers without tagged traffic (no ratio) last, by drops.
                let ratios = rows.map { loss($0) ?? -1 }
                let order = rows.indices.sorted { (ratios[$0], rows[$0].count.drops, rows[$1].customer) > (ratios[$1], rows[$1].count.drops, rows[$0].customer) }
                rows = order.map { rows[$0] }
            }
            rows = Array(rows.prefix(limit))
            var reasonsOf: [DropCustomer: [UInt32: DropCount]] = [:]
            for row in rows { reasonsOf[row.customer] = [:] }
            for (key, count) in totals.counters where reasonsOf[key.customer] != nil {
                reasonsOf[key.customer]![key.reason, default: DropCount()] += count
            }
            for i in rows.indices {
                let reasons = reasonsOf[rows[i].customer] ?? [:]
                rows[i].count = reasonNumber.map { reasons[$0] ?? DropCount() } ?? reasons.values.reduce(DropCount(), +)
                rows[i].totalDrops = reasons.values.reduce(0) { $0 + $1.drops }
            }
            let summaries = rows.map { row in
                let t = traffic(row.customer)
                let reasons = reasonCounts(reasonsOf[row.customer] ?? [:])
                return APIModels.CustomerSummary(customer: row.customer.label, name: name(row.customer), drops: row.count.drops,
                                                 bytes: row.count.bytes, rate: row.rate, tagged_packets: t.packets,
                                                 tagged_bytes: t.bytes, loss_ratio: loss(row),
                                                 top_reasons: Array(reasons.prefix(3)))
            }
            return APIModels.CustomerList(customers: summaries, sort: sort.rawValue, reason: reason,
                                          tracked_customers: activity.customers.count, evicted_customers: activity.evicted)
        }
    }

    func customer(_ customer: DropCustomer, now: Double) throws(APIError) -> APIModels.CustomerDetail {
        let (record, totals, folded) = ledger.withActivity { activity, totals in
            (activity.customers[customer], totals.counters.filter { $0.key.customer == customer },
             totals.customersSummedIntoOther > 0)
        }
        let tagged: TaggedTraffic.Customer?
        if case .id(let id) = customer { tagged = traffic.customer(id) } else { tagged = nil }
        let taggedTotal = tagged?.total ?? TrafficCount()
        // Drops, bytes and reasons from the ledger's totals, as /metrics counts them; the
        // activity record gives only where, when and how fast.
        let byReason = Dictionary(totals.map { ($0.key.reason, $0.value) }, uniquingKeysWith: +)
        let total = totals.reduce(DropCount()) { $0 + $1.value }
        guard let record else {
            // Evicted: the exact totals are still there, the detail is not.
            guard !totals.isEmpty || tagged != nil else { throw .notFound("customer \(customer.label) has no drops") }
            // Tagged and never dropped: a loss of 0. Unless memory was bounded by summing
            // customers into `other`: then its drops may be there, and its loss is unknown.
            let neverDropped = totals.isEmpty && !folded
            return APIModels.CustomerDetail(customer: customer.label, name: name(customer), drops: total.drops, bytes: total.bytes,
                                            tagged_packets: taggedTotal.packets, tagged_bytes: taggedTotal.bytes,
                                            loss_ratio: totals.isEmpty && folded ? nil : Self.ratio(total.drops, taggedTotal.packets),
                                            loss_ratios: lossRatios(drops: neverDropped ? RateWindow() : nil, tagged: tagged, now: now),
                                            first_seen: nil, last_seen: nil, rates: nil, reasons: reasonCounts(byReason),
                                            devices: [], functions: [], evicted: !neverDropped,
                                            top_sources: topSources(customer))
        }
        // The record counts what the totals do unless its detail was evicted and started
        // again when the customer was seen again (or the totals were folded into `other`).
        let partial = record.total != total
        var functions: [String: DropCount] = [:]
        for (location, count) in record.locations {
            let name = location == 0 ? "(unknown: ring overflow)" : functionName(location) ?? "0x" + String(location, radix: 16)
            functions[name, default: DropCount()] += count
        }
        let devices = record.devices.sorted { $0.key < $1.key }.map { device, count in
            let name = device.ifindex == 0 && device.netnsInode == 0 ? (interface: nil, netnsName: nil) : deviceName(device)
            return APIModels.DeviceCount(interface: name.interface, ifindex: device.ifindex, netns: device.netnsInode,
                                         netns_name: name.netnsName, drops: count.drops, bytes: count.bytes)
        }.sorted { ($0.drops, $1.netns, $1.ifindex) > ($1.drops, $0.netns, $0.ifindex) }
        return APIModels.CustomerDetail(
            customer: customer.label, name: name(customer), drops: total.drops, bytes: total.bytes,
            tagged_packets: taggedTotal.packets, tagged_bytes: taggedTotal.bytes,
            loss_ratio: Self.ratio(total.drops, taggedTotal.packets),
            loss_ratios: lossRatios(drops: record.window, tagged: tagged, now: now),
            first_seen: Timestamp.iso8601(record.firstSeen), last_seen: Timestamp.iso8601(record.lastSeen),
            rates: APIModels.Rates(last10s: record.window.rate(over: 10, at: now), last1m: record.window.rate(over: 60, at: now),
                                   last5m: record.window.rate(over: 300, at: now)),
            reasons: reasonCounts(byReason),
            devices: devices,
            functions: functions.map { APIModels.FunctionCount(function: $0.key, drops: $0.value.drops, bytes: $0.value.bytes) }
                .sorted { ($0.drops, $1.function) > ($1.drops, $0.function) },
            evicted: partial, top_sources: topSources(customer))
    }

    private func reasonNumber(_ reason: String?) throws(APIError) -> UInt32? {
        guard let reason else { return nil }
        guard let number = reasons.reason(named: reason) else {
            throw .badRequest("unknown reason '\(reason)'; names are as in dropledger_drops_total, e.g. NO_SOCKET")
        }
        return number
    }

    // MARK: Samples

    private func sampleStore() throws(APIError) -> SampleStore {
        guard let samples else {
            throw .notFound("sampling is off (--samples.rate 0): start the exporter with a rate to keep samples of dropped packets")
        }
        return samples
    }

    func topSources(_ customer: DropCustomer, limit: Int = 5) -> APIModels.TopSources {
        let kept = samples?.samples(of: customer).samples ?? []
        var prefixes: [String: Int] = [:], ports: [String: (proto: String, port: UInt16, count: Int)] = [:]
        for sample in kept {
            guard let headers = sample.headers else { continue }
            if let prefix = headers.sourcePrefix { prefixes[prefix, default: 0] += 1 }
            if let port = headers.destinationPort, let proto = headers.tcp != nil ? "tcp" : headers.udp != nil ? "udp" : nil {
                ports[proto + "/" + String(port), default: (proto, port, 0)].count += 1
            }
        }
        return APIModels.TopSources(
            samples: kept.count,
            prefixes: prefixes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(limit)
                .map { APIModels.PrefixCount(prefix: $0.key, samples: $0.value) },
            destination_ports: ports.values.sorted { ($0.count, $1.proto, $1.port) > ($1.count, $0.proto, $0.port) }.prefix(limit)
                .map { APIModels.PortCount(protocol: $0.proto, port: $0.port, samples: $0.count) })
    }

    private func place(_ sample: DropSample) -> (function: String?, interface: String?, netnsName: String?) {
        let device = sample.device.ifindex == 0 && sample.device.netnsInode == 0
            ? (interface: nil, netnsName: nil) : deviceName(sample.device)
        return (functionName(sample.location), device.interface, device.netnsName)
    }

    func sampleDocument(_ sample: DropSample) -> APIModels.Sample {
        let (function, interface, netnsName) = place(sample)
        let headers = sample.headers
        return APIModels.Sample(
            sequence: sample.sequence, time: Timestamp.iso8601(Double(sample.timeNanoseconds) / 1e9),
            time_unix_ns: sample.timeNanoseconds, customer: sample.customer.label, name: name(sample.customer),
            reason: reasons.name(for: sample.reason), function: function, interface: interface,
            ifindex: sample.device.ifindex, netns: sample.device.netnsInode, netns_name: netnsName,
            length: sample.wireLength, segments: sample.segments, link: sample.link.map(Self.linkName),
            summary: headers?.summary ?? "(no headers)", tcp_flags: headers?.tcpFlagsText,
            headers: headers, bytes: HexText.bytes(sample.bytes))
    }

    static func linkName(_ link: SampleLinkType) -> String {
        switch link {
        case .ethernet: "ethernet"
        case .rawIP: "raw_ip"
        }
    }

    func reasonList(limit: Int) -> APIModels.ReasonList {
        // Under the ledger's lock rather than from a snapshot: no copy of the whole table.
        var byReason: [UInt32: (count: DropCount, customers: [(DropCustomer, DropCount)])] = [:]
        ledger.withActivity { _, totals in
            for (key, count) in totals.counters {
                byReason[key.reason, default: (DropCount(), [])].count += count
                byReason[key.reason, default: (DropCount(), [])].customers.append((key.customer, count))
            }
        }
        let summaries = byReason.map { reason, entry in
            let top = entry.customers.sorted { ($0.1.drops, $1.0) > ($1.1.drops, $0.0) }.prefix(limit)
            let reasonName = reasons.name(for: reason)
            return APIModels.ReasonSummary(
                reason: reasonName, description: ReasonDescriptions.description(of: reasonName),
                drops: entry.count.drops, bytes: entry.count.bytes,
                top_customers: top.map { APIModels.CustomerCount(customer: $0.0.label, name: name($0.0),
                                                                 drops: $0.1.drops, bytes: $0.1.bytes) })
        }
        return APIModels.ReasonList(reasons: summaries.sorted { ($0.drops, $1.reason) > ($1.drops, $0.reason) })
    }

    private func reasonCounts(_ counts: [UInt32: DropCount]) -> [APIModels.ReasonCount] {
        counts.map {
            let reason = reasons.name(for: $0.key)
            return APIModels.ReasonCount(reason: reason, description: ReasonDescriptions.description(of: reason),
                                         drops: $0.value.drops, bytes: $0.value.bytes)
        }.sorted { ($0.drops, $1.reason) > ($1.drops, $0.reason) }
    }

    private func name(_ customer: DropCustomer) -> String? {
        if case .id(let id) = customer { return customerName(id) }
        return nil
    }

    /// `drops / tagged`, nil without tagged packets.
    static func ratio(_ drops: UInt64, _ tagged: UInt64) -> Double? {
        tagged == 0 ? nil : Double(drops) / Double(tagged)
    }

    /// Loss over each window from the same kind of buckets on both sides (`RateWindow`),
    /// so both cover the same seconds. `drops` nil: none kept (evicted detail): unknown.
    private func lossRatios(drops: RateWindow?, tagged: TaggedTraffic.Customer?, now: Double) -> APIModels.LossRatios {
        func over(_ seconds: Int) -> Double? {
            guard let drops, let tagged else { return nil }
            return Self.ratio(drops.count(over: seconds, at: now), tagged.window.count(over: seconds, at: now))
        }
        return APIModels.LossRatios(last10s: over(10), last1m: over(60), last5m: over(300))
    }

    // MARK: Rendering

    static let jsonType = "application/json; charset=utf-8"
    static let textType = "text/plain; charset=utf-8"
    /// No registered type for pcap-ng; Wireshark's own is this.
    static let pcapngType = "application/x-pcapng"

    static func render<T: Encodable>(_ document: T, _ format: APIRequest.Format, text: (T) -> String) -> Response {
        switch format {
        case .json: Response(status: 200, contentType: jsonType, body: json(document))
        case .text: Response(status: 200, contentType: textType, body: Array(text(document).utf8))
        }
    }

    static func error(_ error: any Error, text: Bool) -> Response {
        let apiError = error as? APIError ?? .badRequest("\(error)")
        if text {
            return Response(status: apiError.status, contentType: textType, body: Array("error: \(apiError)\n".utf8))
        }
        return Response(status: apiError.status, contentType: jsonType,
                        body: json(APIModels.ErrorBody(error: apiError.description, status: apiError.status)))
    }

    /// Pretty-printed with sorted keys, so the same data always reads the same.
    static func json<T: Encodable>(_ document: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(document)) ?? Data("{}".utf8)) + [0x0a]
    }
}
