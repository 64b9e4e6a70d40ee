import ArgumentParser
import DropledgerCore
import DropledgerRuntime
import Glibc

struct Inject: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Inject UDP frames carrying a chosen metadata area into a device's receive path (tests, benchmarks).",
        discussion: """
        Frames enter the device as if received, as real skbs, with BPF_PROG_TEST_RUN live frames. \
        Run it inside the network namespace of the device (ip netns exec NS dropledger-inject ...). \
        Send only to namespaces you created: the frames are delivered for real.
        """)

    @Option(help: "Receiving device, in this network namespace.")
    var interface: String

    @Option(help: "Number of frames.")
    var count: UInt32 = 1

    @Option(help: "Metadata area as hex bytes (any bytes, malformed ones too); empty for none.")
    var meta: String = ""

    @Option(help: "Instead of --meta: the area dropledger's tagger writes for this customer ID (with its seal).")
    var customer: UInt64?

    @Option(help: "Instead of --meta: a file of areas, one hex area per line (empty line: no area), each injected --count times, in order, by this one process.")
    var areas: String?

    @Option(help: "TLV type of the --customer entry.")
    var customerType: UInt8 = 1

    @Option(help: "Destination IPv4 address (the device's own, for local delivery); not with --frame.")
    var dst: String?

    @Option(help: "Source IPv4 address; not with --frame.")
    var src: String?

    @Option(help: "Destination UDP port.")
    var dport: UInt16 = 9

    @Option(help: "Source UDP port.")
    var sport: UInt16 = 40000

    @Option(help: "UDP payload bytes.")
    var payload: Int = 18

    @Option(help: "Frames handed to the stack at a time, 1 to 256 (the kernel's default: 64).")
    var batchSize: UInt32 = 64

    @Option(help: "Send each frame inside VXLAN with this VNI (to UDP port 4789 of --dst); the inner frame goes from --inner-src to --inner-dst, the area stays before the outer Ethernet header, where a tagger on the underlay writes it.")
    var vxlan: UInt32?

    @Option(help: "With --vxlan: the inner frame's destination IPv4 address.")
    var innerDst: String?

    @Option(help: "With --vxlan: the inner frame's source IPv4 address.")
    var innerSrc: String?

    @Option(help: "With --vxlan: the inner frame's destination MAC (the VXLAN device's), aa:bb:cc:dd:ee:ff.")
    var innerMAC: String?

    @Option(help: "Instead of the UDP frame: this frame, from its Ethernet header, as hex (the destination MAC is used as given).")
    var frame: String?

    func run() throws {
        let ifindex = if_nametoindex(interface)
        guard ifindex != 0 else { throw ValidationError("no device \(interface) in this network namespace") }
        var area: [UInt8] = []
        var batch: [[UInt8]]? = nil
        if let areas {
            guard customer == nil, meta.isEmpty else { throw ValidationError("--areas excludes --meta and --customer") }
            batch = try AreasFile.read(areas)
        } else if let customer {
            guard customerType != TaggerSeal.entryType else { throw ValidationError("--customer-type must not be 0: type 0 is the tagger's seal") }
            area = TaggerSeal.area(customer: customer, customerType: customerType)
        } else {
            guard let bytes = Hex.decode(meta) else { throw ValidationError("--meta must be hex bytes, got \(meta)") }
            area = bytes
        }
        guard (1...256).contains(batchSize) else { throw ValidationError("--batch-size must be 1 to 256, got \(batchSize)") }
        let deviceMAC = try DeviceAddress.mac(of: interface)
        let frame: [UInt8]
        if let given = self.frame {
            guard vxlan == nil, dst == nil, src == nil else { throw ValidationError("--frame excludes --vxlan, --dst and --src") }
            guard let bytes = Hex.decode(given), bytes.count >= 14 else {
                throw ValidationError("--frame must be a frame of at least 14 bytes in hex, got \(given.prefix(40))")
            }
            frame = bytes
        } else {
            guard let dstAddress = dst.flatMap(IPv4.init), let srcAddress = src.flatMap(IPv4.init) else {
                throw ValidationError("--dst and --src must be IPv4 addresses (or give the whole --frame)")
            }
            frame = try udpFrame(to: deviceMAC, source: srcAddress, destination: dstAddress)
        }
        let injector = try FrameInjector()
        for metadata in batch ?? [area] {
            try injector.inject(frame: frame, metadata: metadata, ifindex: ifindex, count: count, batchSize: batchSize)
        }
    }

    /// The UDP frame of --dst, --src and the ports, or its VXLAN encapsulation with --vxlan.
    private func udpFrame(to deviceMAC: [UInt8], source srcAddress: IPv4, destination dstAddress: IPv4) throws -> [UInt8] {
        if let vxlan {
            guard let innerDst, let innerSrc, let innerMAC, let innerDstAddress = IPv4(innerDst), let innerSrcAddress = IPv4(innerSrc),
                  let innerMACBytes = Hex.decode(innerMAC), innerMACBytes.count == 6 else {
                throw ValidationError("--vxlan needs --inner-dst and --inner-src (IPv4) and --inner-mac (aa:bb:cc:dd:ee:ff)")
            }
            guard vxlan < 1 << 24 else { throw ValidationError("--vxlan must be a 24-bit VNI, got \(vxlan)") }
            let inner = UDPFrame(destinationMAC: innerMACBytes, sourceMAC: [0x02, 0, 0, 0, 0, 0x02], source: innerSrcAddress,
                                 destination: innerDstAddress, sourcePort: sport, destinationPort: dport, payloadLength: payload)
            return UDPFrame.vxlan(destinationMAC: deviceMAC, sourceMAC: [0x02, 0, 0, 0, 0, 0x01], source: srcAddress,
                                  destination: dstAddress, vni: vxlan, inner: inner).bytes
        }
        return UDPFrame(destinationMAC: deviceMAC, sourceMAC: [0x02, 0, 0, 0, 0, 0x01], source: srcAddress,
                        destination: dstAddress, sourcePort: sport, destinationPort: dport, payloadLength: payload).bytes
    }
}
