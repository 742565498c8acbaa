import Foundation
import Logging
import TocsinChannels
import TocsinCore
import TocsinProtocol
import TocsinStore

/// `template.*`: the approved texts as operators and approvers see them, and approvals.
struct TemplateHandlers: Sendable {
    let configuration: ConfigurationHolder
    let approvals: ApprovalService

    func register(in table: inout MethodTable) {
        table.on(AdminCall.templateList) { _ async throws(DaemonError) in try await summaries() }
        table.on(AdminCall.templateShow) { params, _ async throws(DaemonError) in try await detail(params.template) }
        table.on(AdminCall.templateApprove, auditsRequest: true) { params, context async throws(DaemonError) in
            try await approve(params, caller: context.principal, requestAudit: context.requestAudit)
        }
    }

    func summaries() async throws(DaemonError) -> [TemplateSummary] {
        var result: [TemplateSummary] = []
        for template in configuration.current.configuration.templates.values.sorted(by: { $0.id < $1.id }) {
            result.append(try await summary(of: template))
        }
        return result
    }

    private func summary(of template: MessageTemplate) async throws(DaemonError) -> TemplateSummary {
        let state = try await approvals.state(of: template)
        var summary = TemplateSummary(
            id: template.id, route: template.content.route, drillRoute: template.content.drillRoute, approval: state.label,
            approvedBy: state.latest.map { record in record.approverName.map { "\($0) (uid \(record.approverUID))" } ?? "uid \(record.approverUID)" },
            approvedAt: state.latest.map { Timestamp.iso(millis: $0.approvedAt) }, contentHash: template.contentHash,
            variables: template.content.variables.map {
                VariableInfo(name: $0.name, required: $0.required, defaultValue: $0.defaultValue, allowed: $0.allowed)
            }
        )
        summary.shortened = configuration.current.cuts[template.id]?.map(\.description)
        return summary
    }

    func detail(_ id: String) async throws(DaemonError) -> TemplateDetail {
        let config = configuration.current.configuration
        guard let template = config.templates[id] else {
            throw DaemonError.notFound("no template '\(id)'").said(.noTemplate, ["template": TextValidator.printable(id)], lists: ["known": config.templates.keys.sorted()])
        }
        let content = template.content
        let texts = config.organization.languages.compactMap { language -> RenderedText? in
            guard let title = content.title[language] else { return nil }
            return RenderedText(
                language: language, event: content.event[language] ?? "", title: title,
                body: content.body[language] ?? "", instruction: content.instruction?[language], short: content.short?[language]
            )
        }
        return TemplateDetail(
            summary: try await summary(of: template), category: content.category.rawValue,
            severity: content.severity.rawValue, urgency: content.urgency.rawValue, certainty: content.certainty.rawValue,
            response: content.response?.rawValue, source: template.sourcePath, texts: texts
        )
    }

    /// Refused while the template would be shortened on a channel it can reach: what the approver reads must be
    /// what every person receives. Approvals made before this check stay valid (the template is flagged instead).
    func approve(_ params: ApproveParams, caller: Principal, requestAudit: AuditEvent) async throws(DaemonError) -> ApproveResult {
        let active = configuration.current
        guard let template = active.configuration.templates[params.template] else {
            throw DaemonError.notFound("no template '\(params.template)'")
                .said(.noTemplate, ["template": TextValidator.printable(params.template)], lists: ["known": active.configuration.templates.keys.sorted()])
        }
        if let cuts = active.cuts[template.id] {
            var refusal = DaemonError.validation(
                "template '\(template.id)' would reach \(cuts.count == 1 ? "a channel" : "\(cuts.count) channels") shortened, so it cannot be approved as it is; nothing was approved",
                problems: cuts.map(\.description),
                hint: "Give the template a 'short:' text per language that fits, declare 'max_length' for free variables, or set 'allow_shortening: true' on a channel that may shorten (docs/configuration.md), then reload."
            ).said(.approvalCuts, ["template": template.id, "count": String(cuts.count)])
            refusal.problemsSaid = cuts.map(\.said)
            throw refusal
        }
        return try await approvals.approve(template, expectedHash: params.contentHash, caller: caller, requestAudit: requestAudit)
    }
}
