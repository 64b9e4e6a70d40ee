import ArgumentParser

@main
struct Dropledger: ParsableCommand {
    static let version = "0.2.0"

    static let configuration = CommandConfiguration(
        commandName: "dropledger",
        abstract: "Attribute the kernel's packet drops to customers and export them to Prometheus.",
        discussion: """
        A BPF program on the skb:kfree_skb tracepoint reads the customer ID that an XDP \
        program stored in each packet's metadata area, together with the kernel's drop \
        reason, and dropledger serves exact counts per customer and reason on /metrics.
        """,
        version: version,
        subcommands: [Serve.self, Demo.self, Tag.self, Untag.self, Show.self, Top.self, Watch.self, Capture.self, Cleanup.self],
        defaultSubcommand: Serve.self)
}
