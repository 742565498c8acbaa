import ArgumentParser
import Foundation
import TocsinClient
import TocsinProtocol

extension Tocsinctl {
    struct Health: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "health",
            abstract: tr("Vérifier que tocsind peut alerter maintenant, pour la supervision (à la Nagios : sortie 0 OK, 1 WARNING, 2 CRITICAL).", "Check that tocsind can alert now, for monitoring (Nagios-style: exit 0 OK, 1 WARNING, 2 CRITICAL)."),
            discussion: """
                One status line first (what a monitoring system shows), then one line per check: daemon reachable, \
                configuration loaded, database writable, channels not failing, credentials not expiring, heartbeat \
                recent, audit chain intact. An unreachable daemon is CRITICAL (exit 2). The caller needs any role; \
                a monitoring service user can be given just 'access.monitors'.
                """
        )
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let report: HealthReport
            do {
                report = try global.connect().call(.health, EmptyParams(), as: HealthReport.self)
            } catch let failure as Failure {
                throw Self.critical(failure.error)
            } catch let error as ClientError {
                throw Self.critical(error)
            }
            if global.json {
                Console.json(report)
            } else {
                let problems = report.checks.filter { $0.state != .ok }.sorted { $0.state > $1.state }
                let summary = problems.isEmpty
                    ? "\(report.checks.count) checks passed"
                    : problems.map { "\($0.name) \($0.message)" }.joined(separator: "; ")
                // The daemon writes its times in UTC; the person reading them gets local time (or --utc).
                print("TOCSIN \(report.state.rawValue) - \(TimeDisplay.localizing(summary))")
                for check in report.checks { print("\(check.state.rawValue): \(check.name): \(TimeDisplay.localizing(check.message))") }
            }
            throw Self.exitCode(report.state)
        }

        static func exitCode(_ state: HealthReport.State) -> ExitCode {
            switch state {
            case .ok: ExitCode(0)
            case .warning: ExitCode(1)
            case .critical: ExitCode(2)
            }
        }

        /// No report: CRITICAL either way, but the words point on-call the right way (down, refused, or busy).
        private static func critical(_ error: ClientError) -> ExitCode {
            let what = switch error {
            case .unreachable, .connectionLost: "daemon unreachable"
            case .permissionDenied, .refused: "check refused"
            case .badAnswer: "unexpected answer"
            }
            print("TOCSIN CRITICAL - \(what): \(error.description)")
            return exitCode(.critical)
        }
    }
}
