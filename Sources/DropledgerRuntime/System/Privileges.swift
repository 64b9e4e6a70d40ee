import Glibc

/// What to tell a user whose kernel refused an operation for lack of privilege.
enum Privileges {
    static let hint = "Run dropledger as root, or grant it CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_RESOURCE"

    static var isRoot: Bool { geteuid() == 0 }
}
