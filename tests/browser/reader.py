"""How the browser suite reads a page: load it once, record what a reader would meet."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from urllib.parse import urljoin, urlparse


@dataclass
class PageReport:
    path: str
    status: int | None = None
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    offsite_requests: list[str] = field(default_factory=list)
    math_total: int = 0
    math_untypeset: list[str] = field(default_factory=list)
    math_errors: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    text: str = ""
    visible_error_outputs: int = 0
    prev_href: str | None = None
    next_href: str | None = None
    axe_violations: list[dict] = field(default_factory=list)
    copy_buttons: int = 0
    code_blocks: int = 0
    dark_image_backgrounds: list[str] = field(default_factory=list)
    shown_code: list[str] = field(default_factory=list)
    wide_code: list[str] = field(default_factory=list)
    clicked: str | None = None
    landed_on: str | None = None


def _axe_source() -> str:
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


COLLECT = """() => {
  const main = document.querySelector('main') || document.body;
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const maths = [...document.querySelectorAll('.math')];
  const prev = document.querySelector('a.left-prev');
  const next = document.querySelector('a.right-next');
  return {
    math_total: maths.length,
    math_untypeset: maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80)),
    math_errors: [...document.querySelectorAll('mjx-merror')].map(m => m.textContent.slice(0, 80)),
    images: [...main.querySelectorAll('img')].map(img => ({
      src: img.getAttribute('src'), complete: img.complete,
      naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
      visible: visible(img), width: img.getBoundingClientRect().width,
      height: img.getBoundingClientRect().height})),
    visible_error_outputs: [...main.querySelectorAll('.output.stderr, .output.traceback, .output.error')]
        .filter(visible).length,
    prev_href: prev ? prev.getAttribute('href') : null,
    next_href: next ? next.getAttribute('href') : null,
    copy_buttons: main.querySelectorAll('button.copybtn').length,
    code_blocks: main.querySelectorAll(
        'div.cell_input div.highlight, div.highlight-python div.highlight, '
        + 'div.highlight-ipython3 div.highlight').length,
    // Code cells (hidden ones are open by now) wider than the text column: they would
    // scroll sideways. The widest line names the cell.
    wide_code: [...main.querySelectorAll('.cell_input pre')]
        .filter(pre => visible(pre) && pre.scrollWidth > pre.clientWidth + 1)
        .map(pre => {
          const widest = pre.innerText.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '');
          return `${pre.scrollWidth - pre.clientWidth}px too wide: ${widest.trim().slice(0, 90)}`;
        }),
  };
}"""

# The code a reader sees before opening anything (hidden cells and solutions stay shut).
SHOWN_CODE = """() => [...document.querySelectorAll('main .cell_input pre')]
  .filter(el => el.getClientRects().length && el.closest('details:not([open]), .toggle-hidden') === null)
  .map(el => el.innerText)"""

# Open every dropdown (hidden cells, exercise solutions) as a curious reader would.
OPEN_ALL = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('button.toggle-button[aria-expanded="false"]').forEach(b => b.click());
}"""

# The prose and outputs a reader reads: the main column's text, code inputs left out (a
# line of code may legitimately contain what would be an error in prose, such as -0.0).
READABLE_TEXT = """() => {
  const main = document.querySelector('main') || document.body;
  const inputs = [...main.querySelectorAll('.cell_input')];
  const saved = inputs.map(el => el.style.display);
  inputs.forEach(el => { el.style.display = 'none'; });
  const text = main.innerText;
  inputs.forEach((el, i) => { el.style.display = saved[i]; });
  return text;
}"""

DARK_BACKGROUNDS = """() => [...document.querySelectorAll('.bd-content img')]
  .filter(img => img.naturalWidth > 0)
  .map(img => img.getAttribute('src') + ' ' + getComputedStyle(img).backgroundColor)"""


# Dropdowns and the theme switch animate (fade-ins, colour transitions); a check must see
# the end state, so the suite turns the animations off instead of waiting them out.
NO_ANIMATIONS = """*, *::before, *::after {
  animation-duration: 0s !important; animation-delay: 0s !important;
  transition-duration: 0s !important; transition-delay: 0s !important; }"""

# The text of the main column, grouped by how it looks: one group per block (a code
# block, a table, or the rest of the column) and per tag, colour, font size and weight,
# opacity, text shadow and background of the element and of each ancestor up to the
# block. axe-core's colour-contrast verdict depends on the text's colour and size and on
# the backgrounds behind it, which here are its ancestors', so within a group it is the
# same for all (a full scan confirms it: tests/browser/test_pages.py). A table cell that
# spans rows or columns lies over other rows too, and is checked on its own. Only shown
# elements whose own text has a letter or a digit count, so the first of a group is one
# axe-core checks (a hidden "Show code" title first would have hidden the shown "Hide
# code" one). JavaScript: [element, group].
TEXT_BY_LOOK = r"""(() => {
  const main = document.querySelector('main');
  const looks = new Map();
  const look = el => {
    if (!looks.has(el)) {
      const s = getComputedStyle(el);
      looks.set(el, [el.tagName, s.color, s.fontSize, s.fontWeight, s.opacity, s.textShadow,
                     s.backgroundColor, s.backgroundImage].join(' '));
    }
    return looks.get(el);
  };
  const hasText = el => [...el.childNodes].some(
    node => node.nodeType === Node.TEXT_NODE && /[\p{L}\p{N}]/u.test(node.textContent));
  const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility === 'visible';
  const blocks = new Map();
  const found = [];
  if (!main) { return found; }
  main.querySelectorAll('*').forEach(el => {
    if (!hasText(el) || !shown(el) || el.rowSpan > 1 || el.colSpan > 1) { return; }
    const block = el.closest('pre, table') || main;
    if (!blocks.has(block)) { blocks.set(block, `${block.tagName} ${blocks.size}`); }
    let group = blocks.get(block);
    for (let node = el; node !== block.parentElement; node = node.parentElement) {
      group += ' / ' + look(node);
    }
    found.push([el, group]);
  });
  return found;
})()"""

# The accessibility scan checks the contrast of the first element of each group only: on
# a long chapter, the repeated code tokens, table cells and paragraphs were most of its
# time.
MARK_REPEATED_TEXT = f"""() => {{
  const seen = new Set();
  let marked = 0;
  for (const [el, group] of {TEXT_BY_LOOK}) {{
    if (seen.has(group)) {{ el.setAttribute('data-same-look', ''); marked++; }}
    else {{ seen.add(group); }}
  }}
  axe.configure({{rules: [{{id: 'color-contrast', selector: '*:not([data-same-look])'}}]}});
  return marked;
}}"""

# A full colour-contrast scan, nothing left out: each grouped element's group and
# axe-core's verdict on it (null if axe-core skips it).
VERDICTS_BY_LOOK = f"""async () => {{
  const found = {TEXT_BY_LOOK};
  const results = await axe.run(document, {{elementRef: true,
    runOnly: {{type: 'rule', values: ['color-contrast']}},
    resultTypes: ['violations', 'passes', 'incomplete']}});
  const verdict = new Map();
  for (const kind of ['violations', 'passes', 'incomplete']) {{
    for (const rule of results[kind]) {{
      for (const node of rule.nodes) {{ verdict.set(node.element, kind); }}
    }}
  }}
  return found.map(([el, group]) => [group, verdict.get(el) || null]);
}}"""


class Reader:
    """Opens each page once and keeps what it saw.

    ``screenshots``: a folder to save every page's screenshots in (light, full page; dark,
    the first screen) while it is read, or None to take none. `make test` takes none
    (a full-page screenshot of a long chapter is slow); `make screenshots` takes them all,
    and a failing page is photographed after the fact (``screenshot``).
    """

    def __init__(self, browser, base_url: str, screenshots=None) -> None:
        self.browser = browser
        self.base_url = base_url
        self.screenshots = screenshots
        self.reports: dict[str, PageReport] = {}
        self.axe = _axe_source()
        self.recording, self.mode_prefix = False, ""

    def new_page(self, report: PageReport | None = None):
        context = self.browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
        page = context.new_page()
        host = urlparse(self.base_url).netloc

        def route(route):
            if urlparse(route.request.url).netloc == host or route.request.url.startswith("data:"):
                route.continue_()
            else:
                if report is not None:
                    report.offsite_requests.append(route.request.url)
                route.abort()

        page.route("**/*", route)
        if report is not None:
            # Only what the page does counts, not what the test's own scripts (axe) do.
            def record(kind: str, message: str) -> None:
                if self.recording:
                    getattr(report, kind).append(self.mode_prefix + message)

            page.on(
                "console",
                lambda msg: (
                    msg.type == "error"
                    and record("console_errors", f"{msg.text} ({msg.location.get('url', '')})")
                ),
            )
            page.on("pageerror", lambda error: record("console_errors", f"uncaught: {error}"))
            page.on(
                "requestfailed",
                lambda request: record("failed_requests", f"{request.url}: {request.failure}"),
            )
            page.on(
                "response",
                lambda response: (
                    response.status >= 400
                    and record("failed_requests", f"{response.url}: HTTP {response.status}")
                ),
            )
        return context, page

    @staticmethod
    def wait_for_math(page) -> None:
        page.evaluate("""async () => {
          if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
            await MathJax.startup.promise;
            if (MathJax.typesetPromise) { await MathJax.typesetPromise(); }
          }
        }""")

    @staticmethod
    def settle(page) -> None:
        """Wait until nothing animates: with NO_ANIMATIONS in place a dropdown opens, and
        the theme switches, at once; this guards against an animation the style misses
        (axe-core would measure the contrast of half-transparent text)."""
        page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")

    def open(self, page, path: str):
        """Load ``path``, turn animations off, wait for the math and the fonts; the response."""
        response = page.goto(urljoin(self.base_url, path), wait_until="load")
        page.add_style_tag(content=NO_ANIMATIONS)
        self.wait_for_math(page)
        page.evaluate("async () => { await document.fonts.ready; }")
        return response

    def take_screenshot(self, page, name: str, full_page: bool = True) -> None:
        # JPEG: a tall page encodes in half the time of a PNG, and stays legible.
        self.screenshots.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(self.screenshots / f"{name}.jpg"), full_page=full_page, type="jpeg", quality=80
        )

    def screenshot(self, path: str, folder) -> None:
        """Full-page screenshots of one page, light and dark, into ``folder`` (for a failing page)."""
        saved, self.screenshots = self.screenshots, folder
        name = path.removesuffix(".html").replace("/", "__")
        context, page = self.new_page()
        try:
            self.open(page, path)
            self.take_screenshot(page, name)
            page.evaluate(
                "() => { document.documentElement.dataset.mode = 'dark'; "
                "document.documentElement.dataset.theme = 'dark'; }"
            )
            self.settle(page)
            self.take_screenshot(page, f"{name}-dark")
        finally:
            context.close()
            self.screenshots = saved

    def accessibility_violations(self, page, targets: int | None = 5) -> list[dict]:
        """axe-core's scan of the page as it is now (WCAG 2.1 A and AA, and best practice):
        each violated rule with its impact and the first ``targets`` elements that break it
        (all of them if None)."""
        page.add_script_tag(content=self.axe)
        page.evaluate(MARK_REPEATED_TEXT)
        results = page.evaluate("""async () => await axe.run(document, {
            resultTypes: ['violations'], preload: false,
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}
        })""")
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "targets": [n["target"] for n in v["nodes"]][:targets],
            }
            for v in results["violations"]
        ]

    def violations_with_style(self, path: str, css: str) -> list[dict]:
        """The accessibility scan of ``path`` with ``css`` added to the page (dropdowns
        open): to show that the scan catches a fault planted in it."""
        context, page = self.new_page()
        try:
            self.open(page, path)
            page.evaluate(OPEN_ALL)
            page.add_style_tag(content=css)
            self.settle(page)
            return self.accessibility_violations(page, targets=None)
        finally:
            context.close()

    def verdicts_by_look(self, path: str) -> list[tuple[str, str | None]]:
        """A full colour-contrast scan of ``path`` (dropdowns open), nothing left out: for
        each element TEXT_BY_LOOK groups, its group and axe-core's verdict ("passes",
        "violations", "incomplete"; None if axe-core does not check it)."""
        context, page = self.new_page()
        try:
            self.open(page, path)
            page.evaluate(OPEN_ALL)
            self.settle(page)
            page.add_script_tag(content=self.axe)
            return [tuple(row) for row in page.evaluate(VERDICTS_BY_LOOK)]
        finally:
            context.close()

    def report(self, path: str) -> PageReport:
        if path in self.reports:
            return self.reports[path]
        report = PageReport(path)
        name = path.removesuffix(".html").replace("/", "__")
        self.recording, self.mode_prefix = True, ""
        context, page = self.new_page(report)
        try:
            response = self.open(page, path)
            report.status = response.status if response else None
            if self.screenshots is not None:
                self.take_screenshot(page, name)
            report.shown_code = page.evaluate(SHOWN_CODE)
            page.evaluate(OPEN_ALL)
            self.settle(page)
            for key, value in page.evaluate(COLLECT).items():
                setattr(report, key, value)
            report.text = page.evaluate(READABLE_TEXT)
            self.settle(page)  # showing the hidden inputs again would restart their fade-in

            self.recording = False
            report.axe_violations = self.accessibility_violations(page)

            # Dark mode: the page as a reader who switched the theme to dark sees it (what
            # the theme's switch does: the mode on <html>, remembered in localStorage).
            self.recording, self.mode_prefix = True, "dark mode: "
            page.evaluate("""() => {
              localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');
              document.documentElement.dataset.mode = 'dark';
              document.documentElement.dataset.theme = 'dark';
            }""")
            self.settle(page)
            report.dark_image_backgrounds = page.evaluate(DARK_BACKGROUNDS)
            if self.screenshots is not None:
                self.take_screenshot(page, f"{name}-dark", full_page=False)

            # Last, the reader clicks on: "next", or "previous" on the last page. What the
            # next page does is that page's own visit, so nothing more is recorded.
            self.recording = False
            report.clicked = (
                "a.right-next" if report.next_href else "a.left-prev" if report.prev_href else None
            )
            if report.clicked:
                before = page.url
                page.locator(report.clicked).click()
                page.wait_for_url(lambda url: url != before, wait_until="commit")
                report.landed_on = urlparse(page.url).path.lstrip("/")
        finally:
            self.recording = False
            context.close()
        self.reports[path] = report
        return report
