import Testing
@testable import DropledgerCore

@Suite struct ReasonTableTests {
    /// Shaped like Linux 6.18's BTF: the core enum, its subsystem enum, and subsystem reason enums.
    static let enums: [KernelEnum] = [
        KernelEnum(name: "skb_drop_reason", values: [
            (name: "SKB_NOT_DROPPED_YET", value: 0),
            (name: "SKB_CONSUMED", value: 1),
            (name: "SKB_DROP_REASON_NOT_SPECIFIED", value: 2),
            (name: "SKB_DROP_REASON_NO_SOCKET", value: 3),
            (name: "SKB_DROP_REASON_SOCKET_CLOSE", value: 4),
            (name: "SKB_DROP_REASON_PKT_TOO_SMALL", value: 5),
            (name: "SKB_DROP_REASON_NETFILTER_DROP", value: 12),
            (name: "SKB_DROP_REASON_OTHERHOST", value: 13),
            (name: "SKB_DROP_REASON_MAX", value: 120),
            (name: "SKB_DROP_REASON_SUBSYS_MASK", value: 0xffff_0000),
        ]),
        KernelEnum(name: "skb_drop_reason_subsys", values: [
            (name: "SKB_DROP_REASON_SUBSYS_CORE", value: 0),
            (name: "SKB_DROP_REASON_SUBSYS_MAC80211_UNUSABLE", value: 1),
            (name: "SKB_DROP_REASON_SUBSYS_OPENVSWITCH", value: 3),
            (name: "SKB_DROP_REASON_SUBSYS_NUM", value: 4),
        ]),
        KernelEnum(name: "ovs_drop_reason", values: [
            (name: "__OVS_DROP_REASON", value: 3 << 16),
            (name: "OVS_DROP_LAST_ACTION", value: 3 << 16 | 1),
            (name: "OVS_DROP_ACTION_ERROR", value: 3 << 16 | 2),
            (name: "OVS_DROP_MAX", value: 3 << 16 | 3),
        ]),
        KernelEnum(name: "mac80211_drop_reason", values: [
            (name: "RX_CONTINUE", value: 1),
            (name: "RX_QUEUED", value: 0),
            (name: "RX_DROP_MONITOR", value: 2),
            (name: "RX_DROP_U_MIC_FAIL", value: 1 << 16 | 1),
            (name: "___RX_DROP_UNUSABLE", value: 1 << 16),
        ]),
        KernelEnum(name: "unrelated_enum", values: [(name: "FOO", value: 1 << 16 | 9)]),
    ]

    let table = ReasonTable(enums: ReasonTableTests.enums)

    static let expectedNames: [(UInt32, String)] = [
        (0, "NOT_DROPPED_YET"),
        (1, "CONSUMED"),
        (2, "NOT_SPECIFIED"),
        (3, "NO_SOCKET"),
        (12, "NETFILTER_DROP"),
        (120, "UNKNOWN_120"),  // SKB_DROP_REASON_MAX is not a reason
        (3 << 16 | 1, "OVS_DROP_LAST_ACTION"),
        (3 << 16 | 2, "OVS_DROP_ACTION_ERROR"),
        (3 << 16 | 3, "UNKNOWN_196611"),  // OVS_DROP_MAX skipped
        (1 << 16 | 1, "RX_DROP_U_MIC_FAIL"),
        (65543, "UNKNOWN_65543"),
        (0xffff_0000, "UNKNOWN_4294901760"),  // SUBSYS_MASK is not a reason
        (1 << 16 | 9, "UNKNOWN_65545"),  // not from a *drop_reason enum
    ]

    @Test(arguments: expectedNames)
    func names(reason: UInt32, name: String) {
        #expect(table.name(for: reason) == name)
    }

    @Test func subsystemEnumZeroBitsAreNotReasons() {
        // RX_CONTINUE = 1 must not claim CONSUMED, nor RX_QUEUED claim NOT_DROPPED_YET.
        #expect(table.reason(named: "RX_CONTINUE") == nil)
        #expect(table.reason(named: "RX_DROP_MONITOR") == nil)
        #expect(table.reason(named: "CONSUMED") == 1)
    }

    @Test func countIncludesEveryNamedReason() {
        // 8 core (MAX and SUBSYS_MASK skipped) + 2 ovs + __OVS_DROP_REASON + 2 mac80211.
        #expect(table.count == 13)
        #expect(table.reasons.first! == (reason: 0, name: "NOT_DROPPED_YET"))
    }

    @Test func lookupByName() {
        #expect(table.reason(named: "NO_SOCKET") == 3)
        #expect(table.reason(named: "OVS_DROP_LAST_ACTION") == 196_609)
        #expect(table.reason(named: "UNKNOWN_65543") == 65543)
        #expect(table.reason(named: "SKB_DROP_REASON_NO_SOCKET") == nil)
        #expect(table.reason(named: "UNKNOWN_x") == nil)
    }

    @Test func firstNameWinsWhateverTheEnumOrder() {
        let a = KernelEnum(name: "b_drop_reason", values: [(name: "B_ONE", value: 5 << 16 | 1)])
        let b = KernelEnum(name: "a_drop_reason", values: [(name: "A_ONE", value: 5 << 16 | 1)])
        let core = KernelEnum(name: "skb_drop_reason", values: [(name: "SKB_DROP_REASON_X", value: 5 << 16 | 1)])
        for order in [[a, b, core], [core, b, a], [b, core, a]] {
            #expect(ReasonTable(enums: order).name(for: 5 << 16 | 1) == "X")
        }
        #expect(ReasonTable(enums: [a, b]).name(for: 5 << 16 | 1) == "A_ONE")
        #expect(ReasonTable(enums: [b, a]).name(for: 5 << 16 | 1) == "A_ONE")
    }

    /// A subsystem naming a reason as the core does: the later number gets `NAME_<number>`,
    /// so each number has a name of its own, whatever the enum order.
    @Test func aNameForTwoNumbersIsMadeUniqueForTheLaterOne() {
        let core = KernelEnum(name: "skb_drop_reason", values: [(name: "SKB_DROP_REASON_FOO", value: 2)])
        let subsystem = KernelEnum(name: "x_drop_reason", values: [(name: "FOO", value: 0x10001)])
        for order in [[core, subsystem], [subsystem, core]] {
            let table = ReasonTable(enums: order)
            #expect(table.name(for: 2) == "FOO")
            #expect(table.name(for: 0x10001) == "FOO_65537")
            #expect(table.reason(named: "FOO") == 2)
            #expect(table.reason(named: "FOO_65537") == 0x10001)
        }
    }

    @Test func emptyTableNamesEverythingUnknown() {
        let empty = ReasonTable(enums: [])
        #expect(empty.count == 0)
        #expect(empty.name(for: 3) == "UNKNOWN_3")
    }
}
