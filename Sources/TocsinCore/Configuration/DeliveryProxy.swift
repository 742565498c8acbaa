/// How HTTP(S) deliveries reach the network (`delivery.proxy`).
///
/// The default is `.none`: libcurl would otherwise follow `http_proxy`, `https_proxy` and `ALL_PROXY` from the
/// daemon's environment, so a variable set for some other program on the host (a login profile, a unit's
/// `Environment=`) silently routed every alert, signed webhooks and bearer tokens included, through that proxy.
/// Mail (SMTP) never goes through a proxy.
public enum DeliveryProxy: Sendable, Hashable {
    /// Straight to each receiver, whatever the environment says.
    case none
    /// The proxies the daemon's environment names, as libcurl reads them (`http_proxy`, `https_proxy`,
    /// `ALL_PROXY`, `NO_PROXY`): the behaviour before this setting existed, now only when asked for.
    case environment
    /// Every HTTP(S) delivery through this proxy (`http://host:port`, `socks5h://host:port`); the URL may carry
    /// credentials, so it is kept as a secret.
    case url(Secret)
}
