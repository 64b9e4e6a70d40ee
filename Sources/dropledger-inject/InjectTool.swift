import ArgumentParser

/// `dropledger-inject [send] ...` injects frames (the default, so existing scripts keep working);
/// `dropledger-inject tagger-run ...` test-runs the tagger; `parse-check` the kfree_skb program's metadata parse;
/// `features` what the kernel allows.
@main
struct InjectTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dropledger-inject",
        abstract: "Test and benchmark traffic for dropledger.",
        subcommands: [Inject.self, TaggerRun.self, ParseCheck.self, Features.self],
        defaultSubcommand: Inject.self)
}
