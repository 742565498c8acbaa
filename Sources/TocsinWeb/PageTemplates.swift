/// The pages, as Mustache templates: `{{value}}` escapes what it prints for HTML (`& < > " '`), so every value a
/// person or a service typed is shown as text. `{{{body}}}`, unescaped, is only ever a page this library rendered.
/// No inline script and no inline style: the Content-Security-Policy forbids both.
enum PageTemplates {
    static let all: [String: String] = [
        "layout": layout, "sign-in": signIn, "home": home, "templates": templates, "form": form, "preview": preview,
        "incident": incident, "message": message, "confirm-fields": confirmFields,
    ]

    /// The word that confirms an action, and (for a live incident, unless `no_code`) a fresh code: every confirming
    /// form has them, with its own `label`.
    static let confirmFields = """
        <label>{{label}}<input name="word" autocomplete="off" autocapitalize="characters" spellcheck="false" required></label>
        {{#is_live}}{{^no_code}}<label>{{w.freshCode}}<input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="9" required></label>{{/no_code}}{{/is_live}}
        """

    static let layout = """
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} — Tocsin</title>
        <link rel="stylesheet" href="/static/tocsin.css">
        {{#live_updates}}<script src="/static/live.js" defer></script>{{/live_updates}}
        </head>
        <body class="{{kind}}">
        <header>
        <a class="brand" href="/">Tocsin</a>
        {{#user}}<span class="who">{{user}}</span>
        <form method="post" action="/sign-out" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button class="link" type="submit">{{w.signOut}}</button></form>{{/user}}
        <a class="lang" href="{{here}}?lang={{other_lang}}" hreflang="{{other_lang}}" lang="{{other_lang}}">{{w.switchLanguage}}</a>
        </header>
        {{#is_drill}}<p class="banner drill" role="status">{{w.drillBanner}}</p>{{/is_drill}}
        {{#is_live}}<p class="banner live" role="status">{{w.liveBanner}}</p>{{/is_live}}
        <main>
        {{{body}}}
        </main>
        {{#is_drill}}<p class="banner drill">{{w.drillBanner}}</p>{{/is_drill}}
        </body>
        </html>
        """

    static let signIn = """
        <h1>{{w.signInTitle}}</h1>
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/sign-in" class="stack">
        <input type="hidden" name="csrf" value="{{form_csrf}}">
        <label>{{w.name}}<input name="name" autocomplete="username" autocapitalize="none" spellcheck="false" required value="{{name}}"></label>
        <label>{{w.password}}<input name="password" type="password" autocomplete="current-password" required></label>
        <label>{{w.code}}<input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="9" required></label>
        <button class="big primary" type="submit">{{w.signIn}}</button>
        </form>
        """

    static let home = """
        {{#can_send}}<a class="big primary" href="/send">{{w.newAlert}}</a>{{/can_send}}
        <h1>{{w.incidents}}</h1>
        <ul class="incidents">
        {{#incidents}}
        <li class="{{kind}}"><a href="/incidents/{{id}}"><span class="tag">{{tag}}</span> <strong>{{title}}</strong>
        <span class="meta">{{created}} · {{progress}}</span></a></li>
        {{/incidents}}
        </ul>
        {{^incidents}}<p>{{w.noIncidents}}</p>{{/incidents}}
        """

    static let templates = """
        <h1>{{w.chooseTemplate}}</h1>
        <ul class="choices">
        {{#templates}}<li><a class="big" href="/send/{{id}}">{{label}}<small>{{id}}{{^approved}} · {{w.notApproved}}{{/approved}}</small></a></li>{{/templates}}
        </ul>
        """

    static let form = """
        <h1>{{label}}</h1>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/send/{{id}}/preview" class="stack">
        <input type="hidden" name="csrf" value="{{csrf}}">
        {{#follows}}<input type="hidden" name="follows" value="{{follows}}"><input type="hidden" name="kind" value="{{follows_kind}}">{{/follows}}
        {{#variables}}
        <fieldset><legend>{{name}}{{#required}} *{{/required}}</legend>
        {{#choices}}<label class="choice"><input type="radio" name="var.{{name}}" value="{{value}}"{{#checked}} checked{{/checked}}{{#required}} required{{/required}}><span>{{value}}</span></label>
        {{/choices}}
        {{#free}}<input name="var.{{name}}" value="{{value}}"{{#required}} required{{/required}}>{{/free}}
        </fieldset>
        {{/variables}}
        {{#follows}}<button class="big" type="submit">{{w.previewUpdate}}</button>{{/follows}}
        {{^follows}}
        <button class="big drill" type="submit" name="kind" value="drill">{{w.previewDrill}}</button>
        {{#approved}}<button class="big live" type="submit" name="kind" value="live">{{w.previewLive}}</button>{{/approved}}
        {{/follows}}
        </form>
        """

    static let preview = """
        <h1>{{w.previewTitle}}</h1>
        {{#messages}}<section class="message" lang="{{language}}"><h2>{{title}}</h2><p>{{body}}</p>{{#instruction}}<p>{{instruction}}</p>{{/instruction}}</section>
        {{/messages}}
        <table class="channels"><thead><tr><th>{{w.channel}}</th><th>{{w.text}}</th><th>{{w.length}}</th></tr></thead>
        <tbody>
        {{#texts}}<tr><td>{{channel}} <small>{{type}}</small></td><td class="text">{{text}}</td><td>{{size}}</td></tr>
        {{/texts}}
        </tbody></table>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/send/{{id}}/confirm" class="stack">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="kind" value="{{kind}}">
        <input type="hidden" name="request" value="{{request}}">
        {{#follows}}<input type="hidden" name="follows" value="{{follows}}">{{/follows}}
        {{#values}}<input type="hidden" name="var.{{name}}" value="{{value}}">
        {{/values}}
        {{#confirm}}{{> confirm-fields}}{{/confirm}}
        <button class="big {{kind}}" type="submit">{{confirm_button}}</button>
        </form>
        """

    static let incident = """
        <h1><span class="tag">{{tag}}</span> {{title}}</h1>
        <p class="meta">{{id}} · {{created}}{{#created_by}} · {{w.by}} {{created_by}}{{/created_by}}</p>
        {{#repeated}}<p class="notice" role="status">{{w.alreadySent}}</p>{{/repeated}}
        <p class="progress" id="progress">{{progress}}</p>
        <p class="meta">{{#finished}}{{w.finished}}{{/finished}}{{^finished}}{{w.inProgress}} <a href="/incidents/{{id}}">{{w.refresh}}</a>{{/finished}}</p>
        <table class="deliveries"><thead><tr><th>{{w.channel}}</th><th>{{w.state}}</th><th></th></tr></thead>
        <tbody>
        {{#deliveries}}<tr class="{{state}}" id="delivery-{{id}}"><td>{{channel}}{{#recipient}} <small>{{recipient}}</small>{{/recipient}}</td><td class="state">{{state_word}}</td><td>{{detail}}</td></tr>
        {{/deliveries}}
        </tbody></table>
        {{#messages}}<section class="message" lang="{{language}}"><h2>{{title}}</h2><p>{{body}}</p></section>
        {{/messages}}
        {{#failed_channels}}
        <form method="post" action="/incidents/{{id}}/resend" class="stack">
        <h2>{{w.resend}} — {{channel}}</h2>
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="channel" value="{{channel}}">
        {{> confirm-fields}}
        <button class="big" type="submit">{{w.resendButton}}</button>
        </form>
        {{/failed_channels}}
        {{#can_update}}<a class="big" href="/send/{{template}}?follows={{id}}&amp;kind={{kind}}">{{w.update}}</a>{{/can_update}}
        {{#all_clear}}
        <form method="post" action="/incidents/{{id}}/all-clear" class="stack">
        <h2>{{w.allClear}}</h2>
        <input type="hidden" name="csrf" value="{{csrf}}">
        {{> confirm-fields}}
        <button class="big {{kind}}" type="submit">{{w.allClearButton}}</button>
        </form>
        {{/all_clear}}
        {{#cancel}}
        <form method="post" action="/incidents/{{id}}/cancel" class="stack">
        <h2>{{w.cancel}}</h2>
        <input type="hidden" name="csrf" value="{{csrf}}">
        {{> confirm-fields}}
        <button class="big" type="submit">{{w.cancelButton}}</button>
        </form>
        {{/cancel}}
        <p><a href="/incidents/{{id}}/report">{{w.report}}</a> · <a href="/">{{w.back}}</a></p>
        """

    static let message = """
        <h1>{{heading}}</h1>
        <p class="error" role="alert">{{text}}</p>
        {{#hint}}<p>{{hint}}</p>{{/hint}}
        <p><a href="/">{{w.back}}</a></p>
        """
}

/// The one stylesheet, served from the binary (no third-party asset). A drill is framed in yellow and black stripes
/// on every page of its flow, a live alert in solid red: the two are not to be confused at a glance.
enum Stylesheet {
    static let css = """
        :root { font-family: system-ui, sans-serif; font-size: 18px; color: #111; background: #fff; }
        body { margin: 0; padding: 0 0 2rem; }
        header { display: flex; gap: .75rem; align-items: center; padding: .5rem 1rem; background: #1d2733; color: #fff; }
        header a, header .link { color: #fff; }
        .brand { font-weight: 700; text-decoration: none; margin-right: auto; }
        form.inline { display: inline; }
        main { padding: 1rem; max-width: 40rem; margin: 0 auto; }
        .stack { display: flex; flex-direction: column; gap: .9rem; margin: 1rem 0; }
        label { display: flex; flex-direction: column; gap: .3rem; font-weight: 600; }
        input { font-size: 1.1rem; padding: .7rem; border: 2px solid #555; border-radius: .4rem; }
        button, .big { font-size: 1.15rem; padding: 1rem; border-radius: .5rem; border: 2px solid #1d2733; background: #eef1f4; color: #111; text-align: center; display: block; text-decoration: none; font-weight: 700; }
        .big small { display: block; font-weight: 400; font-size: .85rem; }
        button.link { background: none; border: none; padding: 0; font-size: 1rem; text-decoration: underline; font-weight: 400; }
        .primary { background: #1d4ed8; color: #fff; border-color: #1d4ed8; }
        button.live { background: #b91c1c; color: #fff; border-color: #7f1d1d; }
        button.drill { background: repeating-linear-gradient(45deg, #facc15 0 14px, #111 14px 28px); color: #111; }
        button.drill { text-shadow: 0 0 4px #facc15, 0 0 4px #facc15; }
        body.drill main { border: 10px solid; border-image: repeating-linear-gradient(45deg, #facc15 0 14px, #111 14px 28px) 10; }
        body.live main { border: 10px solid #b91c1c; }
        .banner { margin: 0; padding: .8rem 1rem; font-weight: 800; font-size: 1.3rem; text-align: center; letter-spacing: .05em; }
        .banner.drill { background: #facc15; color: #111; border-top: 6px dashed #111; border-bottom: 6px dashed #111; }
        .banner.live { background: #b91c1c; color: #fff; }
        .tag { display: inline-block; padding: .1rem .4rem; border-radius: .3rem; font-size: .8rem; font-weight: 800; background: #ddd; }
        li.drill .tag, body.drill h1 .tag { background: #facc15; color: #111; }
        li.live .tag, body.live h1 .tag { background: #b91c1c; color: #fff; }
        ul.incidents, ul.choices { list-style: none; padding: 0; display: flex; flex-direction: column; gap: .6rem; }
        ul.incidents a { display: block; padding: .8rem; border: 2px solid #ccc; border-radius: .5rem; color: #111; text-decoration: none; }
        .meta { color: #444; font-size: .9rem; display: block; }
        fieldset { border: 2px solid #ccc; border-radius: .5rem; display: flex; flex-wrap: wrap; gap: .5rem; }
        legend { font-weight: 700; }
        .choice { flex-direction: row; align-items: center; }
        .choice input { width: 1.6rem; height: 1.6rem; }
        .choice span { padding: .6rem .8rem; border: 2px solid #555; border-radius: .4rem; }
        table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: .95rem; }
        th, td { border-bottom: 1px solid #ccc; padding: .4rem; text-align: left; vertical-align: top; }
        td.text { white-space: pre-wrap; overflow-wrap: anywhere; }
        tr.delivered .state { color: #166534; font-weight: 700; }
        tr.failed .state { color: #b91c1c; font-weight: 700; }
        .message { border-left: 4px solid #1d2733; padding-left: .8rem; margin: 1rem 0; }
        .error { background: #fee2e2; border: 2px solid #b91c1c; padding: .8rem; border-radius: .4rem; font-weight: 600; }
        .notice { background: #e0f2fe; border: 2px solid #0369a1; padding: .8rem; border-radius: .4rem; }
        .progress { font-size: 1.3rem; font-weight: 800; }
        """
}
