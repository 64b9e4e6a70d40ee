import Foundation
import Testing
@testable import DropledgerCore

@Suite struct ReasonDescriptionsTests {
    @Test func socketReceiveBufferReadsAsTheReceiveBuffer() throws {
        let text = try #require(ReasonDescriptions.description(of: "SOCKET_RCVBUFF"))
        #expect(text.contains("receive buffer"), "\(text)")
    }

    @Test func pseudoReasonsAndTheUnspecifiedOneAreDescribed() {
        #expect(ReasonDescriptions.description(of: "CONSUMED") == "freed normally, not a drop (consumed)")
        #expect(ReasonDescriptions.description(of: "NOT_SPECIFIED") != nil)
        #expect(ReasonDescriptions.description(of: "NOT_DROPPED_YET") != nil)
    }

    @Test func everyDescriptionIsOneShortLine() {
        #expect(ReasonDescriptions.texts.count >= 131)
        for (name, text) in ReasonDescriptions.texts.sorted(by: { $0.key < $1.key }) {
            #expect(!text.trimmingCharacters(in: .whitespaces).isEmpty, "\(name) is empty")
            let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).count
            #expect(lines == 1, "\(name) is not one line: \(text)")
            #expect(text.count <= 80, "\(name) has \(text.count) characters: \(text)")
            #expect(!text.hasSuffix("."), "\(name) ends in a period: \(text)")
            #expect(text.first?.isLowercase == true, "\(name) does not start in lower case: \(text)")
            #expect(text == text.trimmingCharacters(in: .whitespaces), "\(name) has outer spaces: \(text)")
        }
    }

    @Test func namesAreTheLabelsNotTheEnumerators() {
        // The reason label drops SKB_DROP_REASON_ (ReasonTable); the enumerator is not a label.
        #expect(ReasonDescriptions.description(of: "SKB_DROP_REASON_SOCKET_RCVBUFF") == nil)
        #expect(ReasonDescriptions.description(of: "socket_rcvbuff") == nil)
    }

    @Test func anUnknownNameHasNoDescription() {
        #expect(ReasonDescriptions.description(of: "NO_SUCH_REASON") == nil)
        #expect(ReasonDescriptions.description(of: "UNKNOWN_131") == nil)
        #expect(ReasonDescriptions.description(of: "") == nil)
    }

    /// The reason names of the kernels the matrix runs besides the host's (whose own names
    /// IntegrationTests' ReasonDescriptionCoverageTests checks), as ReasonTable names them,
    /// from the BTF of Debian's 6.1.176 and 6.12.117 kernels.
    static let linux6_1 = [
        "NOT_DROPPED_YET", "NOT_SPECIFIED", "NO_SOCKET", "PKT_TOO_SMALL", "TCP_CSUM", "SOCKET_FILTER",
        "UDP_CSUM", "NETFILTER_DROP", "OTHERHOST", "IP_CSUM", "IP_INHDR", "IP_RPFILTER",
        "UNICAST_IN_L2_MULTICAST", "XFRM_POLICY", "IP_NOPROTO", "SOCKET_RCVBUFF", "PROTO_MEM",
        "TCP_MD5NOTFOUND", "TCP_MD5UNEXPECTED", "TCP_MD5FAILURE", "SOCKET_BACKLOG", "TCP_FLAGS",
        "TCP_ZEROWINDOW", "TCP_OLD_DATA", "TCP_OVERWINDOW", "TCP_OFOMERGE", "TCP_RFC7323_PAWS",
        "TCP_INVALID_SEQUENCE", "TCP_RESET", "TCP_INVALID_SYN", "TCP_CLOSE", "TCP_FASTOPEN",
        "TCP_OLD_ACK", "TCP_TOO_OLD_ACK", "TCP_ACK_UNSENT_DATA", "TCP_OFO_QUEUE_PRUNE", "TCP_OFO_DROP",
        "IP_OUTNOROUTES", "BPF_CGROUP_EGRESS", "IPV6DISABLED", "NEIGH_CREATEFAIL", "NEIGH_FAILED",
        "NEIGH_QUEUEFULL", "NEIGH_DEAD", "TC_EGRESS", "QDISC_DROP", "CPU_BACKLOG", "XDP", "TC_INGRESS",
        "UNHANDLED_PROTO", "SKB_CSUM", "SKB_GSO_SEG", "SKB_UCOPY_FAULT", "DEV_HDR", "DEV_READY",
        "FULL_RING", "NOMEM", "HDR_TRUNC", "TAP_FILTER", "TAP_TXFILTER", "ICMP_CSUM", "INVALID_PROTO",
        "IP_INADDRERRORS", "IP_INNOROUTES", "PKT_TOO_BIG",
    ]

    static let linux6_12 = [
        "NOT_DROPPED_YET", "CONSUMED", "NOT_SPECIFIED", "NO_SOCKET", "SOCKET_CLOSE", "SOCKET_FILTER",
        "SOCKET_RCVBUFF", "UNIX_SKIP_OOB", "PKT_TOO_SMALL", "TCP_CSUM", "UDP_CSUM", "NETFILTER_DROP",
        "OTHERHOST", "IP_CSUM", "IP_INHDR", "IP_RPFILTER", "UNICAST_IN_L2_MULTICAST", "XFRM_POLICY",
        "IP_NOPROTO", "PROTO_MEM", "TCP_AUTH_HDR", "TCP_MD5NOTFOUND", "TCP_MD5UNEXPECTED",
        "TCP_MD5FAILURE", "TCP_AONOTFOUND", "TCP_AOUNEXPECTED", "TCP_AOKEYNOTFOUND", "TCP_AOFAILURE",
        "SOCKET_BACKLOG", "TCP_FLAGS", "TCP_ABORT_ON_DATA", "TCP_ZEROWINDOW", "TCP_OLD_DATA",
        "TCP_OVERWINDOW", "TCP_OFOMERGE", "TCP_RFC7323_PAWS", "TCP_OLD_SEQUENCE",
        "TCP_INVALID_SEQUENCE", "TCP_INVALID_ACK_SEQUENCE", "TCP_RESET", "TCP_INVALID_SYN",
        "TCP_CLOSE", "TCP_FASTOPEN", "TCP_OLD_ACK", "TCP_TOO_OLD_ACK", "TCP_ACK_UNSENT_DATA",
        "TCP_OFO_QUEUE_PRUNE", "TCP_OFO_DROP", "IP_OUTNOROUTES", "BPF_CGROUP_EGRESS", "IPV6DISABLED",
        "NEIGH_CREATEFAIL", "NEIGH_FAILED", "NEIGH_QUEUEFULL", "NEIGH_DEAD", "TC_EGRESS",
        "SECURITY_HOOK", "QDISC_DROP", "FQ_BAND_LIMIT", "FQ_HORIZON_LIMIT", "FQ_FLOW_LIMIT",
        "CPU_BACKLOG", "XDP", "TC_INGRESS", "UNHANDLED_PROTO", "SKB_CSUM", "SKB_GSO_SEG",
        "SKB_BAD_GSO", "SKB_UCOPY_FAULT", "DEV_HDR", "DEV_READY", "FULL_RING", "NOMEM", "HDR_TRUNC",
        "TAP_FILTER", "TAP_TXFILTER", "ICMP_CSUM", "INVALID_PROTO", "IP_INADDRERRORS", "IP_INNOROUTES",
        "PKT_TOO_BIG", "DUP_FRAG", "FRAG_REASM_TIMEOUT", "FRAG_TOO_FAR", "TCP_MINTTL",
        "IPV6_BAD_EXTHDR", "IPV6_NDISC_FRAG", "IPV6_NDISC_HOP_LIMIT", "IPV6_NDISC_BAD_CODE",
        "IPV6_NDISC_BAD_OPTIONS", "IPV6_NDISC_NS_OTHERHOST", "QUEUE_PURGE", "TC_COOKIE_ERROR",
        "PACKET_SOCK_ERROR", "TC_CHAIN_NOTFOUND", "TC_RECLASSIFY_LOOP", "VXLAN_INVALID_HDR",
        "VXLAN_VNI_NOT_FOUND", "MAC_INVALID_SOURCE", "VXLAN_ENTRY_EXISTS", "NO_TX_TARGET",
        "IP_TUNNEL_ECN", "TUNNEL_TXINFO", "LOCAL_MAC",
    ]

    @Test(arguments: ["6.1", "6.12"])
    func coversEveryReasonOfLinux(_ version: String) throws {
        let names = try #require(["6.1": Self.linux6_1, "6.12": Self.linux6_12][version])
        let missing = names.filter { ReasonDescriptions.description(of: $0) == nil }
        #expect(missing.isEmpty, "Linux \(version) reasons without a description: \(missing)")
    }
}
