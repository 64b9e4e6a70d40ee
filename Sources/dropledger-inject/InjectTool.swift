import ArgumentParser

/// `dropledger-inject [send] ...` injects frames (the default, so existing scripts keep working);
/// `dropledger-inject tagger-run ...` test-runs the tagger.
@main
struct InjectTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dropledger-inject",
        abstract: "Test and benchmark traffic for dropledger.",
        subcommands: [Inject.self, TaggerRun.self],
        defaultSubcommand: Inject.self)
}
