import Testing
@testable import DropledgerCore

@Suite struct ListenAddressTests {
    static let valid: [(String, String?, UInt16)] = [
        (":10437", nil, 10437),
        ("0.0.0.0:9100", "0.0.0.0", 9100),
        ("127.0.0.1:10437", "127.0.0.1", 10437),
        ("[::1]:10437", "::1", 10437),
        ("[::]:80", "::", 80),
        ("localhost:10437", "localhost", 10437),
        (":0", nil, 0),
        (":65535", nil, 65535),
        ("[fe80::1%eth0]:9", "fe80::1%eth0", 9),
    ]

    @Test(arguments: valid)
    func parses(text: String, host: String?, port: UInt16) throws {
        let address = try ListenAddress.parse(text)
        #expect(address == ListenAddress(host: host, port: port))
        #expect(address.description == text)
    }

    static let invalid: [(String, ListenAddress.ParseError)] = [
        ("", .empty),
        ("10437", .missingPort("10437")),
        ("localhost", .missingPort("localhost")),
        ("localhost:", .missingPort("localhost:")),
        ("[::1]", .missingPort("[::1]")),
        ("[::1]:", .missingPort("[::1]:")),
        (":65536", .portOutOfRange(":65536", port: "65536")),
        (":99999999999999999999", .portOutOfRange(":99999999999999999999", port: "99999999999999999999")),
        (":http", .invalidPort(":http", port: "http")),
        (":-1", .invalidPort(":-1", port: "-1")),
        (": 80", .invalidPort(": 80", port: " 80")),
        ("[::1:80", .unbalancedBrackets("[::1:80")),
        ("::1]:80", .unbalancedBrackets("::1]:80")),
        ("[[::1]]:80", .unbalancedBrackets("[[::1]]:80")),
        ("[]:80", .emptyBracketedHost("[]:80")),
        ("::1:80", .unbracketedIPv6("::1:80")),
    ]

    @Test(arguments: invalid)
    func rejects(text: String, error: ListenAddress.ParseError) {
        #expect(throws: error) { try ListenAddress.parse(text) }
    }

    @Test func errorMessagesAreClear() {
        #expect(ListenAddress.ParseError.missingPort("localhost").description
                == "listen address 'localhost' has no port; expected [host]:port, e.g. :10437")
        #expect(ListenAddress.ParseError.portOutOfRange(":65536", port: "65536").description
                == "listen address ':65536': port 65536 is larger than 65535")
    }
}
