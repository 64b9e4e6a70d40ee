import CCurl
import DropledgerCore
import FoundationEssentials
import Glibc

/// Reads a running exporter's API, for `dropledger show` and `top`.
public struct APIClient: Sendable {
    public let baseURL: String

    public init(baseURL: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    /// GETs `path`; a non-2xx answer throws with the server's error message.
    public func get(_ path: String, accept: String) throws -> String {
        var result = dl_fetch_result()
        defer { free(result.body) }
        let url = baseURL + path
        _ = dl_fetch(url, accept, 5000, &result)
        let body = result.body.map { String(cString: $0) } ?? ""
        guard result.status != 0 else {
            let message = withUnsafeBytes(of: result.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw RuntimeError("cannot reach dropledger at \(baseURL): \(message)",
                               hint: "Is `dropledger serve` running? Point --url at it")
        }
        guard (200..<300).contains(result.status) else {
            let message = (try? JSONDecoder().decode(APIModels.ErrorBody.self, from: Data(body.utf8)))?.error
                ?? body.trimmingSuffix("\n")
            throw RuntimeError("\(url) answered \(result.status): \(message)")
        }
        return body
    }

    public func decode<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        let body = try get(path, accept: "application/json")
        do {
            return try JSONDecoder().decode(type, from: Data(body.utf8))
        } catch {
            throw RuntimeError("\(baseURL + path) answered something that is not dropledger's API: \(error)")
        }
    }
}
