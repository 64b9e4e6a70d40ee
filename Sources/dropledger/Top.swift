import ArgumentParser
import DropledgerCore
import DropledgerRuntime
import Glibc

struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A live view of the customers losing the most packets right now, and why.",
        discussion: "Refreshes from a running exporter's /api/v1/customers?sort=rate. q or Ctrl-C quits.")

    @Option(help: "The exporter's base URL.")
    var url: String = "http://localhost:10437"

    @Option(help: "Seconds between refreshes.")
    var interval: Double = 1

    func validate() throws {
        guard interval >= 0.1, interval <= 3600 else { throw ValidationError("--interval must be from 0.1 to 3600 seconds") }
    }

    func run() throws {
        var stop = StopSignals.block()
        let client = APIClient(baseURL: url)
        let terminal = Terminal()
        defer { terminal.restore() }
        while true {
            let size = terminal.size
            let screen: String
            do {
                let list = try client.decode(APIModels.CustomerList.self,
                                             "/api/v1/customers?sort=rate&limit=\(max(1, size.rows - 4))")
                screen = TopScreen.render(list, url: url, width: size.columns)
            } catch {
                screen = "dropledger top: \(error)\n"
            }
            terminal.draw(screen)
            if terminal.waitForQuit(seconds: interval) || stop.pending() { break }
        }
    }
}

enum TopScreen {
    static func render(_ list: APIModels.CustomerList, url: String, width: Int) -> String {
        var lines = ["dropledger top — \(url) — \(list.tracked_customers) customers tracked — q quits", ""]
        lines.append(row("CUSTOMER", "DROPS/S", "DROPS", "TOP REASONS"))
        for c in list.customers {
            lines.append(row(c.customer, APIText.rate(c.rate), "\(c.drops)",
                             c.top_reasons.map { "\($0.reason) \($0.drops)" }.joined(separator: ", ")))
        }
        return lines.map { String($0.prefix(width)) }.joined(separator: "\n") + "\n"
    }

    private static func row(_ a: String, _ b: String, _ c: String, _ d: String) -> String {
        pad(a, 22) + " " + pad(b, 10, right: true) + " " + pad(c, 14, right: true) + "  " + d
    }

    private static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }
}
