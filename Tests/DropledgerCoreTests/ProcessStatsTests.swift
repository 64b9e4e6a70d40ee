import Testing
@testable import DropledgerCore

@Suite struct ProcessStatsTests {
    // A command name with spaces and ')' — fields start after the LAST ')'.
    static let selfStat = "4242 (drop) ledger )) S 1 4242 4242 0 -1 4194560 1234 0 0 0 "
        + "250 134 0 0 20 0 3 0 51234 1234567168 6144 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n"
    static let procStat = "cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 5\nctxt 6\nbtime 1763796739\nprocesses 7\n"
    static let limits = """
        Limit                     Soft Limit           Hard Limit           Units
        Max cpu time              unlimited            unlimited            seconds
        Max open files            1024                 1048576              files
        Max locked memory         8388608              8388608              bytes

        """

    @Test func parsesSelfStatFromTheLastParenthesis() throws {
        let stat = try ProcSelfStat.parse(Self.selfStat)
        #expect(stat == ProcSelfStat(userTicks: 250, systemTicks: 134, startTicks: 51234,
                                     virtualMemoryBytes: 1_234_567_168, residentPages: 6144))
    }

    @Test func combinesTheSources() throws {
        let stats = try ProcessStats(selfStat: Self.selfStat, procStat: Self.procStat, limits: Self.limits,
                                     openFDs: 14, ticksPerSecond: 100, pageSize: 4096)
        #expect(stats.cpuSeconds == 3.84)
        #expect(stats.startTimeSeconds == 1_763_796_739 + 512.34)
        #expect(stats.residentMemoryBytes == 6144 * 4096)
        #expect(stats.virtualMemoryBytes == 1_234_567_168)
        #expect(stats.openFDs == 14)
        #expect(stats.maxFDs == 1024)
    }

    @Test func unlimitedOpenFiles() throws {
        #expect(try OpenFilesLimit.parse(limits: "Max open files            unlimited            unlimited            files\n")
                == UInt64.max)
    }

    @Test func errors() {
        #expect(throws: ProcParseError.missingCommandEnd) { try ProcSelfStat.parse("4242 (drop S 1") }
        #expect(throws: ProcParseError.tooFewStatFields(found: 3)) { try ProcSelfStat.parse("1 (x) S 1 2") }
        #expect(throws: ProcParseError.missingBootTime) { try BootTime.parse(procStat: "cpu 1 2\n") }
        #expect(throws: ProcParseError.missingOpenFilesLimit) { try OpenFilesLimit.parse(limits: "Max cpu time 1 1\n") }
        #expect(throws: ProcParseError.notANumber(field: "/proc/self/stat utime", text: "x")) {
            try ProcSelfStat.parse(Self.selfStat.replacingFirst("250", with: "x"))
        }
    }

    @Test func familiesUseTheStandardNames() {
        let stats = ProcessStats(cpuSeconds: 1.5, residentMemoryBytes: 2, virtualMemoryBytes: 3,
                                 startTimeSeconds: 4, openFDs: 5, maxFDs: 6)
        let families = ProcessMetrics.families(stats)
        #expect(families.map(\.name) == ["process_cpu_seconds_total", "process_max_fds", "process_open_fds",
                                         "process_resident_memory_bytes", "process_start_time_seconds",
                                         "process_virtual_memory_bytes"])
        #expect(families[0].type == .counter)
        #expect(families.dropFirst().allSatisfy { $0.type == .gauge })
    }
}

private extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
