/// The standard `process_*` families, with the help texts of the Prometheus Go client
/// so dashboards and alerts written for other exporters work unchanged.
public enum ProcessMetrics {
    public static func families(_ stats: ProcessStats) -> [MetricFamily] {
        func single(_ name: String, _ help: String, _ type: MetricFamily.MetricType, _ value: MetricValue) -> MetricFamily {
            MetricFamily(name: name, help: help, type: type, samples: [MetricSample(value: value)])
        }
        return [
            single("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", .counter, .double(stats.cpuSeconds)),
            single("process_max_fds", "Maximum number of open file descriptors.", .gauge, .integer(stats.maxFDs)),
            single("process_open_fds", "Number of open file descriptors.", .gauge, .integer(stats.openFDs)),
            single("process_resident_memory_bytes", "Resident memory size in bytes.", .gauge, .integer(stats.residentMemoryBytes)),
            single("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", .gauge, .double(stats.startTimeSeconds)),
            single("process_virtual_memory_bytes", "Virtual memory size in bytes.", .gauge, .integer(stats.virtualMemoryBytes)),
        ]
    }
}
