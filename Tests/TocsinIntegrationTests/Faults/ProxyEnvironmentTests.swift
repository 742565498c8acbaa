import Foundation
import Testing
import TocsinTestSupport

/// Fault finding 7: `tocsind` followed `http_proxy` from its environment for webhooks (libcurl reads it unless
/// told otherwise), so a variable meant for another program routed signed alerts through whatever it named. Now
/// the config chooses (`delivery.proxy`): no proxy by default, whatever the environment says; a configured URL;
/// or `environment` to follow the variables on purpose. Two loopback listeners: the receiver, and a "proxy"
/// (the same recording receiver, which sees a forwarded request's absolute URL as its path).
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct ProxyEnvironmentTests {
    enum Setting: String, CaseIterable, Sendable {
        /// No `delivery.proxy`, the environment names the proxy listener: direct to the receiver.
        case absentWithEnvironmentProxy
        /// `delivery.proxy: http://127.0.0.1:<proxy>`, the environment names a dead port: through the proxy.
        case configuredURL
        /// `delivery.proxy: environment`, the environment names the proxy listener: through the proxy.
        case environment
    }

    @Test(arguments: Setting.allCases)
    func theProxyIsTheConfigsChoiceNotTheEnvironments(setting: Setting) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = try await offPool { try LoopbackReceiver(in: directory) }
        defer { receiver.stop() }
        let proxy = try await offPool { try LoopbackReceiver(in: directory, name: "proxy") }
        defer { proxy.stop() }
        let proxyURL = "http://127.0.0.1:\(proxy.port)"

        let path = try TestConfig(channels: [.init("webhook", url: receiver.url("/hook"))]).write(to: directory)
        let key: String? = switch setting {
        case .absentWithEnvironmentProxy: nil
        case .configuredURL: proxyURL
        case .environment: "environment"
        }
        if let key {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try text.replacingOccurrences(of: "delivery: { ", with: "delivery: { proxy: \"\(key)\", ")
                .write(toFile: path, atomically: false, encoding: .utf8)
        }
        // Every variable libcurl reads, and no exception for loopback, so only the config can keep it direct.
        let deadProxy = try LoopbackPort()  // held: refused for the whole test
        defer { deadProxy.close() }
        let environmentProxy = setting == .configuredURL ? "http://127.0.0.1:\(deadProxy.port)" : proxyURL
        var environment = ["http_proxy": environmentProxy, "https_proxy": environmentProxy, "ALL_PROXY": environmentProxy]
        environment["all_proxy"] = environmentProxy
        environment["no_proxy"] = ""
        environment["NO_PROXY"] = ""
        let daemon = DaemonProcess(directory: directory, configPath: path)
        try await daemon.start(environment: environment)
        defer { daemon.signal(SIGKILL) }

        let drill = try await daemon.ctl(arguments: ["drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json"])
        #expect(drill.status == 0, "delivered: \(drill.description.prefix(1500))")
        let direct = receiver.requests(path: "/hook")
        let proxied = proxy.requests()
        switch setting {
        case .absentWithEnvironmentProxy:
            #expect(direct.count == 1 && proxied.isEmpty, "direct \(direct.count), through the proxy \(proxied.map(\.path))")
        case .configuredURL, .environment:
            #expect(direct.isEmpty, "nothing reached the receiver but through the proxy")
            #expect(proxied.map(\.path) == ["http://127.0.0.1:\(receiver.port)/hook"], "\(proxied.map(\.path))")
            #expect(proxied.first?.headers["webhook-id"] != nil, "the webhook itself went through the proxy")
        }
        print("FAULTS-A proxy \(setting.rawValue): \(direct.count) request(s) straight to the receiver, \(proxied.count) through the proxy listener")
    }
}
