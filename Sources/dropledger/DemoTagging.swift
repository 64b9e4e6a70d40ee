import DropledgerCore
import DropledgerDemo
import DropledgerRuntime
import Logging

/// Tags the demo edge's uplink with the lab's prefixes, from inside the edge's namespace.
enum DemoTagging {
    static func tag(mode: TaggerConfiguration.Mode, logger: Logger) throws {
        var table = PrefixTable()
        try table.add(file: DemoLab.prefixesFile, name: "demo prefixes")
        let prefixes = table.entries
        _ = try NetworkNamespace.run(in: DemoLab.edge) {
            try Tagger.tag(interface: DemoLab.uplink, prefixes: prefixes, configuration: TaggerConfiguration(mode: mode),
                           pinsOutliveProcess: false, logger: logger)
        }
    }

    static func untag() {
        _ = try? Tagger.untag(interface: DemoLab.uplink)
    }
}
