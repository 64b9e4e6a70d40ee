/// `dropledger_build_info{version, kernel} 1`: lets dashboards join on version and kernel.
public struct BuildInfo: Hashable, Sendable {
    public var version: String
    /// The running kernel's release (`uname -r`).
    public var kernel: String

    public init(version: String, kernel: String) {
        self.version = version
        self.kernel = kernel
    }

    public var family: MetricFamily {
        MetricFamily(
            name: "dropledger_build_info",
            help: "A metric with a constant '1' value labeled by the dropledger version and the running kernel release.",
            type: .gauge,
            samples: [MetricSample(labels: [MetricLabel("version", version), MetricLabel("kernel", kernel)], value: .integer(1))])
    }
}
