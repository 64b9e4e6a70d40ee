/// The values behind the standard Prometheus `process_*` metrics.
public struct ProcessStats: Hashable, Sendable {
    public var cpuSeconds: Double
    public var residentMemoryBytes: UInt64
    public var virtualMemoryBytes: UInt64
    public var startTimeSeconds: Double
    public var openFDs: UInt64
    public var maxFDs: UInt64

    public init(cpuSeconds: Double, residentMemoryBytes: UInt64, virtualMemoryBytes: UInt64,
                startTimeSeconds: Double, openFDs: UInt64, maxFDs: UInt64) {
        self.cpuSeconds = cpuSeconds
        self.residentMemoryBytes = residentMemoryBytes
        self.virtualMemoryBytes = virtualMemoryBytes
        self.startTimeSeconds = startTimeSeconds
        self.openFDs = openFDs
        self.maxFDs = maxFDs
    }

    /// From the texts of `/proc/self/stat`, `/proc/stat` and `/proc/self/limits`, the
    /// number of entries in `/proc/self/fd`, `sysconf(_SC_CLK_TCK)` and the page size.
    public init(selfStat: String, procStat: String, limits: String, openFDs: UInt64,
                ticksPerSecond: UInt64, pageSize: UInt64) throws(ProcParseError) {
        let stat = try ProcSelfStat.parse(selfStat)
        let bootTime = try BootTime.parse(procStat: procStat)
        let hz = Double(max(ticksPerSecond, 1))
        self.init(
            cpuSeconds: Double(stat.userTicks + stat.systemTicks) / hz,
            residentMemoryBytes: stat.residentPages &* pageSize,
            virtualMemoryBytes: stat.virtualMemoryBytes,
            startTimeSeconds: Double(bootTime) + Double(stat.startTicks) / hz,
            openFDs: openFDs,
            maxFDs: try OpenFilesLimit.parse(limits: limits))
    }
}
