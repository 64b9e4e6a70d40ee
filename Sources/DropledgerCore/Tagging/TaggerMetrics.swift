/// The tagger's counters as a metric family, one series per interface and result.
public enum TaggerMetrics {
    public static let packetsName = "dropledger_tagger_packets_total"

    /// `dropledger_tagger_packets_total{interface,result}`: interfaces in name order,
    /// every result present (0 when none), results in `TaggerResult` order.
    public static func family(_ counts: [String: [TaggerResult: UInt64]]) -> MetricFamily {
        var samples: [MetricSample] = []
        for interface in counts.keys.sorted() {
            let perResult = counts[interface] ?? [:]
            for result in TaggerResult.allCases {
                samples.append(MetricSample(labels: [MetricLabel("interface", interface), MetricLabel("result", result.label)],
                                            value: .integer(perResult[result] ?? 0)))
            }
        }
        return MetricFamily(name: packetsName,
                            help: "Packets seen by dropledger's XDP tagger, by interface and result (tagged, or why not).",
                            type: .counter, samples: samples)
    }
}
