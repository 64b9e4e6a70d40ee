/// One metric family of the Prometheus text format: `# HELP`, `# TYPE` and its samples.
public struct MetricFamily: Hashable, Sendable {
    public enum MetricType: String, Hashable, Sendable {
        case counter, gauge, untyped
    }

    public var name: String
    public var help: String
    public var type: MetricType
    public var samples: [MetricSample]

    public init(name: String, help: String, type: MetricType, samples: [MetricSample]) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }
}

/// One line of a family: its labels (in output order) and value.
public struct MetricSample: Hashable, Sendable {
    public var labels: [MetricLabel]
    public var value: MetricValue

    public init(labels: [MetricLabel] = [], value: MetricValue) {
        self.labels = labels
        self.value = value
    }
}

public struct MetricLabel: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Counters stay exact integers: a Double would round values above 2^53.
public enum MetricValue: Hashable, Sendable {
    case integer(UInt64)
    case double(Double)
}
