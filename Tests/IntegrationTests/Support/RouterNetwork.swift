import Foundation

/// Three namespaces for forwarding tests, removed with everything in them (and the
/// tagger on the router) when the test ends, pass or fail: a client (`c1`,
/// 10.221.0.2) that routes 10.222.0.0/24 through a router (`r0` 10.221.0.1 facing
/// it, `r1` FAR.1 facing the far side, IP forwarding on), and the far side (`e1`,
/// FAR.2). Neighbours are static, so no ARP adds drops of its own; what the router
/// does with 10.222.0.0/24 (a route, a tunnel, rules) is the test's.
final class RouterNetwork {
    let client: String
    let router: String
    let far: String
    var routerPath: String { "/run/netns/\(router)" }

    init(tag: String, farSubnet: String) throws {
        let id = "\(getpid() % 100000)-\(tag)"
        client = "dlr-\(id)-c"
        router = "dlr-\(id)-r"
        far = "dlr-\(id)-f"
        do {
            try setUp(farSubnet: farSubnet)
        } catch {
            tearDown()
            throw error
        }
    }

    deinit { tearDown() }

    private func setUp(farSubnet: String) throws {
        for ns in [client, router, far] { try TestNetwork.addQuietNamespace(ns) }
        try Command.run(["ip", "link", "add", "c1", "netns", client, "type", "veth", "peer", "name", "r0", "netns", router])
        try Command.run(["ip", "link", "add", "r1", "netns", router, "type", "veth", "peer", "name", "e1", "netns", far])
        try TestNetwork.script(client, "ip addr add 10.221.0.2/24 dev c1; ip link set c1 up; ip route add 10.222.0.0/24 via 10.221.0.1")
        try TestNetwork.script(router, """
            sysctl -qw net.ipv4.ip_forward=1
            ip addr add 10.221.0.1/24 dev r0; ip link set r0 up
            ip addr add \(farSubnet).1/24 dev r1; ip link set r1 up
            """)
        try TestNetwork.script(far, "ip addr add \(farSubnet).2/24 dev e1; ip link set e1 up")
        try TestNetwork.script(client, "ip neigh replace 10.221.0.1 lladdr \(try TestNetwork.mac(router, "r0")) dev c1 nud permanent")
        try TestNetwork.script(router, """
            ip neigh replace 10.221.0.2 lladdr \(try TestNetwork.mac(client, "c1")) dev r0 nud permanent
            ip neigh replace \(farSubnet).2 lladdr \(try TestNetwork.mac(far, "e1")) dev r1 nud permanent
            """)
    }

    /// `dropledger tag` on the router's `r0` (nsenter: the host's mount namespace, where the pins stay).
    func tag(_ prefixes: [String]) throws {
        let result = try Command.capture(["nsenter", "--net=\(routerPath)", Binaries.dropledger, "tag", "--interface", "r0"]
                                         + prefixes.flatMap { ["--prefix", $0] })
        guard result.status == 0 else { throw Command.Failure(command: ["dropledger", "tag"], status: result.status, output: result.stderr) }
    }

    func tearDown() {
        _ = try? Command.capture(["nsenter", "--net=\(routerPath)", Binaries.dropledger, "untag", "--interface", "r0"])
        for ns in [client, router, far] { _ = try? Command.capture(["ip", "netns", "del", ns]) }
    }
}
