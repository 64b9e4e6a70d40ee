import ArgumentParser
import DropledgerCore
import DropledgerRuntime
import Glibc

struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A live view of the customers losing the most packets right now, and why.",
        discussion: "Refreshes from a running exporter's /api/v1/customers?sort=SORT. q or Ctrl-C quits.")

    @Option(help: "The exporter's base URL.")
    var url: String = "http://localhost:10437"

    @Option(help: "Order: rate (drops/s over 10 s), loss (drops / tagged packets) or drops (since the exporter started).")
    var sort: APIRequest.Sort = .rate

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
                                             "/api/v1/customers?sort=\(sort.rawValue)&limit=\(max(1, size.rows - 4))")
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
        var lines = ["dropledger top — \(url) — by \(list.sort) — \(list.tracked_customers) customers tracked — q quits", ""]
        lines.append(row("CUSTOMER", "NAME", "DROPS/S", "LOSS", "DROPS", "TOP REASONS"))
        for c in list.customers {
            lines.append(row(c.customer, c.name ?? "-", APIText.rate(c.rate), APIText.percent(c.loss_ratio), "\(c.drops)",
                             c.top_reasons.map { r in "\(r.reason) \(r.drops)" + (r.description.map { " (\($0))" } ?? "") }
                                 .joined(separator: ", ")))
        }
        return lines.map { String($0.prefix(width)) }.joined(separator: "\n") + "\n"
    }

    private static func row(_ customer: String, _ name: String, _ rate: String, _ loss: String, _ drops: String,
                            _ reasons: String) -> String {
        pad(customer, 20) + " " + pad(String(name.prefix(16)), 16) + " " + pad(rate, 10, right: true) + " "
            + pad(loss, 8, right: true) + " " + pad(drops, 14, right: true) + "  " + reasons
    }

    private static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }
}
extension APIRequest.Sort: ExpressibleByArgument {}
