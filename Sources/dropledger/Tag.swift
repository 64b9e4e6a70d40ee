import ArgumentParser
import DropledgerCore
import DropledgerRuntime
import Logging
import Glibc

struct Tag: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach dropledger's XDP tagger to an interface: it writes each packet's customer into its metadata.",
        discussion: """
        The customer is chosen by longest-prefix match on the packet's destination address \
        (or source, with --match source), IPv4 and IPv6, behind up to two VLAN tags, and pushed \
        onto the packet's metadata area as a TLV entry on top of any entries already there. \
        Packets that match no prefix, are not IP, or whose area is full pass untagged and are counted.

        Prefixes: a CIDR with no host bits set; customers are decimal IDs 1...18446744073709551615 \
        (0 is reserved). The same prefix may be given only once (across flags and files); nested \
        prefixes of different lengths are fine and the longest match wins. A prefixes file has one \
        'CIDR CUSTOMER' per line; '#' starts a comment; blank lines are ignored.

        The attachment is pinned under /sys/fs/bpf/dropledger/tag-IFNAME/ and outlives this command. \
        Running tag again on the same interface replaces the whole mapping in place (no detach, no \
        untagged packets in between). `dropledger untag` removes it. Inside a network namespace, run \
        it with `nsenter --net=/run/netns/NAME` (not `ip netns exec`, which hides /sys/fs/bpf).
        """)

    @Option(help: "Interface to tag, in this network namespace.")
    var interface: String

    @Option(name: .customLong("prefix"), help: ArgumentHelp("A prefix and its customer, e.g. 192.0.2.0/24=42 (repeatable).",
                                                             valueName: "CIDR=CUSTOMER"))
    var prefixFlags: [String] = []

    @Option(name: .customLong("prefixes"), help: ArgumentHelp("A file of 'CIDR CUSTOMER' lines.", valueName: "file"))
    var prefixesFile: String?

    @Option(name: .customLong("xdp-mode"),
            help: "native (the driver runs it; fails if the driver has no XDP support) or generic (any device, slower). No fallback.")
    var xdpMode: TaggerConfiguration.Mode = .native

    @Option(help: "Which address picks the customer: destination or source.")
    var match: TaggerConfiguration.Match = .destination

    @Option(name: .customLong("customer-tlv-type"), help: "TLV type of the customer entry (1-255; 0 is the type of the seal the tagger writes first); serve's flag must agree.")
    var customerTLVType: UInt8 = 1

    func validate() throws {
        guard customerTLVType != 0 else {
            throw ValidationError("--customer-tlv-type 0 is taken: the tagger's seal (a check and a guard entry) ends every area it makes, both of type 0; use 1 to 255")
        }
    }

    func run() throws {
        let table = try Self.prefixTable(flags: prefixFlags, file: prefixesFile)
        do {
            let outcome = try Tagger.tag(interface: interface, prefixes: table.entries,
                                         configuration: TaggerConfiguration(mode: xdpMode, match: match,
                                                                            customerTLVType: customerTLVType),
                                         logger: Logger(label: "dropledger"))
            switch outcome {
            case .attached(let count):
                print("tagged \(interface) (\(xdpMode.rawValue) XDP) with \(count) prefixes; pinned at \(Tagger.pinDirectory(interface: interface))")
            case .updated(let added, let changed, let removed):
                print("updated the tagger on \(interface) in place: \(added) prefixes added, \(changed) changed, \(removed) removed")
            }
        } catch let error as RuntimeError {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }

    static func prefixTable(flags: [String], file: String?) throws -> PrefixTable {
        var table = PrefixTable()
        do {
            if let file {
                do {
                    try PrefixesFile.read(file, into: &table)
                } catch let error as RuntimeError {
                    throw ValidationError("--prefixes: \(error)")
                }
            }
            for flag in flags { try table.add(flag: flag) }
        } catch let error as PrefixTableError {
            throw ValidationError(error.description)
        }
        guard !table.entries.isEmpty else {
            throw ValidationError("no prefixes: give --prefix CIDR=CUSTOMER or --prefixes FILE")
        }
        return table
    }
}

extension TaggerConfiguration.Mode: ExpressibleByArgument {}
extension TaggerConfiguration.Match: ExpressibleByArgument {}

func printError(_ line: String) {
    var text = line + "\n"
    _ = text.withUTF8 { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
