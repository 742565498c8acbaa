import Foundation
import Logging
import TocsinAudit
import TocsinProtocol
import TocsinStore

/// Sends asked again with their request key (`SendParams.requestKey`): answered with the incident the first request
/// made, audited, never sent twice.
extension IncidentService {
    /// The incident `request`'s key made, audited as asked again; nil when the key is new.
    /// - Parameter failing: the failure that made this request look its key up, thrown again with its own words
    ///   (values to ask for, a wrong code, a full disk) when the look-up itself fails.
    /// - Throws: `refused` when the key made a different send (other values, template or caller), or made it more
    ///   than a day ago (`SendRequest.repeatWindowMillis`).
    func repeated(
        _ request: SendRequest, caller: Principal, requestAudit: AuditEvent, failing: DaemonError
    ) async throws(DaemonError) -> IncidentStatus? {
        let earlier: SendRequestRecord?
        do {
            earlier = try await store.sendRequest(key: request.key)
        } catch {
            logger.warning("cannot read a request key", metadata: ["store.error": "\(error)"])
            throw failing
        }
        guard let earlier else { return nil }
        guard earlier.digest == request.digest else {
            throw DaemonError.refused(
                "request key '\(request.key)' was already used for another send (incident \(earlier.incidentID)); nothing was sent",
                hint: "Give each send its own request key; repeat a key only to ask again for the same send."
            ).said(.requestKeyReused, ["key": request.key, "incident": earlier.incidentID])
        }
        guard Date().millisecondsSince1970 - earlier.createdAt <= SendRequest.repeatWindowMillis else {
            throw DaemonError.refused(
                "request key '\(request.key)' made incident \(earlier.incidentID) more than 24 hours ago, so this is not taken as a repeat; nothing was sent",
                hint: "Give this send a new request key (a script should make one per send it means)."
            ).said(.requestKeyExpired, ["key": request.key, "incident": earlier.incidentID])
        }
        var status = try await status(earlier.incidentID)
        var asked = requestAudit
        asked.subject = earlier.incidentID
        var detail = AuditDetail()
        detail.set("request_key", request.key)
        detail.set("by", caller.displayName)
        let write = StoreWrite(audit: [asked, caller.event("incident.repeat", subject: earlier.incidentID, detail: detail)])
        do {
            try await store.commit(write)
        } catch {
            // Every request is audited, so this one fails; its words say that the send itself is stored.
            throw .store(error, doing: "this send is already stored as incident \(earlier.incidentID) (nothing was sent again), but the repeated request could not be recorded")
        }
        logger.notice("send asked again with its request key: answered with its incident, nothing sent", metadata: [
            "incident.id": "\(earlier.incidentID)", "caller.uid": "\(caller.uid)",
        ])
        status.repeated = true
        return status
    }
}
