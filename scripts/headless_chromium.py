"""Debian's Chromium, headless, driven by Selenium through Debian's chromedriver: what the browser checks share
(scripts/html-layout-check.py, scripts/web-console-check.py). Nothing is fetched: Selenium Manager is kept offline.
"""
import os


class Missing(Exception):
    """The browser cannot be driven here: selenium, chromium or chromedriver is missing, or would not start."""


def start(out, window, flags=(), prefs=None, chromium="/usr/bin/chromium", chromedriver="/usr/bin/chromedriver"):
    """A driver whose profile and driver log live in `out`, its window `window` = (width, height)."""
    # Selenium must not try to download a driver or a browser (there is no network for it, and it must not need one).
    os.environ["SE_OFFLINE"] = "true"
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        raise Missing(f"selenium is not installed ({error}); run scripts/install-deps.sh")
    for tool in (chromium, chromedriver):
        if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
            raise Missing(f"{tool} is missing; run scripts/install-deps.sh (chromium, chromium-driver)")
    os.makedirs(out, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                 "--no-first-run", "--disable-extensions", f"--user-data-dir={os.path.join(out, 'profile')}",
                 f"--window-size={window[0]},{window[1]}", *flags):
        options.add_argument(flag)
    if prefs:
        options.add_experimental_option("prefs", prefs)
    service = Service(executable_path=chromedriver, log_output=os.path.join(out, "chromedriver.log"))
    try:
        return webdriver.Chrome(service=service, options=options)
    except Exception as error:  # the driver's own message says what is wrong (version, sandbox, display)
        raise Missing(f"cannot start chromium through chromedriver: {error}")
