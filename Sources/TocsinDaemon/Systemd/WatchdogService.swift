import Logging
import ServiceLifecycle
import TocsinStore

/// Pings the systemd watchdog only while the daemon's own loops are healthy: the dispatcher's loop has turned
/// recently and the database answers. A stuck daemon stops pinging and systemd restarts it.
///
/// Also the place that tells systemd the daemon is stopping, at the start of a graceful shutdown.
struct SystemdService: Service {
    let notifier: SystemdNotifier
    let interval: Duration?
    let dispatcher: Dispatcher
    let store: any Store
    let logger: Logger

    func run() async throws {
        await withGracefulShutdownHandler {
            guard let interval else {
                try? await gracefulShutdown()
                return
            }
            // Half the interval, as sd_watchdog_enabled(3) advises, so one late ping is not fatal.
            let period = interval / 2
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                if await healthy(within: period) {
                    notifier.notify("WATCHDOG=1")
                } else {
                    logger.critical("not pinging the systemd watchdog: the daemon is not healthy")
                }
                try? await Task.sleep(for: period)
            }
        } onGracefulShutdown: {
            notifier.notify("STOPPING=1", "STATUS=Stopping: finishing attempts in flight; unfinished deliveries resume at the next start")
        }
    }

    private func healthy(within period: Duration) async -> Bool {
        guard dispatcher.timeSinceLastTurn < period * 2 else { return false }
        return (try? await store.auditHead()) != nil
    }
}
