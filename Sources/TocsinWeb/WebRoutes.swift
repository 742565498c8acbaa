import Foundation
import Hummingbird
import HummingbirdAuth
import Synchronization
import TocsinDisplay
import TocsinProtocol

/// The console's pages: sign-in, incidents, the send flow, follow-ups. Each action goes to tocsind through the
/// admin protocol for the signed-in web user, whose roles tocsind checks; the pages only hide what would be refused.
struct WebRoutes: Sendable {
    let daemon: DaemonLink
    let pages: Pages
    let addresses: ClientAddress
    let secure: Bool
    /// The sessions' storage, to delete a previous session at sign-in.
    let sessions: SessionStorage<WebSession>

    static let signInCookie = "tocsin_signin"

    func register(on router: Router<WebContext>) {
        router.get("/static/tocsin.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"], body: .init(byteBuffer: ByteBuffer(string: Stylesheet.css)))
        }
        router.get("/static/live.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "max-age=3600"], body: .init(byteBuffer: ByteBuffer(string: LiveScript.source)))
        }
        router.get("/sign-in") { request, context in signInPage(request, context, error: nil, name: "") }
        router.post("/sign-in") { request, context in try await signIn(request, context) }
        router.post("/sign-out") { request, context in try await signOut(request, context) }
        router.get("/") { request, context in try await signedIn(request, context) { session in try await home(request, context, session) } }
        router.get("/send") { request, context in try await signedIn(request, context) { session in try await templates(request, context, session) } }
        router.get("/send/{template}") { request, context in
            try await signedIn(request, context) { session in try await form(request, context, session, error: nil) }
        }
        router.post("/send/{template}/preview") { request, context in
            try await posted(request, context) { session, form in try await preview(request, context, session, form, error: nil) }
        }
        router.post("/send/{template}/confirm") { request, context in
            try await posted(request, context) { session, form in try await confirm(request, context, session, form) }
        }
        router.get("/incidents/{incident}") { request, context in
            try await signedIn(request, context) { session in try await incident(request, context, session, error: nil) }
        }
        router.get("/incidents/{incident}/events") { request, context in
            try await signedIn(request, context) { session in try await events(request, context, session) }
        }
        router.get("/incidents/{incident}/report") { request, context in
            try await signedIn(request, context) { session in try await report(request, context, session) }
        }
        router.post("/incidents/{incident}/all-clear") { request, context in
            try await posted(request, context) { session, form in try await allClear(request, context, session, form) }
        }
        router.post("/incidents/{incident}/resend") { request, context in
            try await posted(request, context) { session, form in try await resend(request, context, session, form) }
        }
        router.post("/incidents/{incident}/cancel") { request, context in
            try await posted(request, context) { session, form in try await cancel(request, context, session, form) }
        }
    }

    // MARK: Sessions

    private func frame(_ request: Request, _ session: WebSession?, title: String, kind: String = "", here: String = "/") -> Pages.Frame {
        Pages.Frame(language: OperatorLanguage.of(request), title: title, kind: kind, session: session, here: here)
    }

    private func words(_ request: Request) -> [String: String] { Words.of(OperatorLanguage.of(request)) }

    private func redirect(_ path: String) -> Response {
        Response(status: .seeOther, headers: [.location: path])
    }

    /// Runs `body` for a live session: none, or one past 12 hours, goes to the sign-in page. Each request restarts
    /// the 15 idle minutes.
    private func signedIn(_ request: Request, _ context: WebContext, _ body: (WebSession) async throws -> Response) async throws -> Response {
        guard let session = context.sessions.session else { return redirect("/sign-in") }
        guard !session.isTooOld else {
            context.sessions.clearSession()
            return redirect("/sign-in?ended=1")
        }
        _ = context.sessions.updateSession(session, expiresIn: WebSession.idle)
        return try await body(session)
    }

    /// As `signedIn`, for a form posted by a page of this session: its token must be the session's.
    private func posted(_ request: Request, _ context: WebContext, _ body: (WebSession, Form) async throws -> Response) async throws -> Response {
        try await signedIn(request, context) { session in
            let form = try await Form.read(request, context: context)
            guard let token = form["csrf"], Token.equal(token, session.csrf) else { return forbidden(request, session) }
            return try await body(session, form)
        }
    }

    private func forbidden(_ request: Request, _ session: WebSession?) -> Response {
        let words = words(request)
        return pages.message(words["error"]!, words["forbidden"]!, frame: frame(request, session, title: words["error"]!), status: .forbidden)
    }

    private func behalf(_ session: WebSession, _ request: Request, _ context: WebContext, code: String? = nil) -> OnBehalfOf {
        OnBehalfOf(webUser: session.user, client: addresses.of(request, peer: context.peer), code: code)
    }

    /// tocsind's refusal in the person's language (French from its key, English as tocsind wrote it), and the
    /// HTTP status that says it to a program: 429 with `Retry-After` for a wait.
    private func said(_ failure: DaemonLink.Failure, _ request: Request) -> (text: String, hint: String?, status: HTTPResponse.Status, retryAfter: String?) {
        let language = OperatorLanguage.of(request)
        switch failure {
        case .refused(let error):
            let parts = OperatorText.parts(of: error, in: language)
            let problems = parts.problems.joined(separator: " · ")
            let text = parts.message, hint = parts.hint
            let key = error.data?.said?.key
            let waiting = [Said.Key.webSignInWait, .webSignInLockedOut, .busy].map(\.rawValue).contains(key ?? "")
            let status: HTTPResponse.Status = waiting ? .tooManyRequests
                : error.code == RPCError.notAuthorisedCode ? .forbidden
                : error.code == RPCError.notFoundCode ? .notFound : .unprocessableContent
            // A wait says its seconds; a lock-out lasts up to 15 minutes (unless an approver unlocks); busy, a moment.
            let retryAfter = key == Said.Key.webSignInWait.rawValue ? error.data?.said?.arguments["seconds"]
                : key == Said.Key.webSignInLockedOut.rawValue ? "900" : waiting ? "5" : nil
            return (problems.isEmpty ? text : text + " — " + problems, hint, status, retryAfter)
        case .unreachable:
            return (words(request)["unreachable"]!, nil, .serviceUnavailable, nil)
        case .lost:
            // The request may have been carried out (a send stored) before the answer was lost: never say "nothing".
            return (words(request)["lost"]!, nil, .serviceUnavailable, nil)
        }
    }

    private func failurePage(_ failure: DaemonLink.Failure, _ request: Request, _ session: WebSession?, _ context: WebContext? = nil) -> Response {
        // A user removed since signing in: the session ends here.
        if case .refused(let error) = failure, error.data?.said?.key == Said.Key.webUserGone.rawValue, let context {
            context.sessions.clearSession()
            return redirect("/sign-in?ended=1")
        }
        let (text, hint, status, retryAfter) = said(failure, request)
        let words = words(request)
        var response = pages.message(words["error"]!, text, hint: hint, frame: frame(request, session, title: words["error"]!), status: status)
        if let retryAfter { response.headers[.retryAfter] = retryAfter }
        return response
    }

    // MARK: Sign-in

    private func signInPage(_ request: Request, _ context: WebContext, error: String?, name: String, status: HTTPResponse.Status = .ok) -> Response {
        if context.sessions.session != nil, error == nil { return redirect("/") }
        let words = words(request)
        // A token for this form, kept in a cookie of its own (there is no session yet): a form posted from elsewhere
        // cannot know it.
        let token = Token.make()
        var values: [String: Any] = ["form_csrf": token, "name": name]
        values["error"] = error
        if request.uri.queryParameters.get("ended") != nil { values["notice"] = words["sessionEnded"] }
        if request.uri.queryParameters.get("out") != nil { values["notice"] = words["signedOut"] }
        var response = pages.render("sign-in", values, frame: frame(request, nil, title: words["signInTitle"]!, here: "/sign-in"), status: status)
        let cookie = Cookie(name: Self.signInCookie, value: token, maxAge: 1800, path: "/sign-in", secure: secure, httpOnly: true, sameSite: .strict)
        response.headers[values: .setCookie].append(cookie.description)
        return response
    }

    private func signIn(_ request: Request, _ context: WebContext) async throws -> Response {
        let form = try await Form.read(request, context: context)
        guard let token = form["csrf"], let kept = request.cookies[Self.signInCookie]?.value, Token.equal(token, kept) else {
            return forbidden(request, nil)
        }
        let name = String((form["name"] ?? "").trimmingCharacters(in: .whitespaces).lowercased().prefix(64))
        let params = WebSignInParams(
            name: name, password: form["password"] ?? "", code: form["code"] ?? "", client: addresses.of(request, peer: context.peer)
        )
        do {
            let result = try await daemon.call(AdminCall.webSignIn, params, for: nil)
            // A new session, with a new id, whatever cookie came with the request (no session fixation); a session
            // the browser still held (a shared phone, the previous person's) ends on the server.
            if sessions.getId(request: request) != nil { _ = try? await sessions.delete(request: request) }
            context.sessions.createSession(
                WebSession(user: result.name, roles: result.roles, csrf: Token.make(), signedInAt: Date()), expiresIn: WebSession.idle
            )
            return redirect("/")
        } catch {
            let (text, hint, status, retryAfter) = said(error, request)
            // A lock-out's hint is the way through (an approver's unlock): the person needs to read it.
            var response = signInPage(request, context, error: hint.map { text + " " + $0 } ?? text, name: name, status: status == .forbidden ? .unauthorized : status)
            if let retryAfter { response.headers[.retryAfter] = retryAfter }
            return response
        }
    }

    private func signOut(_ request: Request, _ context: WebContext) async throws -> Response {
        guard let session = context.sessions.session else { return redirect("/sign-in") }
        let form = try await Form.read(request, context: context)
        guard let token = form["csrf"], Token.equal(token, session.csrf) else { return forbidden(request, session) }
        context.sessions.clearSession()
        return redirect("/sign-in?out=1")
    }

    // MARK: Incidents

    private static func tag(_ status: String, _ words: [String: String]) -> (kind: String, tag: String) {
        switch status {
        case "Exercise": ("drill", words["drillTag"]!)
        case "Actual": ("live", words["liveTag"]!)
        default: ("", words["testTag"]!)
        }
    }

    private static func title(_ summary: IncidentSummary, _ language: OperatorLanguage) -> String {
        let message = summary.messages.first { $0.language == language.rawValue } ?? summary.messages.first
        return message?.title ?? summary.template
    }

    private static func progress(_ counts: [String: Int], _ words: [String: String]) -> String {
        let total = counts.values.reduce(0, +)
        return words["progress"]!.replacingOccurrences(of: "{done}", with: String(counts["delivered"] ?? 0))
            .replacingOccurrences(of: "{total}", with: String(total))
    }

    private func home(_ request: Request, _ context: WebContext, _ session: WebSession) async throws -> Response {
        let language = OperatorLanguage.of(request)
        let words = Words.of(language)
        let list: [IncidentSummary]
        do { list = try await daemon.call(AdminCall.incidentList, ListParams(limit: 20), for: behalf(session, request, context)) } catch {
            return failurePage(error, request, session, context)
        }
        let incidents: [[String: Any]] = list.map { summary in
            let (kind, tag) = Self.tag(summary.status, words)
            return [
                "id": summary.incident, "kind": kind, "tag": tag, "title": Self.title(summary, language),
                "created": TimeDisplay.format(summary.createdAt), "progress": Self.progress(summary.counts, words),
            ]
        }
        return pages.render("home", ["incidents": incidents, "can_send": session.may("operator")], frame: frame(request, session, title: words["incidents"]!))
    }

    private func templates(_ request: Request, _ context: WebContext, _ session: WebSession) async throws -> Response {
        let words = words(request)
        let list: [TemplateSummary]
        do { list = try await daemon.call(AdminCall.templateList, EmptyParams(), for: behalf(session, request, context)) } catch {
            return failurePage(error, request, session, context)
        }
        let items: [[String: Any]] = list.filter { $0.id != "all-clear" }.map { template in
            ["id": template.id, "label": template.id, "approved": template.approval == "approved"]
        }
        return pages.render("templates", ["templates": items], frame: frame(request, session, title: words["chooseTemplate"]!, here: "/send"))
    }

    /// The send form; `given` fills it again after a refusal, with the update it was (`follows`: the incident and its
    /// kind) when it was one.
    private func form(
        _ request: Request, _ context: WebContext, _ session: WebSession, error: String?, given: [String: String] = [:],
        follows: (incident: String, kind: String)? = nil
    ) async throws -> Response {
        let language = OperatorLanguage.of(request)
        let id = context.parameters.get("template") ?? ""
        let detail: TemplateDetail
        do { detail = try await daemon.call(AdminCall.templateShow, TemplateParams(template: id), for: behalf(session, request, context)) } catch {
            return failurePage(error, request, session, context)
        }
        let label = detail.texts.first { $0.language == language.rawValue }?.event ?? id
        let variables: [[String: Any]] = detail.summary.variables.map { variable in
            let value = given[variable.name] ?? variable.defaultValue ?? ""
            var item: [String: Any] = ["name": variable.name, "required": variable.required]
            if let allowed = variable.allowed {
                item["choices"] = allowed.map { ["value": $0, "checked": $0 == value] as [String: Any] }
            } else {
                item["free"] = ["value": value]
            }
            return item
        }
        var values: [String: Any] = ["id": id, "label": label, "variables": variables, "approved": detail.summary.approval == "approved"]
        values["error"] = error
        // An update of an incident: its values filled in, its kind kept (a drill's update is a drill).
        let query = request.uri.queryParameters
        let update = follows ?? query.get("follows").map { (String($0), query.get("kind").map { String($0) } ?? "drill") }
        if let update {
            values["follows"] = update.incident
            values["follows_kind"] = update.kind
        }
        return pages.render("form", values, frame: frame(request, session, title: label, here: "/send/\(id)"))
    }

    private func sendParams(_ request: Request, _ context: WebContext, _ form: Form) -> SendParams {
        var params = SendParams(template: context.parameters.get("template") ?? "", variables: form.variables, drill: form["kind"] != "live")
        if let follows = form["follows"], !follows.isEmpty {
            params.msgType = "Update"
            params.references = follows
        }
        return params
    }

    /// The word that confirms `params`: an update's own, else the drill's or the live send's.
    private static func word(for params: SendParams) -> ConfirmationWord {
        params.references != nil ? .update : params.drill ? .drill : .send
    }

    /// - Parameter freshKey: a new request key rather than the form's (the daemon refused the form's as used).
    private func preview(
        _ request: Request, _ context: WebContext, _ session: WebSession, _ form: Form, error: String?, freshKey: Bool = false
    ) async throws -> Response {
        let language = OperatorLanguage.of(request)
        let words = Words.of(language)
        let params = sendParams(request, context, form)
        let result: PreviewResult
        do { result = try await daemon.call(AdminCall.preview, params, for: behalf(session, request, context)) } catch {
            if case .refused(let refusal) = error, refusal.data?.said?.key == Said.Key.webUserGone.rawValue { return failurePage(error, request, session, context) }
            return try await self.form(
                request, context, session, error: said(error, request).text, given: params.variables,
                follows: params.references.map { ($0, form["kind"] ?? "drill") }
            )
        }
        // A follow-up keeps its incident's kind, whatever the form said.
        let kind = result.status == "Actual" ? "live" : "drill"
        let word = Self.word(for: params)
        let shown = language == .fr ? word.french : word.english
        let texts: [[String: Any]] = (result.texts ?? []).map { text in
            var size = text.length.map { "\($0)" } ?? ""
            if let limit = text.limit { size += "/\(limit)" }
            if let unit = text.unit { size += " \(unit)" }
            if let segments = text.segments { size += " · \(segments) SMS" }
            return ["channel": text.channel, "type": text.type, "text": text.text ?? "", "size": size]
        }
        var values: [String: Any] = [
            "id": params.template, "kind": kind, "messages": Self.ordered(result.messages, language), "texts": texts,
            "values": result.variables.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] },
            "confirm": ["label": Self.typeWord(shown, words)],
            "confirm_button": words[params.references != nil ? "confirmUpdate" : kind == "drill" ? "confirmDrill" : "confirmLive"]!,
            "is_live": kind == "live",
        ]
        values["follows"] = params.references
        values["error"] = error
        values["request"] = freshKey ? UUID().uuidString : Self.requestKey(form)
        return pages.render("preview", values, frame: frame(request, session, title: words["previewTitle"]!, kind: kind, here: "/send/\(params.template)"))
    }

    /// The request key of the send this preview shows: made once per preview, kept when the preview is shown again
    /// (a wrong word, a refusal), so that a second tap on "send", or the form posted again after a lost answer,
    /// gives the incident the first one made and alerts nobody twice (`SendParams.requestKey`).
    private static func requestKey(_ form: Form) -> String {
        if let key = form["request"], !key.isEmpty { return key }
        return UUID().uuidString
    }

    private func confirm(_ request: Request, _ context: WebContext, _ session: WebSession, _ form: Form) async throws -> Response {
        var params = sendParams(request, context, form)
        params.requestKey = form["request"].flatMap { $0.isEmpty ? nil : $0 }
        guard Self.word(for: params).accepts(form["word"] ?? "") else {
            return try await preview(request, context, session, form, error: words(request)["wrongWord"]!)
        }
        // Given whenever typed: tocsind asks for it when the send is live (a follow-up of a live incident included).
        let code = form["code"].flatMap { $0.isEmpty ? nil : $0 }
        do {
            let status = try await daemon.call(AdminCall.send, params, for: behalf(session, request, context, code: code))
            // A repeat (a second tap, the form posted again after a lost answer): the page says nothing went out again.
            return redirect("/incidents/\(status.summary.incident)" + (status.repeated == true ? "?repeated=1" : ""))
        } catch {
            if case .refused(let refusal) = error {
                // A key the daemon holds as used (another send, or a day old: a form posted again from history) would
                // be refused at every later try: the preview shown again carries a new one.
                let used = [Said.Key.requestKeyReused.rawValue, Said.Key.requestKeyExpired.rawValue].contains(refusal.data?.said?.key ?? "")
                return try await preview(request, context, session, form, error: said(error, request).text, freshKey: used)
            }
            // Lost or unreachable: whether the send was stored is unknown, and the page says so.
            return failurePage(error, request, session, context)
        }
    }

    private static func ordered(_ messages: [RenderedText], _ language: OperatorLanguage) -> [[String: Any]] {
        let sorted = messages.filter { $0.language == language.rawValue } + messages.filter { $0.language != language.rawValue }
        return sorted.map { message in
            var item: [String: Any] = ["language": message.language, "title": message.title, "body": message.body]
            item["instruction"] = message.instruction
            return item
        }
    }

    private func incident(_ request: Request, _ context: WebContext, _ session: WebSession, error: String?) async throws -> Response {
        let language = OperatorLanguage.of(request)
        let words = Words.of(language)
        let id = context.parameters.get("incident") ?? ""
        let status: IncidentStatus
        do { status = try await daemon.call(AdminCall.incidentStatus, IncidentParams(incident: id), for: behalf(session, request, context)) } catch {
            return failurePage(error, request, session, context)
        }
        let summary = status.summary
        let (kind, tag) = Self.tag(summary.status, words)
        let deliveries: [[String: Any]] = status.deliveries.map { delivery in
            var item: [String: Any] = [
                "id": delivery.id, "channel": delivery.channel, "state": delivery.state, "state_word": words[Self.stateKey(delivery.state)] ?? delivery.state,
                "detail": delivery.acceptance ?? delivery.lastError ?? "",
            ]
            item["recipient"] = delivery.recipient
            return item
        }
        let isOperator = session.may("operator")
        let finished = status.isFinished
        let failedChannels = Array(Set(status.deliveries.filter { $0.state == "failed" }.map(\.channel))).sorted()
        let resend = language == .fr ? ConfirmationWord.resend.french : ConfirmationWord.resend.english
        let allClear = language == .fr ? ConfirmationWord.allClear.french : ConfirmationWord.allClear.english
        let cancel = language == .fr ? ConfirmationWord.cancel.french : ConfirmationWord.cancel.english
        var values: [String: Any] = [
            "id": summary.incident, "tag": tag, "kind": kind, "title": Self.title(summary, language), "created": TimeDisplay.format(summary.createdAt),
            "progress": Self.progress(summary.counts, words), "deliveries": deliveries, "messages": Self.ordered(summary.messages, language),
            "finished": finished, "template": summary.template, "can_update": isOperator && summary.msgType != "Cancel",
            "failed_channels": isOperator ? failedChannels.map { ["channel": $0, "label": Self.typeWord(resend, words)] } : [],
        ]
        if isOperator, summary.msgType != "Cancel", summary.references == nil { values["all_clear"] = ["label": Self.typeWord(allClear, words)] }
        // Stopping needs no code: it sends nothing.
        if isOperator, !finished { values["cancel"] = ["label": Self.typeWord(cancel, words), "no_code": true] as [String: Any] }
        values["created_by"] = summary.createdBy
        values["error"] = error
        values["repeated"] = request.uri.queryParameters.get("repeated") == "1"
        var frame = frame(request, session, title: Self.title(summary, language), kind: kind, here: "/incidents/\(summary.incident)")
        // Live progress through Server-Sent Events (/static/live.js) for operators (tocsind's incident.watch is
        // theirs); without JavaScript, and for other roles, the refresh link. Never a timed reload: it would wipe a
        // confirmation word being typed.
        frame.liveUpdates = !finished && isOperator
        return pages.render("incident", values, frame: frame)
    }

    /// Each delivery's changes as Server-Sent Events (`delivery`, then `end` once all are final), from tocsind's
    /// `incident.watch`; the stream ends when the browser goes away.
    private func events(_ request: Request, _ context: WebContext, _ session: WebSession) async throws -> Response {
        let words = words(request)
        let id = context.parameters.get("incident") ?? ""
        let link = behalf(session, request, context)
        let status: IncidentStatus
        do { status = try await daemon.call(AdminCall.incidentStatus, IncidentParams(incident: id), for: link) } catch {
            return failurePage(error, request, session, context)
        }
        let daemon = self.daemon
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let task = Task {
            // Whichever ends first ends the stream: the watch (every delivery final: `end`, and the page reloads;
            // refused or cut: `stop`, and the page stays as it is, with its refresh link), a ping that finds the
            // browser gone (Hummingbird notices only a failed write), or the stream's longest life, the session's
            // idle time, so a forgotten tab does not hold a connection to tocsind for hours.
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    let states = Mutex(Dictionary(uniqueKeysWithValues: status.deliveries.map { ($0.id, $0.state) }))
                    do {
                        _ = try await daemon.stream(AdminCall.watch, IncidentParams(incident: id), for: link) { line in
                            try Task.checkCancellation()
                            guard let event = try? JSONDecoder().decode(JSONRPC.ParamsOnly<DeliveryEvent>.self, from: line).params else { return }
                            let delivery = event.delivery
                            let counts = states.withLock { states in
                                states[delivery.id] = delivery.state
                                return Dictionary(grouping: states.values, by: { $0 }).mapValues(\.count)
                            }
                            let data: [String: String] = [
                                "id": delivery.id, "state": delivery.state, "word": words[Self.stateKey(delivery.state)] ?? delivery.state,
                                "detail": delivery.acceptance ?? delivery.lastError ?? "", "progress": Self.progress(counts, words),
                            ]
                            continuation.yield(ServerSentEvent.buffer("delivery", data))
                        }
                        continuation.yield(ServerSentEvent.buffer("end", [:]))
                    } catch {
                        continuation.yield(ServerSentEvent.buffer("stop", [:]))
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(15))
                        if case .terminated = continuation.yield(ServerSentEvent.ping) { return }
                    }
                }
                group.addTask { try? await Task.sleep(for: WebSession.idle) }
                await group.next()
                group.cancelAll()
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: .init(asyncSequence: stream)
        )
    }

    /// The incident report, the same page as `tocsinctl report --html`: its one inline style allowed by its hash.
    private func report(_ request: Request, _ context: WebContext, _ session: WebSession) async throws -> Response {
        let id = context.parameters.get("incident") ?? ""
        let report: IncidentReport
        do { report = try await daemon.call(AdminCall.incidentReport, IncidentParams(incident: id), for: behalf(session, request, context)) } catch {
            return failurePage(error, request, session, context)
        }
        let language = OperatorLanguage.of(request)
        var response = Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: ReportHTML.render(report, language: language)))
        )
        response.headers[.contentSecurityPolicy] = SecurityMiddleware<WebContext>.policy(styles: ReportHTML.styleSource)
        return response
    }

    /// "Tapez « FIN » pour confirmer".
    private static func typeWord(_ word: String, _ words: [String: String]) -> String {
        words["typeWord"]!.replacingOccurrences(of: "{word}", with: word)
    }

    private static func stateKey(_ state: String) -> String {
        switch state {
        case "in_flight", "in-flight", "sending": "inFlight"
        default: state
        }
    }

    /// An action on an incident, confirmed by its word: `call` runs for this web user (with the code typed, which
    /// tocsind asks for when the incident is live) and names the incident to show next.
    private func confirmed(
        _ word: ConfirmationWord, _ request: Request, _ context: WebContext, _ session: WebSession, _ form: Form,
        _ call: (OnBehalfOf, String) async throws(DaemonLink.Failure) -> String
    ) async -> Response {
        let id = context.parameters.get("incident") ?? ""
        guard word.accepts(form["word"] ?? "") else {
            return failure(request, session, words(request)["wrongWord"]!, id: id)
        }
        let link = behalf(session, request, context, code: form["code"].flatMap { $0.isEmpty ? nil : $0 })
        do {
            return redirect("/incidents/\(try await call(link, id))")
        } catch {
            return failurePage(error, request, session, context)
        }
    }

    private func allClear(_ request: Request, _ context: WebContext, _ session: WebSession, _ form: Form) async throws -> Response {
        await confirmed(.allClear, request, context, session, form) { link, id async throws(DaemonLink.Failure) in
            try await daemon.call(AdminCall.send, SendParams(template: "all-clear", msgType: "Cancel", references: id), for: link).summary.incident
        }
    }

    /// Re-sends a channel's failed deliveries (same ids, same bytes), once the channel is fixed.
    private func resend(_ request: Request, _ context: WebContext, _ session: WebSession, _ form: Form) async throws -> Response {
        await confirmed(.resend, request, context, session, form) { link, id async throws(DaemonLink.Failure) in
            _ = try await daemon.call(AdminCall.resend, ResendParams(incident: id, channel: form["channel"] ?? ""), for: link)
            return id
        }
    }

    private func cancel(_ request: Request, _ context: WebContext, _ session: WebSession, _ form: Form) async throws -> Response {
        await confirmed(.cancel, request, context, session, form) { link, id async throws(DaemonLink.Failure) in
            _ = try await daemon.call(AdminCall.cancel, IncidentParams(incident: id), for: link)
            return id
        }
    }

    private func failure(_ request: Request, _ session: WebSession, _ text: String, id: String) -> Response {
        let words = words(request)
        return pages.message(words["error"]!, text, frame: frame(request, session, title: words["error"]!, here: "/incidents/\(id)"), status: .unprocessableContent)
    }
}
