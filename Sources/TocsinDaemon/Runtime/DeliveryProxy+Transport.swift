import TocsinCore
import TocsinTransport

extension DeliveryProxy {
    /// The transport's form of the config's choice.
    var transportProxy: CurlTransport.Proxy {
        switch self {
        case .none: .none
        case .environment: .environment
        case .url(let secret): .url(secret.reveal())
        }
    }
}
