"""Layout of the roadmap pages in Chromium at 1366×768, 1440×900 and a 390 px phone: nothing scrolls
sideways, the national page opens with its headline figures and the provinces' chart. Screenshots go
to test-artifacts/, the measured figures to test-artifacts/layout_roadmap.json."""

from __future__ import annotations

import json
from typing import Any

from testing.browser import ARTIFACTS, launch_chromium

from .test_browser import server  # noqa: F401  (the seeded manager's server)

VIEWPORTS = {"laptop": (1366, 768), "desktop": (1440, 900), "phone": (390, 844)}

_MEASURE = """() => {
  const box = sel => { const el = Array.from(document.querySelectorAll(sel)).find(e => e.getBoundingClientRect().width > 0);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return {x: Math.round(r.left), y: Math.round(r.top), w: Math.round(r.width), h: Math.round(r.height)}; };
  return {page_width: document.documentElement.scrollWidth, table: box('table#provinces'),
          headline: box('#headline'), chart: box('svg.chart.national'), counts: box('#status-counts')};
}"""


def test_roadmap_pages_fit_every_screen(server: str) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    figures: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        for name, (w, h) in VIEWPORTS.items():
            context = browser.new_context(viewport={"width": w, "height": h})
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{server}/login")
            page.fill("input[name=username]", "lanh.dao")
            page.fill("input[name=password]", "mat-khau-du-dai")
            page.click("button[type=submit]")
            page.wait_for_load_state()
            landing = page.url
            page.goto(f"{server}/roadmap?as_of=2025-06-30")
            national = page.evaluate(_MEASURE)
            page.screenshot(path=str(ARTIFACTS / f"layout_roadmap_{name}.png"))
            page.goto(f"{server}/roadmap/tinh/56?as_of=2025-06-30")
            province = page.evaluate(_MEASURE)
            page.screenshot(path=str(ARTIFACTS / f"layout_roadmap_province_{name}.png"), full_page=True)
            figures[name] = {"landing": landing.removeprefix(server), "national": national, "province": province,
                             "errors": errors}
            context.close()
        browser.close()
    print("\n" + json.dumps(figures))
    (ARTIFACTS / "layout_roadmap.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    for name, f in figures.items():
        w = VIEWPORTS[name][0]
        assert not f["errors"], (name, f["errors"])
        assert f["landing"].startswith("/roadmap"), f"a manager lands on {f['landing']}, not the roadmap"
        assert f["national"]["page_width"] <= w, f"{name}: /roadmap scrolls sideways ({f['national']['page_width']})"
        assert f["province"]["page_width"] <= w, f"{name}: the province page scrolls sideways"
        assert f["national"]["headline"] and f["national"]["chart"] and f["national"]["counts"], f["national"]
        if name != "phone":  # the headline figures are the first thing seen
            assert f["national"]["headline"]["y"] + f["national"]["headline"]["h"] <= VIEWPORTS[name][1]
