"""The security handbook in a real browser: Debian's headless Chromium, driven by Playwright.

The test builds the site itself (synth through the shared fixture, documents rendered into a
scratch folder), serves it on 127.0.0.1 on a free port, and checks every page: no console errors,
no request leaves loopback, every Mermaid diagram rendered to an SVG. Search must find a role
name, and screenshots of the home and IAM pages go to artifacts/screenshots/.

Chromium comes from Debian (`apt-get install chromium`, `make browser`); Playwright's own browser
download does not work here and is never used. Without Chromium the tests are skipped, loudly.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
ROLE = "boi-dev-fincen-worker-task"
# As the machine notes say: without the background-networking flags Chromium keeps trying to
# reach Google's hosts, and this machine's closed network refuses every one of those connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Material renders each diagram into a *closed* shadow root, which no script can look into. For
# the test only, shadow roots are opened, so the SVG inside each diagram container can be checked.
OPEN_SHADOW_ROOTS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) { return attach.call(this, {...init, mode: "open"}); };
"""


def _chromium() -> str | None:
    for candidate in (os.environ.get("BOI_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (path := shutil.which(candidate)):
            return path
    return None


CHROMIUM = _chromium()
NO_CHROMIUM = (
    "CHROMIUM NOT FOUND: the handbook's browser tests did not run. Install Debian's chromium "
    "(`make browser`, i.e. apt-get install chromium) or set BOI_CHROMIUM to a Chromium binary."
)
if CHROMIUM is None:
    warnings.warn(NO_CHROMIUM, stacklevel=1)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def built(synth_env, tmp_path_factory):
    from boi.handbook import build_handbook

    out, _ = synth_env("dev")
    work = tmp_path_factory.mktemp("handbook")
    summary = build_handbook(out, work / "site", work / "stage")
    return work / "site", work / "stage", summary


@pytest.fixture(scope="module")
def server(built):
    site = built[0]
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    sync_api = pytest.importorskip("playwright.sync_api", reason="PLAYWRIGHT NOT INSTALLED: uv sync --frozen")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Visit:
    """One page with its console errors, failed requests and requests that left loopback."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.add_init_script(OPEN_SHADOW_ROOTS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on(
            "console",
            lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("response", lambda r: self.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        self.page.route("**/*", self._route)

    def _route(self, route) -> None:
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def open(self, path: str) -> None:
        self.page.goto(self.base + path, wait_until="networkidle")
        # Material swaps each <pre class="mermaid"> for a <div class="mermaid"> once it rendered.
        self.page.wait_for_function("document.querySelectorAll('pre.mermaid').length === 0", timeout=20_000)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, server):
    opened: list[Visit] = []

    def make() -> Visit:
        opened.append(Visit(browser, server))
        return opened[-1]

    yield make
    for v in opened:
        v.close()


def _pages(site: Path) -> list[str]:
    rels = (p.parent.relative_to(site) for p in site.rglob("index.html"))
    return sorted("" if rel == Path(".") else f"{rel.as_posix()}/" for rel in rels)


def _fences(stage: Path, path: str) -> int:
    source = stage / (path.rstrip("/") + ".md" if path else "index.md")
    return len(re.findall(r"^```mermaid\s*$", source.read_text(), flags=re.M))


@pytest.mark.slow
def test_site_has_every_page(built):
    site, _, summary = built
    pages = _pages(site)
    assert set(pages) >= {
        "",
        "architecture/",
        "security/access/",
        "security/iam/",
        "security/kms/",
        "security/audit-plan/",
        "security/encryption-standards/",
    }, pages
    assert summary["pages"] == len(pages)
    roles = [p for p in pages if p.startswith("security/roles/")]
    assert len(roles) >= 20 and "security/roles/boi-dev-compliance-officer/" in roles
    assert (site / "assets" / "javascripts" / "mermaid.min.js").is_file()
    for html in site.rglob("*.html"):
        text = html.read_text()
        assert "fonts.googleapis.com" not in text and "unpkg.com" not in text, f"{html} refers to a CDN"


SHOTS = {"": "handbook-home.png", "security/iam/": "handbook-iam.png"}


@pytest.mark.slow
def test_every_page_loads_clean_and_renders_its_diagrams(built, visit):
    """Every page once: no console error, no request off loopback, every diagram rendered; the home
    and IAM pages are screenshotted on the way (one load each, the IAM page being the largest)."""
    site, stage, _ = built
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    v = visit()
    diagrams = 0
    for path in _pages(site):
        v.open(path)
        expected = _fences(stage, path)
        containers = v.page.locator("div.mermaid")
        assert containers.count() == expected, f"/{path}: {containers.count()} diagram containers, {expected} fences"
        for i in range(expected):
            svg = containers.nth(i).locator("svg")
            assert svg.count() == 1, f"/{path}: diagram {i + 1} has no SVG"
            assert "Syntax error" not in (svg.text_content() or ""), f"/{path}: diagram {i + 1} did not parse"
            assert svg.bounding_box()["height"] > 50, f"/{path}: diagram {i + 1} is empty"
        diagrams += expected
        if path in SHOTS:
            target = SCREENSHOTS / SHOTS[path]
            # The top 4,000 px: the IAM document runs far longer than anyone looks at.
            height = min(4000, v.page.evaluate("document.documentElement.scrollHeight"))
            v.page.screenshot(path=str(target), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": height})
            assert target.stat().st_size > 10_000, target
    assert v.errors == [], "\n".join(v.errors)
    assert v.outside == [], f"requests left loopback: {v.outside}"
    assert all((SCREENSHOTS / name).is_file() for name in SHOTS.values())
    # data flow + trust boundaries (home, architecture), access graph, key hierarchy
    assert diagrams >= 4


@pytest.mark.slow
def test_search_finds_a_role(visit):
    v = visit()
    v.open("")
    box = v.page.locator("input.md-search__input")
    box.click()
    # Typed key by key: Material's search reacts to keyboard events, not to a programmatic fill.
    box.press_sequentially(ROLE, delay=10)
    results = v.page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15_000)
    own: list[str] = []
    pages: list[str] = []
    # Material shows the hits in batches as the reader scrolls the result list; many pages name the role,
    # so its own page may sit below the first batch: scroll as a reader would until it appears or the
    # list stops growing.
    for _ in range(10):
        # Hits that matched every word of the name (Material lists the others with "Missing: ...").
        complete = [
            results.nth(i).locator("a").first.get_attribute("href")
            for i in range(results.count())
            if "Missing:" not in results.nth(i).inner_text()
        ]
        pages = [href.split("?")[0].split("#")[0] for href in complete if href and "/security/" in href]
        own = [page for page in pages if page.rstrip("/").endswith(f"/roles/{ROLE}")]
        if own:
            break
        shown = results.count()
        v.page.locator(".md-search-result__scrollwrap").evaluate("el => el.scrollTo(0, el.scrollHeight)")
        v.page.wait_for_timeout(500)
        if results.count() == shown:
            break
    assert own, f"search for {ROLE} did not find its role page: {pages}"
    v.page.goto(own[0], wait_until="networkidle")
    assert ROLE in v.page.locator("article").inner_text(), f"{own[0]} does not name {ROLE}"
    assert v.errors == [], "\n".join(v.errors)


# ---------------------------------------------------------------- the access graph (no browser)


MATRIX = {
    "assets": {
        "documents/uploads": {
            "type": "s3_object",
            "bucket": "boi-{env}-documents-{account}",
            "key": "uploads/x",
        },
        "pii-key": {"type": "kms_key", "alias": "alias/boi-{env}-pii", "context_keys": ["tenant_id"]},
    },
    "allow": {
        "fincen-worker-task": {"documents/uploads": ["read"], "pii-key": ["decrypt"]},
        "compliance-officer": {"pii-key": []},
    },
}


def test_reach_from_matrix_names_the_real_roles_and_assets():
    from boi.handbook import Reach, reach_from_matrix

    reach = reach_from_matrix(MATRIX, prefix="boi-dev", placeholders={"env": "dev", "account": "111122223333"})
    assert reach == [
        Reach(
            ROLE,
            "documents/uploads",
            ("read",),
            "s3_object (bucket: boi-dev-documents-111122223333, key: uploads/x)",
        ),
        Reach(ROLE, "pii-key", ("decrypt",), "kms_key (alias: alias/boi-dev-pii)"),
    ]


def test_mermaid_graph_has_safe_ids_and_labelled_edges():
    from boi.handbook import Reach, mermaid_reach

    lines = mermaid_reach([Reach("boi-dev-a", 'db "x"/y', ("read", "write"))])
    assert lines[0] == "```mermaid" and lines[-1] == "```"
    assert '    p_boi_dev_a["boi-dev-a"]' in lines
    assert '    a_db__x__y[("db #quot;x#quot;/y")]' in lines
    assert '  p_boi_dev_a -- "read, write" --> a_db__x__y' in lines


@pytest.mark.slow
def test_access_page_without_a_matrix_comes_from_the_identity_policies(synth_env, tmp_path):
    from boi.handbook import render_access_page

    _, stacks = synth_env("dev")
    page, source = render_access_page(stacks, tmp_path / "no-matrix.yaml")
    assert source == "identity policies"
    assert f"| `{ROLE}` | kms boi-dev-pii | decrypt |" in page
    assert f"| `{ROLE}` | s3 boi-dev-documents-111122223333/uploads/* | read |" in page
    assert f"| `{ROLE}` | database user fincen_worker | connect |" in page
    assert "```mermaid" in page and "## Roles with AWS-managed policies" in page


def test_role_sections_become_pages_that_link_back():
    from boi.handbook import split_role_pages

    iam = (
        "# IAM\n\n## Roles\n\n| [boi-dev-x](#boi-dev-x) | [T1](#trust-t1) |\n\n## Role details\n\n"
        "### boi-dev-x\n\nPurpose.\n\n**Trust:** [T1](#trust-t1)\n\n## Guardrails\n\nrest\n"
    )
    document, pages = split_role_pages(iam)
    assert list(pages) == ["boi-dev-x"]
    assert pages["boi-dev-x"].startswith("# boi-dev-x\n") and "[T1](../iam.md#trust-t1)" in pages["boi-dev-x"]
    assert "| [boi-dev-x](roles/boi-dev-x.md) |" in document and "- [boi-dev-x](roles/boi-dev-x.md)" in document
    assert "### boi-dev-x" not in document and document.endswith("## Guardrails\n\nrest\n")
