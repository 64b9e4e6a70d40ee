/// `dropledger_tagged_packets_total`, `dropledger_tagged_bytes_total` and
/// `dropledger_customer_info`.
public enum TaggedTrafficMetrics {
    public static let packetsName = "dropledger_tagged_packets_total"
    public static let bytesName = "dropledger_tagged_bytes_total"
    public static let infoName = "dropledger_customer_info"

    /// `series`: from `TaggedTraffic.exposition(named:limit:)`; `named`: the customers the
    /// drop and tagged series name, whose names (if any) the info metric gives.
    public static func families(_ series: [(customer: DropCustomer, count: TrafficCount)], names: CustomerNames,
                                named: Set<UInt64>) -> [MetricFamily] {
        let packets = series.map { MetricSample(labels: [MetricLabel("customer", $0.customer.label)], value: .integer($0.count.packets)) }
        let bytes = series.map { MetricSample(labels: [MetricLabel("customer", $0.customer.label)], value: .integer($0.count.bytes)) }
        var info: [(id: UInt64, name: String)] = []
        for id in named { if let name = names[id] { info.append((id, name)) } }
        info.sort { $0.id < $1.id }
        return [
            MetricFamily(name: packetsName,
                         help: "Packets dropledger's XDP tagger tagged for each customer since the exporter started, on every interface it tags on this host; every customer dropledger_drops_total names is named here too, up to --max-customers in all, the others summed into other.",
                         type: .counter, samples: packets),
            MetricFamily(name: bytesName,
                         help: "Bytes of the frames (Ethernet header included) dropledger's XDP tagger tagged for each customer since the exporter started; customers as in dropledger_tagged_packets_total.",
                         type: .counter, samples: bytes),
            MetricFamily(name: infoName,
                         help: "The name of each customer the drop and tagged series name, from --customers FILE (join with group_left(name)).",
                         type: .gauge,
                         samples: info.map { MetricSample(labels: [MetricLabel("customer", String($0.id)), MetricLabel("name", $0.name)],
                                                          value: .integer(1)) }),
        ]
    }
}
