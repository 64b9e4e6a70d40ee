import DropledgerCore
import Foundation
import Testing

/// `dropledger demo` for a bounded time, as CI runs it: three customers, each with
/// several drop reasons, and nothing of the lab left afterwards.
@Suite(.serialized, .enabled(if: Privilege.kernelTestsEnabled, "needs root (set DROPLEDGER_SKIP_ROOT_TESTS=1 to skip)"))
struct DemoTests {
    @Test func showsThreeCustomersWithSeveralReasonsAndCleansUp() throws {
        let programsBefore = try KernelObjects.programs(named: "on_kfree_skb")
        let demo = try ExporterProcess(subcommand: "demo", arguments: ["--duration", "12"])
        Thread.sleep(forTimeInterval: 4)
        let series = try demo.series()
        // Where the kernel refuses XDP metadata writes the demo runs without its tagger
        // (HostKernel): the same drops, all for `none`, and it says so.
        let customers = HostKernel.tagsPackets ? ["101", "202", "303"] : ["none"]
        for customer in customers {
            let reasons = series.filter { $0.key.hasPrefix(customer + "/") && $0.value > 0 }.map(\.key)
            #expect(reasons.count >= 3, "customer \(customer) has reasons \(reasons.sorted())")
        }
        if HostKernel.tagsPackets {
            // The heavier customer loses more: attribution follows the traffic.
            #expect((series["101/NO_SOCKET"] ?? 0) > (series["303/NO_SOCKET"] ?? 0))
        } else {
            #expect(demo.log().contains("the demo runs without the tagger"), "\(demo.log())")
            #expect(series.keys.allSatisfy { $0.hasPrefix("none/") }, "\(series)")
        }
        if HostKernel.tagsPackets {
            // Names and loss ratios while it runs.
            let answer = try demo.get("/api/v1/customers")
            let list = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
            let rows = list?["customers"] as? [[String: Any]] ?? []
            let names = Dictionary(rows.compactMap { row in (row["customer"] as? String).map { ($0, row["name"] as? String) } },
                                   uniquingKeysWith: { a, _ in a })
            #expect(names["101"] == "acme-video" && names["202"] == "globex-shop" && names["303"] == "initech-api", "\(rows)")
            for row in rows where row["customer"] as? String != "none" {
                let loss = row["loss_ratio"] as? Double ?? 0
                #expect(loss > 0 && loss < 1, "part delivered, part dropped: \(row)")
            }
        }

        // Last while it runs: promtool takes seconds to start under qemu's emulation.
        let lint = try Command.capture(["promtool", "check", "metrics"], input: try demo.metricsText())
        #expect(lint.status == 0, "promtool: \(lint.stdout)\(lint.stderr)")

        demo.process.waitUntilExit()
        #expect(demo.process.terminationStatus == 0, "demo log:\n\(demo.log())")
        #expect(demo.log().contains("The lab is removed."))
        if HostKernel.tagsPackets {
            // Every packet the clients sent to a customer was tagged for it, exactly.
            let lines = demo.log().matches(of: /\ \ (\d+) +(\S+) +sent (\d+) tagged (\d+) dropped (\d+) loss (\S+)/)
            #expect(lines.map { String($0.output.1) } == ["101", "202", "303"], "\(demo.log())")
            for line in lines {
                let sent = UInt64(line.output.3)!, tagged = UInt64(line.output.4)!, dropped = UInt64(line.output.5)!
                #expect(sent > 0 && tagged == sent, "customer \(line.output.1): sent \(sent), tagged \(tagged)")
                #expect(dropped > 0 && dropped < sent, "customer \(line.output.1): part delivered, part dropped")
                #expect(String(line.output.6) == APIText.percent(Double(dropped) / Double(sent)))
            }
        }
        let namespaces = try Command.run(["ip", "netns", "list"])
        #expect(!namespaces.contains("dldemo"), "left: \(namespaces)")
        #expect(try KernelObjects.programs(named: "on_kfree_skb", settlingTo: programsBefore) == programsBefore)
        #expect(try KernelObjects.programs(named: "tag_customer", settlingTo: []) == [])
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/bpf/dropledger/tag-uplink"))
    }
}
