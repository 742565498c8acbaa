import ArgumentParser
import FoundationEssentials
import TocsinDisplay
import TocsinClient
import TocsinProtocol
import TocsinText

extension Tocsinctl {
    struct Health: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "health",
            abstract: tr("Vérifier que tocsind peut alerter maintenant, pour la supervision (à la Nagios : sortie 0 OK, 1 WARNING, 2 CRITICAL).", "Check that tocsind can alert now, for monitoring (Nagios-style: exit 0 OK, 1 WARNING, 2 CRITICAL)."),
            discussion: tr(
                """
                Une ligne d'état d'abord (ce qu'affiche un système de supervision), puis une ligne par vérification : \
                démon joignable, configuration chargée, base de données inscriptible, nœuds (sur PostgreSQL : un nœud \
                muet depuis 3 baux, des configurations différentes), canaux sans échec, identifiants non expirés, \
                signal de vie récent, chaîne d'audit intacte. Un démon injoignable est CRITICAL (sortie 2). \
                L'appelant a besoin d'un rôle quelconque ; un utilisateur de supervision peut n'avoir que \
                « access.monitors ».
                """,
                """
                One status line first (what a monitoring system shows), then one line per check: daemon reachable, \
                configuration loaded, database writable, nodes (on PostgreSQL: a node silent for 3 leases, configs \
                that differ), channels not failing, credentials not expiring, heartbeat recent, audit chain intact. \
                An unreachable daemon is CRITICAL (exit 2). The caller needs any role; a monitoring service user can \
                be given just 'access.monitors'.
                """
            )
        )
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let report: HealthReport
            do {
                // Within a monitor's own timeout (NRPE's is 10 s): "not answering" printed, not the check killed.
                report = try global.connect(answerLimit: .seconds(4)).call(.health, EmptyParams(), as: HealthReport.self)
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
                    ? Plural.tr(report.checks.count, fr: ("vérification réussie", "vérifications réussies"), en: ("check passed", "checks passed"))
                    : problems.map { "\($0.name) \($0.text(in: .current))" }.joined(separator: tr(" ; ", "; "))
                // The daemon writes its times in UTC; the person reading them gets local time (or --utc). The state
                // words and the "TOCSIN STATE - " lead stay as monitoring systems parse them; each check's sentence
                // is said by its key in the operator's language.
                print("TOCSIN \(report.state.rawValue) - \(TimeDisplay.localizing(summary))")
                let colon = tr(" : ", ": ")
                for check in report.checks { print("\(check.state.rawValue)\(colon)\(check.name)\(colon)\(TimeDisplay.localizing(check.text(in: .current)))") }
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
            case .unreachable, .connectionLost: tr("démon injoignable", "daemon unreachable")
            case .noAnswer: tr("démon sans réponse", "daemon not answering")
            case .permissionDenied, .refused: tr("vérification refusée", "check refused")
            case .badAnswer: tr("réponse inattendue", "unexpected answer")
            }
            print("TOCSIN CRITICAL - \(what)\(tr(" : ", ": "))\(error.operatorText)")
            return exitCode(.critical)
        }
    }
}
