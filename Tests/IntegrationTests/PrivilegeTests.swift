import DropledgerCore
import Foundation
import Testing

/// Once loaded, attached and bound, the exporter keeps no capability at all, in
/// any of its threads; it still counts, names devices in other namespaces (through
/// its helper process, which keeps CAP_SYS_ADMIN only) and kernel functions (the
/// kallsyms descriptor it opened before dropping), and exits cleanly.
@Suite(.serialized, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct PrivilegeTests {
    static let capSysAdmin: UInt64 = 1 << 21

    /// CapInh, CapPrm, CapEff, CapBnd and CapAmb of a task, from its status file.
    static func capabilities(_ statusPath: String) throws -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in try String(contentsOfFile: statusPath, encoding: .utf8).split(separator: "\n") where line.hasPrefix("Cap") {
            let parts = line.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            result[parts[0]] = UInt64(parts[1], radix: 16)
        }
        return result
    }

    /// Each thread's id, name, SCHED_* policy and real-time priority (fields 41 and 40 of its stat file).
    static func schedulingPolicies(_ pid: Int32) throws -> [(task: String, name: String, policy: Int, priority: Int)] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").map { task in
            let stat = try String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8)
            let name = stat[stat.index(after: stat.firstIndex(of: "(")!)..<stat.lastIndex(of: ")")!]
            // Fields from the third on, after the parenthesised name.
            let fields = stat[stat.index(stat.lastIndex(of: ")")!, offsetBy: 2)...].split(separator: " ")
            return (task, String(name), Int(fields[41 - 3]) ?? -1, Int(fields[40 - 3]) ?? -1)
        }
    }

    static func waitForLog(_ exporter: ExporterProcess, _ text: String) {
        let deadline = Date.deadline(10)
        while !exporter.log().contains(text) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    }

    @Test(.needsFrameInjection) func dropsEveryCapabilityAndStillCounts() throws {
        let network = try TestNetwork(tag: "priv")
        let programsBefore = try KernelObjects.programs(named: "on_kfree_skb")
        let exporter = try ExporterProcess(arguments: ["--filter.netns", network.netnsPath])
        Self.waitForLog(exporter, "dropped capabilities")
        #expect(exporter.log().contains("kept=none"), "\(exporter.log())")

        // Every thread: credentials are per thread, /proc/PID/status shows only the main one.
        let pid = exporter.process.processIdentifier
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        #expect(tasks.count > 1)
        for task in tasks {
            let caps = try Self.capabilities("/proc/\(pid)/task/\(task)/status")
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? "?"
            #expect(caps == ["CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapBnd": 0, "CapAmb": 0], "task \(task) \(comm): \(caps)")
        }
        // The ring consumer's threads, and only they, drain at SCHED_FIFO priority 1 (set before
        // the drop): one per CPU, each pinned to its own.
        let realtime = try Self.schedulingPolicies(pid).filter { $0.policy != 0 }
        #expect(realtime.count == ProcessInfo.processInfo.activeProcessorCount, "\(realtime)")
        #expect(realtime.allSatisfy { $0.policy == 1 && $0.priority == 1 }, "\(realtime)")
        let pinned = try realtime.map { thread in
            try String(contentsOfFile: "/proc/\(pid)/task/\(thread.task)/status", encoding: .utf8)
                .split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }?
                .split(separator: "\t").last.map(String.init) ?? "?"
        }
        #expect(Set(pinned) == Set((0..<realtime.count).map(String.init)), "consumer threads pinned to \(pinned)")
        // The namespace helper: CAP_SYS_ADMIN and nothing else.
        let children = try String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)
            .split(separator: " ").compactMap { Int32($0) }
        #expect(children.count == 1)
        if let helper = children.first {
            #expect(try String(contentsOfFile: "/proc/\(helper)/comm", encoding: .utf8) == "dropledger-ns\n")
            let caps = try Self.capabilities("/proc/\(helper)/status")
            #expect(caps == ["CapInh": 0, "CapPrm": Self.capSysAdmin, "CapEff": Self.capSysAdmin,
                             "CapBnd": Self.capSysAdmin, "CapAmb": 0], "helper: \(caps)")
        }

        // Still counting, exactly, with device and function names.
        var writer = MetadataAreaWriter()
        try writer.push(type: 1, value: [0x10, 0x92])
        try network.inject(metadata: writer.bytes, count: 2500, port: 9)
        let expected: [String: UInt64] = ["4242/NO_SOCKET": 2500]
        #expect(try exporter.settledSeries(expected: expected) == expected)
        let detail = try JSONSerialization.jsonObject(with: Data(try exporter.get("/api/v1/customers/4242").body.utf8)) as? [String: Any] ?? [:]
        let devices = detail["devices"] as? [[String: Any]] ?? []
        #expect(devices.first?["interface"] as? String == network.dev, "\(devices)")
        #expect(devices.first?["netns_name"] as? String == network.receiver)
        let functions = detail["functions"] as? [[String: Any]] ?? []
        #expect(functions.first?["function"] as? String == "__udp4_lib_rcv", "\(functions)")

        // Exits cleanly: the program is detached and the helper is gone.
        #expect(exporter.stop() == 0, "exporter log:\n\(exporter.log())")
        #expect(try KernelObjects.programs(named: "on_kfree_skb", settlingTo: programsBefore) == programsBefore)
        #expect(exporter.log().contains("nothing of dropledger is left in the kernel"))
        for child in children {
            let deadline = Date.deadline(5)
            while kill(child, 0) == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            #expect(kill(child, 0) != 0, "helper \(child) outlived the exporter")
        }
    }

    /// `--ring-consumer-priority 0` keeps every thread at normal scheduling; without
    /// CAP_SYS_NICE the exporter says so, names the fix and counts all the same.
    @Test func consumerPriorityIsOptional() throws {
        let normal = try ExporterProcess(arguments: ["--ring-consumer-priority", "0"])
        Self.waitForLog(normal, "dropped capabilities")
        #expect(try Self.schedulingPolicies(normal.process.processIdentifier).allSatisfy { $0.policy == 0 })
        #expect(!normal.log().contains("normal priority"))
        #expect(normal.stop() == 0)

        let withoutNice = try ExporterProcess(arguments: [], launcher: ["setpriv", "--bounding-set=-sys_nice", "--inh-caps=-sys_nice"])
        Self.waitForLog(withoutNice, "dropped capabilities")
        #expect(try Self.schedulingPolicies(withoutNice.process.processIdentifier).allSatisfy { $0.policy == 0 })
        #expect(withoutNice.log().contains("the ring consumer runs at normal priority"), "\(withoutNice.log())")
        #expect(withoutNice.log().contains("grant CAP_SYS_NICE"))
        #expect(try withoutNice.get("/-/ready").status == 200)
        #expect(withoutNice.stop() == 0)
    }
}
