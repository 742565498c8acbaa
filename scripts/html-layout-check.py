#!/usr/bin/env python3
"""Measures an HTML page in headless Chromium (Selenium + Debian's chromedriver) at several viewport widths.

For each width it loads the page with the viewport emulated (a phone width as a mobile viewport, so the page's
`<meta name="viewport">` applies), saves a full-page screenshot, then checks:
  - the page does not scroll sideways: document.documentElement.scrollWidth <= innerWidth;
  - no rendered element reaches past the viewport (getBoundingClientRect().right, and its width), except inside a
    box that scrolls sideways by itself (overflow-x auto/scroll) and that fits;
  - the same again with every <details> opened (what an auditor unfolds);
  - every --section selector matches a rendered element with text;
  - every --text occurs in the rendered text, and no --forbid pattern does;
  - no HTML text is smaller than --min-font px, no SVG text drawn smaller than --min-svg-font px;
  - printed (print media), no <details> keeps its content folded away.
Prints one JSON object (figures per width and the list of problems); exits 0 when there is none, 1 otherwise,
2 when the browser cannot be driven (selenium or chromedriver missing).

Nothing is fetched: the browser and driver are the installed ones (no Selenium Manager download).

Usage:
  html-layout-check.py --file report.html --width 1280 --width 390 --out DIR \
      --section '#approval' --text '1 échec' --forbid '(?<![0-9])1 échecs'
"""
import argparse
import base64
import json
import os
import re
import shutil
import struct
import sys

MEASURE = r"""
const width = window.innerWidth;
const problems = [];
const scrollsSideways = (el) => {
  const style = getComputedStyle(el);
  return (style.overflowX === 'auto' || style.overflowX === 'scroll') && el.scrollWidth > el.clientWidth;
};
let smallestText = null, smallestSvgText = null, checked = 0;
for (const el of document.body.querySelectorAll('*')) {
  const rect = el.getBoundingClientRect();
  if (rect.width === 0 && rect.height === 0) continue;  // not rendered (display:none, closed <details>)
  checked++;
  const tag = el.tagName.toLowerCase();
  const hasText = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim() !== '');
  if (hasText) {
    if (el instanceof SVGElement) {
      // Drawn size: the text's box height in CSS pixels.
      if (smallestSvgText === null || rect.height < smallestSvgText) smallestSvgText = rect.height;
    } else {
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (smallestText === null || size < smallestText) smallestText = size;
    }
  }
  if (rect.right <= width + 0.5 && rect.left >= -0.5) continue;
  // Past the edge: allowed only inside a box that scrolls by itself and that fits.
  let box = el.parentElement, contained = false;
  while (box && box !== document.body) {
    if (scrollsSideways(box)) {
      const boxRect = box.getBoundingClientRect();
      contained = boxRect.right <= width + 0.5 && boxRect.left >= -0.5;
      break;
    }
    box = box.parentElement;
  }
  if (!contained) {
    const id = el.id ? '#' + el.id : '';
    const cls = (typeof el.className === 'string' && el.className) ? '.' + el.className.trim().split(/\s+/).join('.') : '';
    problems.push(`${tag}${id}${cls} spans ${Math.round(rect.left)}..${Math.round(rect.right)} px in a ${width} px viewport: ` +
      JSON.stringify((el.textContent || '').trim().slice(0, 60)));
  }
}
return {
  innerWidth: width,
  scrollWidth: document.documentElement.scrollWidth,
  pageHeight: document.documentElement.scrollHeight,
  checked: checked,
  smallestText: smallestText,
  smallestSvgText: smallestSvgText,
  problems: problems.slice(0, 40),
  overflowing: problems.length,
};
"""

SECTION = r"""
const el = document.querySelector(arguments[0]);
if (!el) return null;
const rect = el.getBoundingClientRect();
return {height: rect.height, text: (el.innerText || '').trim().length};
"""


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return list(struct.unpack(">II", head[16:24]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", required=True)
    parser.add_argument("--width", type=int, action="append", required=True)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--out", required=True, help="folder for screenshots and the browser profile")
    parser.add_argument("--section", action="append", default=[])
    parser.add_argument("--text", action="append", default=[])
    parser.add_argument("--forbid", action="append", default=[], help="a regular expression the text must not match")
    parser.add_argument("--min-font", type=float, default=12)
    parser.add_argument("--min-svg-font", type=float, default=8)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    args = parser.parse_args()

    import headless_chromium
    try:
        driver = headless_chromium.start(args.out, (max(args.width), args.height), chromium=args.chromium, chromedriver=args.chromedriver)
    except headless_chromium.Missing as error:
        print(json.dumps({"error": str(error)}))
        return 2

    url = "file://" + os.path.abspath(args.file)
    result = {"file": args.file, "widths": [], "problems": []}
    problems = result["problems"]
    try:
        for width in args.width:
            mobile = width < 700
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": args.height, "deviceScaleFactor": 1, "mobile": mobile,
            })
            driver.get(url)
            figures = {"width": width, "mobile": mobile}
            shot = os.path.join(args.out, f"report-{width}.png")
            captured = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
            with open(shot, "wb") as f:
                f.write(base64.b64decode(captured["data"]))
            figures["screenshot"] = shot
            figures["screenshotSize"] = png_size(shot)
            figures["screenshotBytes"] = os.path.getsize(shot)

            closed = driver.execute_script(MEASURE)
            figures.update({key: closed[key] for key in ("innerWidth", "scrollWidth", "pageHeight", "checked",
                                                         "smallestText", "smallestSvgText", "overflowing")})
            if closed["innerWidth"] != width:
                problems.append(f"{width} px: the viewport is {closed['innerWidth']} px wide, not {width}")
            if closed["scrollWidth"] > closed["innerWidth"]:
                problems.append(f"{width} px: the page scrolls sideways (scrollWidth {closed['scrollWidth']})")
            problems.extend(f"{width} px: {p}" for p in closed["problems"])
            if closed["smallestText"] is not None and closed["smallestText"] < args.min_font:
                problems.append(f"{width} px: text of {closed['smallestText']} px (< {args.min_font})")
            if closed["smallestSvgText"] is not None and closed["smallestSvgText"] < args.min_svg_font:
                problems.append(f"{width} px: chart text drawn {closed['smallestSvgText']:.1f} px high (< {args.min_svg_font})")

            for selector in args.section:
                found = driver.execute_script(SECTION, selector)
                if not found or found["height"] <= 0 or found["text"] == 0:
                    problems.append(f"{width} px: section {selector} is missing, empty or not shown")
            text = driver.execute_script("return document.body.innerText")
            for expected in args.text:
                if expected not in text:
                    problems.append(f"{width} px: the text {expected!r} is not shown")
            for pattern in args.forbid:
                match = re.search(pattern, text)
                if match:
                    problems.append(f"{width} px: {match.group(0)!r} is shown (matches {pattern!r})")

            # Everything an auditor can unfold, unfolded: the attempt lists must fit too.
            figures["details"] = driver.execute_script(
                "const d = document.querySelectorAll('details'); d.forEach(e => e.open = true); return d.length")
            opened = driver.execute_script(MEASURE)
            figures["openedScrollWidth"] = opened["scrollWidth"]
            figures["openedPageHeight"] = opened["pageHeight"]
            figures["openedOverflowing"] = opened["overflowing"]
            if opened["scrollWidth"] > opened["innerWidth"]:
                problems.append(f"{width} px, details open: the page scrolls sideways (scrollWidth {opened['scrollWidth']})")
            problems.extend(f"{width} px, details open: {p}" for p in opened["problems"])
            shot = os.path.join(args.out, f"report-{width}-open.png")
            captured = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
            with open(shot, "wb") as f:
                f.write(base64.b64decode(captured["data"]))
            figures["openedScreenshot"] = shot
            result["widths"].append(figures)

        # On paper nothing stays folded: with print media, a closed <details>' content must be shown.
        driver.get(url)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        hidden = driver.execute_script(
            "return Array.from(document.querySelectorAll('details > :not(summary)')).filter(e => !e.checkVisibility()).length")
        result["printHiddenDetails"] = hidden
        if hidden:
            problems.append(f"print: {hidden} folded element(s) stay hidden on paper")
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    finally:
        driver.quit()

    print(json.dumps(result, ensure_ascii=False))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
