#!/usr/bin/env python3
"""Checks Tocsin's web console (tocsin-web) over HTTPS, as a person and as an attacker would.

  web-console-check.py browser  --url URL --spki HASH --user NAME --password P --secret BASE32 --out DIR
      Drives Debian's Chromium (Selenium, chromedriver) at a phone's viewport (390x844): sign in with a TOTP code
      from pyotp, run a drill, a live send with its step-up code, watch it complete, send the all-clear. Saves a
      screenshot of each step in DIR. The certificate is trusted by its key (--ignore-certificate-errors-spki-list),
      so the origin stays secure and Secure cookies behave as in production.

  web-console-check.py security --url URL --ca CA.pem --user NAME --password P --secret BASE32
      --no-role-user NAME --no-role-password P --no-role-secret BASE32 --tocsinctl PATH --socket PATH --database PATH
      Plain HTTPS requests (the CA made by the test verifies the certificate): cookie flags and headers, CSRF
      (missing, another session's, cross-site), session fixation, escaping, a replayed code, guessing until the
      throttle and the lock-out, an approver's unlock, a web user in no role.

Prints one JSON object: {"steps": [...], "problems": [...]}; exits 0 when there is no problem, 1 otherwise, 2 when a
tool is missing.
"""
import argparse
import html
import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

problems = []
steps = []


def check(condition, what):
    steps.append({"check": what, "ok": bool(condition)})
    if not condition:
        problems.append(what)
    return condition


class Codes:
    """TOTP codes as the person's app shows them, each time step used once (tocsind refuses a step used before)."""

    def __init__(self, secret):
        import pyotp
        self.totp = pyotp.TOTP(secret)
        self.last = None

    def fresh(self):
        seconds = time.time()
        now = int(seconds) // 30
        # The previous step is accepted while the current one lasts: used first only with 10 s of it left, so a
        # step boundary on the way to tocsind cannot make it stale.
        oldest = now - 1 if seconds % 30 < 20 else now
        step = oldest if self.last is None else max(self.last + 1, oldest)
        while step > int(time.time()) // 30 + 1:
            # Every step in tocsind's window (the previous, this and the next) is spent: wait for the next one.
            time.sleep(1)
        self.last = step
        return self.totp.at(step * 30)


# ---------------------------------------------------------------- plain HTTPS, as an attacker scripts it

class Client:
    def __init__(self, url, ca):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.context = ssl.create_default_context(cafile=ca)
        self.cookies = {}

    def request(self, method, path, form=None, headers=None, cookies=None):
        connection = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=30)
        sent = dict(headers or {})
        jar = self.cookies if cookies is None else cookies
        if jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        set_cookies = response.headers.get_all("Set-Cookie") or []
        if cookies is None:
            for line in set_cookies:
                name, _, rest = line.partition("=")
                value = rest.split(";")[0]
                if "Max-Age=0" in line or "Expires=Thu, 01 Jan 1970" in line:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        connection.close()
        return response.status, response.headers, text, set_cookies

    def token(self, text):
        match = re.search(r'name="csrf" value="([^"]+)"', text)
        return match.group(1) if match else None

    def sign_in(self, user, password, code):
        _, _, page, _ = self.request("GET", "/sign-in")
        return self.request("POST", "/sign-in", {"csrf": self.token(page), "name": user, "password": password, "code": code},
                            headers={"Sec-Fetch-Site": "same-origin"})


def security(args):
    codes = Codes(args.secret)
    web = Client(args.url, args.ca)

    # Headers of every page, and the sign-in page's own cookie.
    status, headers, page, set_cookies = web.request("GET", "/sign-in")
    check(status == 200, "the sign-in page answers 200")
    csp = headers.get("Content-Security-Policy", "")
    check("default-src 'none'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp, f"CSP without inline script: {csp}")
    check("frame-ancestors 'none'" in csp, "CSP forbids framing")
    check(headers.get("Strict-Transport-Security", "").startswith("max-age="), "HSTS is sent")
    check(headers.get("X-Content-Type-Options") == "nosniff", "nosniff is sent")
    check(not re.search(r"<script(?![^>]*\bsrc=)", page) and " style=" not in page, "no inline script or style")

    # A form posted without the sign-in token, or from another site, is refused before anything is checked.
    status, _, _, _ = web.request("POST", "/sign-in", {"name": args.user, "password": args.password, "code": "000000"})
    check(status == 403, f"a sign-in without its token is refused (got {status})")
    fixed = {"tocsin_session": "attacker-chosen-session-id"}
    _, _, page, _ = web.request("GET", "/sign-in")
    status, _, _, _ = web.request("POST", "/sign-in", {"csrf": web.token(page), "name": args.user, "password": args.password, "code": "000000"},
                                  headers={"Sec-Fetch-Site": "cross-site"})
    check(status == 403, f"a cross-site sign-in is refused (got {status})")

    # Session fixation: a session id planted before the sign-in is not the one the person gets.
    web.cookies.update(fixed)
    code = codes.fresh()
    status, headers, _, set_cookies = web.sign_in(args.user, args.password, code)
    check(status == 303 and headers.get("Location") == "/", f"the right name, password and code sign in (got {status})")
    session_cookie = next((c for c in set_cookies if c.startswith("tocsin_session=")), "")
    attributes = [part.strip().lower() for part in session_cookie.split(";")[1:]]
    check("secure" in attributes and "httponly" in attributes and "samesite=strict" in attributes, f"the session cookie is Secure, HttpOnly, SameSite=Strict: {session_cookie.split(';', 1)[-1]}")
    check(web.cookies.get("tocsin_session") not in (None, "attacker-chosen-session-id"), "the planted session id was replaced at sign-in")
    # The session ends after 15 idle minutes: the cookie says so against the server's own clock (Date).
    expires = re.search(r"Expires=([^;]+)", session_cookie)
    if check(expires is not None and headers.get("Date"), "the session cookie has an expiry"):
        from email.utils import parsedate_to_datetime
        idle = (parsedate_to_datetime(expires.group(1)) - parsedate_to_datetime(headers["Date"])).total_seconds()
        check(14 * 60 <= idle <= 15 * 60 + 1, f"the session cookie lasts 15 idle minutes ({idle:.0f} s)")
    status, _, page, _ = web.request("GET", "/", cookies=dict(fixed))
    check(status == 303, "the planted id opens nothing")
    status, _, home, _ = web.request("GET", "/")
    check(status == 200 and args.user in home, "the signed-in session opens the home page")
    session_token = web.token(home)

    # The same code again is refused: a replayed code does not sign anyone in.
    replay = Client(args.url, args.ca)
    status, _, page, _ = replay.sign_in(args.user, args.password, code)
    check(status == 401 and ("wrong" in page.lower() or "erroné" in page), f"a replayed code is refused (got {status})")

    # CSRF on a state-changing form: no token, another session's token, a cross-site post.
    other = Client(args.url, args.ca)
    _, _, other_page, _ = other.request("GET", "/sign-in")
    drill = {"kind": "drill", "var.building": "Pavillon A"}
    status, _, _, _ = web.request("POST", "/send/evacuation/preview", dict(drill))
    check(status == 403, f"a preview without a CSRF token is refused (got {status})")
    status, _, _, _ = web.request("POST", "/send/evacuation/preview", dict(drill, csrf=other.token(other_page)))
    check(status == 403, f"a preview with another form's token is refused (got {status})")
    status, _, _, _ = web.request("POST", "/send/evacuation/preview", dict(drill, csrf=session_token), headers={"Origin": "https://attacker.example"})
    check(status == 403, f"a cross-site post (Origin) is refused (got {status})")
    status, _, _, _ = web.request("POST", "/send/evacuation/preview", dict(drill, csrf=session_token), headers={"Sec-Fetch-Site": "cross-site"})
    check(status == 403, f"a cross-site post (Sec-Fetch-Site) is refused (got {status})")

    # A value with markup is shown as text.
    status, _, page, _ = web.request("POST", "/send/evacuation/preview", dict(drill, csrf=session_token, **{"var.assembly_point": "<script>alert(1)</script>"}),
                                     headers={"Sec-Fetch-Site": "same-origin"})
    check(status == 200 and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page, f"a value with <script> is shown escaped (got {status})")

    # A double tap on "send" (or the form posted again after a lost answer) on a live alert: the second post carries
    # the preview's request key, so it is answered with the incident the first made; one alert, one code spent.
    def live_incidents():
        result = subprocess.run(["sqlite3", "-cmd", ".timeout 5000", args.database, "SELECT count(*) FROM incident WHERE status = 'Actual'"],
                                capture_output=True, text=True, check=True)
        return int(result.stdout.strip())
    live = {"kind": "live", "var.building": "Pavillon A"}
    status, _, preview, _ = web.request("POST", "/send/evacuation/preview", dict(live, csrf=session_token), headers={"Sec-Fetch-Site": "same-origin"})
    key = re.search(r'name="request" value="([^"]+)"', preview)
    if check(status == 200 and key is not None, f"the live preview carries a request key (got {status})"):
        _, _, other_preview, _ = web.request("POST", "/send/evacuation/preview", dict(live, csrf=session_token), headers={"Sec-Fetch-Site": "same-origin"})
        other_key = re.search(r'name="request" value="([^"]+)"', other_preview)
        check(other_key is not None and other_key.group(1) != key.group(1), "each preview has its own request key")
        before = live_incidents()
        confirm = dict(live, csrf=session_token, request=key.group(1), word="ENVOYER", code=codes.fresh())
        # Both taps at once, as a phone sends them: the second must not be refused for the code the first spends.
        answers = [None, None]
        def tap(index):
            answers[index] = web.request("POST", "/send/evacuation/confirm", dict(confirm), headers={"Sec-Fetch-Site": "same-origin"})
        taps = [threading.Thread(target=tap, args=(index,)) for index in range(2)]
        for thread in taps:
            thread.start()
        for thread in taps:
            thread.join()
        first, second = answers
        check(first[0] == 303 and (first[1].get("Location") or "").startswith("/incidents/"), f"the live send is accepted (got {first[0]} {first[2][:300]})")
        locations = [(answer[1].get("Location") or "") for answer in (first, second)]
        check(second[0] == 303 and len({location.split("?")[0] for location in locations}) == 1,
              f"the same form posted again leads to the same incident (got {second[0]} {locations} {second[2][:300]})")
        repeat = next((location for location in locations if location.endswith("?repeated=1")), None)
        if check(repeat is not None, f"one of the two is answered as a repeat: {locations}"):
            status, _, page, _ = web.request("GET", repeat)
            check(status == 200 and "rien n'est reparti" in html.unescape(page), f"the incident page says nothing went out again (got {status})")
        # The same key for another send (the form changed by hand, or posted again from history): refused, and the
        # preview shown again carries a new key, so the next try is not refused for the same reason.
        other = dict(confirm, **{"var.building": "Pavillon B"}, code=codes.fresh())
        status, _, page, _ = web.request("POST", "/send/evacuation/confirm", other, headers={"Sec-Fetch-Site": "same-origin"})
        fresh = re.search(r'name="request" value="([^"]+)"', page)
        check(status == 200 and "a déjà servi" in html.unescape(page), f"a key used for another send is refused (got {status})")
        check(fresh is not None and fresh.group(1) != key.group(1), "the preview shown again carries a new request key")
        check(live_incidents() == before + 1, "nothing more was sent")
        check(live_incidents() == before + 1, f"one live incident for two posts of one form ({live_incidents() - before})")

    # The incident report: its one inline <style> allowed by its hash, nothing else inline.
    status, headers, page, _ = web.request("GET", f"/incidents/{args.incident}/report")
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    report_csp = headers.get("Content-Security-Policy", "")
    if check(status == 200 and style is not None, f"the report opens (got {status})"):
        import base64, hashlib
        digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
        check(f"style-src 'sha256-{digest}'" in report_csp and "unsafe-inline" not in report_csp, f"the report's style is allowed by its hash only: {report_csp}")

    # Sign-out ends the session on the server: the old cookie opens nothing.
    old = dict(web.cookies)
    status, _, _, _ = web.request("POST", "/sign-out", {"csrf": session_token}, headers={"Sec-Fetch-Site": "same-origin"})
    check(status == 303, "sign-out")
    status, _, _, _ = web.request("GET", "/", cookies=old)
    check(status == 303, "a signed-out session's cookie opens nothing")

    # Guessing: the first failures cost nothing; after many, each guess waits, and even the right password waits.
    guesser = Client(args.url, args.ca)
    answers = [guesser.sign_in(args.user, f"guess number {n}", "123456") for n in range(3)]
    check([a[0] for a in answers] == [401, 401, 401], f"wrong guesses are refused: {[a[0] for a in answers]}")
    # The count a long attack leaves (ten failures, the last just now), without waiting through each doubling.
    subprocess.run(["sqlite3", "-cmd", ".timeout 5000", args.database,
                    f"UPDATE web_user SET failures = 10, lastFailureAt = {int(time.time() * 1000)} WHERE name = '{args.user}'"], check=True)
    status, headers, page, _ = guesser.sign_in(args.user, "guess number 4", "123456")
    check(status == 429 and ("wait" in page or "attendez" in page), f"guessing meets the wait (got {status})")
    check((headers.get("Retry-After") or "").isdigit(), f"a wait says how long in Retry-After: {headers.get('Retry-After')}")
    status, _, page, _ = guesser.sign_in(args.user, args.password, codes.fresh())
    check(status == 429 and ("wait" in page or "attendez" in page), f"even the right password waits after guessing (got {status})")

    # The lock-out (failures past the longest wait, as a long attack leaves them) holds until an approver unlocks.
    subprocess.run(["sqlite3", "-cmd", ".timeout 5000", args.database,
                    f"UPDATE web_user SET failures = 30, lastFailureAt = {int(time.time() * 1000)} WHERE name = '{args.user}'"], check=True)
    status, _, page, _ = Client(args.url, args.ca).sign_in(args.user, args.password, codes.fresh())
    check(status != 303 and ("locked" in page or "bloqué" in page), f"a locked-out user is refused (got {status})")
    check("tocsinctl web-users unlock" in page, "the refusal names the way through")
    unlock = subprocess.run([args.tocsinctl, "web-users", "unlock", args.user], env=dict(os.environ, TOCSIN_SOCKET=args.socket), capture_output=True, text=True)
    check(unlock.returncode == 0, f"an approver unlocks: {unlock.stdout} {unlock.stderr}")
    status, _, _, _ = Client(args.url, args.ca).sign_in(args.user, args.password, codes.fresh())
    check(status == 303, f"unlocked, the user signs in (got {status})")

    # A web user in no role signs in, and tocsind refuses everything the console asks for them.
    nobody = Client(args.url, args.ca)
    status, _, _, _ = nobody.sign_in(args.no_role_user, args.no_role_password, Codes(args.no_role_secret).fresh())
    check(status == 303, f"a web user in no role can sign in (got {status})")
    status, _, page, _ = nobody.request("GET", "/")
    check(status == 403 and f"web:{args.no_role_user}" in page and "incident.list" in page, f"tocsind refuses a web user in no role (got {status})")


# ---------------------------------------------------------------- a real browser at a phone's size

def browser(args):
    import headless_chromium
    try:
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
        # A phone set to Canadian French: what its browser sends as Accept-Language. The certificate is trusted by
        # its key, so the origin stays secure.
        driver = headless_chromium.start(
            args.out, (390, 844), flags=(f"--ignore-certificate-errors-spki-list={args.spki}", "--lang=fr-CA"),
            prefs={"intl.accept_languages": "fr-CA,fr,en"}, chromium=args.chromium, chromedriver=args.chromedriver)
    except (ImportError, headless_chromium.Missing) as error:
        print(json.dumps({"error": str(error)}))
        return 2
    codes = Codes(args.secret)
    shots = 0

    def shot(name):
        nonlocal shots
        shots += 1
        driver.save_screenshot(os.path.join(args.out, f"{shots:02d}-{name}.png"))

    def fill(name, value):
        field = driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)

    def go(by, selector):
        """Clicks what leads to another page and waits until that page has replaced this one."""
        old = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(by, selector).click()

        def replaced(_):
            # Stale, or (mid-navigation) no longer in any document: either way the old page is gone.
            try:
                old.is_enabled()
                return False
            except WebDriverException:
                return True
        WebDriverWait(driver, 30, poll_frequency=0.1).until(replaced)

    def text_of(by, selector):
        """An element's text, read again if the page was reloading itself (live.js) at that moment."""
        return WebDriverWait(driver, 30, poll_frequency=0.1, ignored_exceptions=(WebDriverException,)).until(
            lambda d: [d.find_element(by, selector).text])[0]

    def wait_for(condition, what, seconds=60):
        try:
            # The page may be reloading itself (live.js, once every delivery is final): a read that meets the
            # navigation is tried again.
            WebDriverWait(driver, seconds, poll_frequency=0.2, ignored_exceptions=(WebDriverException,)).until(lambda d: condition())
            return True
        except Exception:
            return check(False, what)

    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
        driver.get(args.url + "/")
        check(driver.current_url.endswith("/sign-in"), "a visitor is sent to the sign-in page")
        check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr", "French first (Accept-Language fr-CA)")
        shot("sign-in")
        fill("name", args.user)
        fill("password", args.password)
        fill("code", codes.fresh())
        go(By.CSS_SELECTOR, "button[type=submit].primary")
        wait_for(lambda: driver.current_url.rstrip("/") == args.url, "signed in, the home page opens")
        cookie = driver.get_cookie("tocsin_session") or {}
        check(cookie.get("secure") and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict", f"the browser holds a Secure, HttpOnly, SameSite=Strict session cookie: {cookie.get('sameSite')}")
        shot("home")

        # A drill: the pages are unmistakably a drill.
        go(By.LINK_TEXT, "Nouvelle alerte")
        go(By.CSS_SELECTOR, "a[href='/send/evacuation']")
        driver.find_element(By.XPATH, "//label[span='Pavillon A']").click()
        shot("form")
        go(By.CSS_SELECTOR, "button[value=drill]")
        check("drill" in driver.find_element(By.TAG_NAME, "body").get_attribute("class"), "the drill preview is marked as a drill")
        check("EXERCICE" in text_of(By.CSS_SELECTOR, ".banner.drill"), "the drill banner says EXERCICE")
        check(driver.find_elements(By.CSS_SELECTOR, "input[name=code]") == [], "a drill asks for no code")
        shot("drill-preview")
        fill("word", "EXERCICE")
        go(By.CSS_SELECTOR, "form[action$='/confirm'] button")
        wait_for(lambda: "/incidents/" in driver.current_url, "the drill is sent")
        wait_for(lambda: "Terminé" in driver.page_source, "the drill completes on the page (plain refresh)")
        check("EXERCICE" in text_of(By.CSS_SELECTOR, ".banner.drill"), "the drill's incident page is marked as a drill")
        check("1 sur 2" in text_of(By.ID, "progress"), "one channel of two has the drill (the SMS gateway refused it)")
        shot("drill-done")
        drill_url = driver.current_url

        # The SMS gateway is fixed: its failed delivery is re-sent from the incident page.
        fill("word", "RENVOYER")
        go(By.CSS_SELECTOR, "form[action$='/resend'] button")
        wait_for(lambda: "2 sur 2" in text_of(By.ID, "progress"), "the re-sent channel takes the drill")
        # Finished: the page has reloaded itself once and stays (no click may meet that reload).
        wait_for(lambda: "Terminé" in driver.page_source, "the re-sent drill is finished")
        shot("drill-resent")

        # An update of the drill: its values filled in, its own word, still a drill.
        go(By.PARTIAL_LINK_TEXT, "Mise à jour")
        driver.find_element(By.XPATH, "//label[span='Pavillon B']").click()
        go(By.CSS_SELECTOR, "form[action$='/preview'] button")
        check("drill" in driver.find_element(By.TAG_NAME, "body").get_attribute("class"), "a drill's update is a drill")
        check("MISE À JOUR" in driver.page_source, "the update asks for its own word")
        fill("word", "MISE À JOUR")
        go(By.CSS_SELECTOR, "form[action$='/confirm'] button")
        wait_for(lambda: "/incidents/" in driver.current_url and driver.current_url != drill_url, "the update is sent")
        wait_for(lambda: "Terminé" in driver.page_source, "the update completes")
        shot("drill-update-done")

        # A live send: the confirmation word is the live one and a fresh code is asked.
        driver.get(args.url + "/send/evacuation")
        driver.find_element(By.XPATH, "//label[span='Pavillon B']").click()
        go(By.CSS_SELECTOR, "button[value=live]")
        check("live" in driver.find_element(By.TAG_NAME, "body").get_attribute("class"), "the live preview is marked live")
        check(driver.find_elements(By.CSS_SELECTOR, ".banner.drill") == [], "the live preview has no drill banner")
        shot("live-preview")
        fill("word", "EXERCICE")
        fill("code", "000000")
        go(By.CSS_SELECTOR, "form[action$='/confirm'] button")
        check("/incidents/" not in driver.current_url and "rien n'a été envoyé" in driver.page_source, "the drill's word does not confirm a live send")
        fill("word", "ENVOYER")
        fill("code", codes.fresh())
        shot("live-confirm")
        go(By.CSS_SELECTOR, "form[action$='/confirm'] button")
        wait_for(lambda: "/incidents/" in driver.current_url, "the live send is accepted with its code")
        live_url = driver.current_url
        wait_for(lambda: "Terminé" in driver.page_source, "the live send completes on the page")
        check("ALERTE RÉELLE" in text_of(By.CSS_SELECTOR, ".banner.live"), "the live incident page is marked live")
        shot("live-done")

        # The all-clear of the live incident, with its own word and code.
        driver.get(live_url)
        fill("word", "FIN")
        fill("code", codes.fresh())
        go(By.CSS_SELECTOR, "form[action$='/all-clear'] button")
        wait_for(lambda: driver.current_url != live_url and "/incidents/" in driver.current_url, "the all-clear is sent")
        wait_for(lambda: "Terminé" in driver.page_source, "the all-clear completes")
        shot("all-clear-done")

        # English on request, and back.
        go(By.CSS_SELECTOR, "a.lang")
        check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", "the language switch shows English")
        shot("english")

        # The incident report, as an auditor reads it: the same page as tocsinctl report --html, its style applied.
        driver.get(live_url + "/report")
        check("Bilan d'incident" in driver.title, f"the report opens: {driver.title}")
        check(driver.execute_script("return getComputedStyle(document.body).margin") != "8px", "the report's style applies under the CSP (its hash)")
        shot("report")
    except Exception:
        # The page the browser was on, kept beside the screenshots for whoever reads the failure.
        with open(os.path.join(args.out, "last-page.html"), "w") as f:
            f.write(f"<!-- {driver.current_url} -->\n" + driver.page_source)
        shot("failure")
        raise
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    for name in ("browser", "security"):
        p = sub.add_parser(name)
        p.add_argument("--url", required=True)
        p.add_argument("--user", required=True)
        p.add_argument("--password", required=True)
        p.add_argument("--secret", required=True)
    b = sub.choices["browser"]
    b.add_argument("--spki", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--chromium", default="/usr/bin/chromium")
    b.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    s = sub.choices["security"]
    s.add_argument("--ca", required=True)
    s.add_argument("--no-role-user", required=True)
    s.add_argument("--no-role-password", required=True)
    s.add_argument("--no-role-secret", required=True)
    s.add_argument("--tocsinctl", required=True)
    s.add_argument("--socket", required=True)
    s.add_argument("--database", required=True)
    s.add_argument("--incident", required=True, help="an incident whose report the user may read")
    args = parser.parse_args()
    try:
        import pyotp  # noqa: F401
    except ImportError:
        print(json.dumps({"error": "pyotp is not installed; run scripts/install-deps.sh"}))
        return 2
    try:
        code = browser(args) if args.mode == "browser" else security(args)
    except Exception as error:  # a step that could not even run is a problem, said with its step
        problems.append(f"{type(error).__name__}: {error}")
        code = None
    if code == 2:
        return 2
    print(json.dumps({"steps": steps, "problems": problems}, ensure_ascii=False))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
