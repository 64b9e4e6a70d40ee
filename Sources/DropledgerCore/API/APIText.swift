/// The API's documents as aligned tables, for `curl -H 'Accept: text/plain'` or
/// `?format=text`, and for `dropledger show`.
public enum APIText {
    static func customers(_ list: APIModels.CustomerList) -> String {
        var table = TextTable(["CUSTOMER", "NAME", "DROPS", "BYTES", "RATE/S", "TAGGED", "LOSS", "TOP REASONS"],
                              rightAligned: [2, 3, 4, 5, 6])
        for c in list.customers {
            table.add([c.customer, c.name ?? "-", "\(c.drops)", "\(c.bytes)", rate(c.rate), "\(c.tagged_packets)",
                       percent(c.loss_ratio), c.top_reasons.map { "\($0.reason) \($0.drops)" }.joined(separator: ", ")])
        }
        let filter = list.reason.map { " with reason \($0)" } ?? ""
        return "customers\(filter), by \(list.sort) (\(list.tracked_customers) tracked, \(list.evicted_customers) evicted)\n"
            + table.render()
    }

    static func customer(_ c: APIModels.CustomerDetail) -> String {
        var text = "customer \(c.customer)\(c.name.map { " (\($0))" } ?? ""): \(c.drops) drops, \(c.bytes) bytes\n"
        if c.tagged_packets > 0 {
            text += "tagged: \(c.tagged_packets) packets, \(c.tagged_bytes) bytes; loss \(percent(c.loss_ratio)) since the exporter started\n"
            let l = c.loss_ratios
            text += "loss: \(percent(l.last10s)) over 10 s, \(percent(l.last1m)) over 1 m, \(percent(l.last5m)) over 5 m\n"
        }
        if let first = c.first_seen, let last = c.last_seen { text += "first seen \(first), last seen \(last)\n" }
        if let r = c.rates { text += "drops/s: \(rate(r.last10s)) over 10 s, \(rate(r.last1m)) over 1 m, \(rate(r.last5m)) over 5 m\n" }
        if c.evicted {
            text += c.first_seen == nil ? "(detail evicted to bound memory: totals only)\n"
                : "(detail evicted to bound memory, kept again since first seen: the totals are exact, the detail is partial)\n"
        }
        let sources = c.top_sources
        if sources.samples > 0 {
            text += "of \(sources.samples) kept samples: from " + (sources.prefixes.isEmpty ? "-" :
                sources.prefixes.map { "\($0.prefix) (\($0.samples))" }.joined(separator: ", "))
            text += "; to " + (sources.destination_ports.isEmpty ? "-" :
                sources.destination_ports.map { "\($0.protocol)/\($0.port) (\($0.samples))" }.joined(separator: ", ")) + "\n"
        }
        var reasons = TextTable(["REASON", "DROPS", "BYTES", "MEANING"], rightAligned: [1, 2])
        for r in c.reasons { reasons.add([r.reason, "\(r.drops)", "\(r.bytes)", r.description ?? ""]) }
        text += "\n" + reasons.render()
        if !c.devices.isEmpty {
            var devices = TextTable(["INTERFACE", "IFINDEX", "NETNS", "DROPS", "BYTES"], rightAligned: [1, 3, 4])
            for d in c.devices {
                devices.add([d.interface ?? "?", "\(d.ifindex)", d.netns_name.map { "\($0) (\(d.netns))" } ?? "\(d.netns)",
                             "\(d.drops)", "\(d.bytes)"])
            }
            text += "\n" + devices.render()
        }
        if !c.functions.isEmpty {
            var functions = TextTable(["FUNCTION", "DROPS", "BYTES"], rightAligned: [1, 2])
            for f in c.functions { functions.add([f.function, "\(f.drops)", "\(f.bytes)"]) }
            text += "\n" + functions.render()
        }
        return text
    }

    /// One line per sample, newest first as the API lists them.
    static func samples(_ list: APIModels.SampleList) -> String {
        var text = list.samples.map(sampleLine).joined(separator: "\n")
        if !text.isEmpty { text += "\n" }
        if let missed = list.missed, missed > 0 { text += "(\(missed) samples not kept any more)\n" }
        return text
    }

    /// What `dropledger watch` prints for a sample: time, customer and name, reason,
    /// function, interface, the packet's protocol and addresses, TCP flags, length.
    public static func sampleLine(_ s: APIModels.Sample) -> String {
        let time = s.time.split(separator: "T").last.map { String($0.dropLast()) } ?? s.time  // HH:MM:SS.mmm (UTC)
        let customer = s.customer + (s.name.map { " (\($0))" } ?? "")
        let flags = s.tcp_flags.map { $0.isEmpty ? "" : " [\($0)]" } ?? ""
        return "\(time) \(customer) \(s.reason) \(s.function ?? "?") \(s.interface ?? "ifindex \(s.ifindex)") "
            + "\(s.summary)\(flags) len \(s.length)"
    }

    static func reasons(_ list: APIModels.ReasonList) -> String {
        var table = TextTable(["REASON", "DROPS", "BYTES", "TOP CUSTOMERS", "MEANING"], rightAligned: [1, 2])
        for r in list.reasons {
            table.add([r.reason, "\(r.drops)", "\(r.bytes)",
                       r.top_customers.map { "\($0.name ?? $0.customer) \($0.drops)" }.joined(separator: ", "), r.description ?? ""])
        }
        return table.render()
    }

    /// A loss ratio as a percentage with two decimals ("12.34%"), "-" when unknown.
    public static func percent(_ ratio: Double?) -> String {
        guard let ratio, ratio.isFinite else { return "-" }
        let hundredths = Int((ratio * 10_000).rounded())
        let tail = hundredths % 100
        return "\(hundredths / 100).\(tail < 10 ? "0" : "")\(tail)%"
    }

    /// Drops per second with one decimal, as the tables and `top` show them.
    public static func rate(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// Columns padded to their widest cell.
struct TextTable {
    private var rows: [[String]]
    private let rightAligned: Set<Int>

    init(_ header: [String], rightAligned: Set<Int> = []) {
        rows = [header]
        self.rightAligned = rightAligned
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.indices.map { column in
                let cell = row[column], pad = String(repeating: " ", count: widths[column] - cell.count)
                if column == row.count - 1 && !rightAligned.contains(column) { return cell }
                return rightAligned.contains(column) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
