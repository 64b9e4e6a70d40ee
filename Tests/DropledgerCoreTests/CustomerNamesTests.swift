import DropledgerCore
import Testing

/// `--customers FILE`: what is accepted, and every bad line named by FILE:LINE.
struct CustomerNamesTests {
    @Test func readsIDsAndNamesWithCommentsAndSpaces() throws {
        let names = try CustomerNames.parse("""
            # customers of the edge
            101 acme-video
            202\tglobex shop   # a name may hold spaces
              18446744073709551615   the last one

            0 zero
            """, file: "c.txt")
        #expect(names.names == [101: "acme-video", 202: "globex shop", 18446744073709551615: "the last one", 0: "zero"])
        #expect(names[7] == nil)
        let windows = try CustomerNames.parse("1 one\r\n2 two\r\n", file: "w.txt")
        #expect(windows.names == [1: "one", 2: "two"], "CRLF lines")
    }

    @Test(arguments: [
        ("101 a\nx102 b\n", "c.txt:2: 'x102' is not a customer ID (a decimal number from 0 to 18446744073709551615); lines are 'ID NAME'"),
        ("101\n", "c.txt:1: customer 101 has no name; lines are 'ID NAME'"),
        ("101 # only a comment\n", "c.txt:1: customer 101 has no name; lines are 'ID NAME'"),
        ("18446744073709551616 big\n", "c.txt:1: '18446744073709551616' is not a customer ID (a decimal number from 0 to 18446744073709551615); lines are 'ID NAME'"),
        ("+101 plus\n", "c.txt:1: '+101' is not a customer ID (a decimal number from 0 to 18446744073709551615); lines are 'ID NAME'"),
        ("7 caf\u{FFFD}\n", "c.txt:1: the name of customer 7 is not valid UTF-8"),
        ("-1 minus\n", "c.txt:1: '-1' is not a customer ID (a decimal number from 0 to 18446744073709551615); lines are 'ID NAME'"),
        ("5 a\n\n5 b\n", "c.txt:3: customer 5 is already named on line 1"),
        ("5 bell\u{7}\n", "c.txt:1: the name of customer 5 holds the control character U+7"),
        ("5 " + String(repeating: "n", count: 129) + "\n", "c.txt:1: the name of customer 5 is 129 characters long; at most 128"),
    ])
    func badLinesAreNamedByFileAndLine(text: String, message: String) {
        #expect(throws: CustomerNames.ParseError.self) { try CustomerNames.parse(text, file: "c.txt") }
        do {
            _ = try CustomerNames.parse(text, file: "c.txt")
        } catch {
            #expect(error.description == message)
        }
    }
}
