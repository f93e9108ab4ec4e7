"""Every main page on a phone (390×844) and at a desk (1366×768).

Nothing may push the page sideways: a table wider than the screen scrolls in
its own marked box (`.table-scroll`, a keyboard-reachable named region), and
every column of every table can be brought into view, or is told in a card.
"""

import pytest

pytestmark = pytest.mark.e2e

DESK = {"width": 1366, "height": 768}
WARD = "/wards/14797/"  # Phường Hạc Thành, Thanh Hóa
CRITERION = "criterion 10 of the ward page"  # its URL holds the demo's year
DOSSIER = "/wards/14797/dossier/"

# Each role and the main pages it sees.
PAGES = {
    "demo-officer": [WARD, CRITERION, DOSSIER, "/notifications/", "/tasks/"],
    "demo-reviewer": [
        "/review/",
        "/tasks/",
        "/wards/",
        WARD,
        CRITERION,
        "/dashboard/38/",
    ],
    "demo-leader": [
        "/dashboard/01/",
        "/wards/",
        "/dashboard/trend/",
        "/notifications/",
        "/calendar/01/",
    ],
    "demo-national": [
        "/dashboard/",
        "/dashboard/01/",
        "/dashboard/trend/",
        "/wards/",
        DOSSIER,
        "/calendar/",
        "/notifications/settings/",
    ],
}

# Runs in the page; returns a list of what is wrong, each a sentence.
LAYOUT_PROBLEMS = """
() => {
  const problems = [];
  const width = window.innerWidth;
  const name = (el) => el.tagName.toLowerCase()
    + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].join(".") : "")
    + ` "${(el.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 30)}"`;
  const root = document.documentElement;
  if (root.scrollWidth > width) {
    problems.push(`the page scrolls sideways: ${root.scrollWidth} > ${width}`);
  }
  const offScreen = [];  // the outermost elements only
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const marked = el.closest(".table-scroll");
    if ((box.right > width + 1 || box.left < -1) && !marked
        && !offScreen.some((outer) => outer.contains(el))) {
      offScreen.push(el);
      problems.push(`${name(el)} runs off the screen (${box.left}–${box.right})`);
    }
    const style = getComputedStyle(el);
    const scrolls = ["auto", "scroll"].includes(style.overflowX)
      && el.scrollWidth > el.clientWidth + 1;
    if (scrolls && !el.classList.contains("table-scroll")) {
      problems.push(`${name(el)} scrolls sideways but is not marked .table-scroll`);
    }
  }
  for (const box of document.querySelectorAll(".table-scroll")) {
    const label = box.getAttribute("aria-label")
      || (document.getElementById(box.getAttribute("aria-labelledby") || "")
          || {}).textContent;
    if (box.getAttribute("tabindex") !== "0" || box.getAttribute("role") !== "region"
        || !(label || "").trim()) {
      problems.push(`${name(box)} is not a named region reachable by keyboard`);
    }
    const hint = box.querySelector(".scroll-hint");
    const overflows = box.scrollWidth > box.clientWidth + 1;
    const hintShown = hint !== null && hint.getBoundingClientRect().height > 0;
    if (overflows && width < 640 && !hintShown) {
      problems.push(`${name(box)} scrolls on a phone without saying so`);
    }
    if (!overflows && hintShown) {
      problems.push(`${name(box)} says it scrolls but does not`);
    }
  }
  return problems;
}
"""

# Runs in the page; scrolls each table's box column by column and returns
# what cannot be reached.
UNREACHABLE_COLUMNS = """
() => {
  const problems = [];
  const width = window.innerWidth;
  const seen = (cell) => {
    const box = cell.getBoundingClientRect();
    const x = box.left + Math.min(box.width / 2, 8), y = box.top + box.height / 2;
    if (x < 0 || x > width || y < 0 || y > window.innerHeight) return false;
    const hit = document.elementFromPoint(x, y);
    return hit !== null && cell.contains(hit);
  };
  const text = (cell) => cell.textContent.replace(/\\s+/g, " ").trim();
  for (const table of document.querySelectorAll("table")) {
    const heads = table.tHead ? [...table.tHead.rows].at(-1).cells : [];
    const scroller = table.closest(".table-scroll");
    if (scroller) scroller.scrollLeft = 0;
    const rows = [...table.tBodies].flatMap((body) => [...body.rows])
      .filter((row) => row.cells.length === heads.length);
    [...heads].forEach((head, index) => {
      if (head.getBoundingClientRect().width === 0) {
        // A card: each of the column's cells must say the column's name.
        for (const row of rows) {
          const cell = row.cells[index];
          const label = getComputedStyle(cell, "::before").content;
          if (cell.getBoundingClientRect().height > 0 && !label.includes(text(head))) {
            problems.push(`column "${text(head)}" is hidden and its cards lack it`);
            break;
          }
        }
        return;
      }
      head.scrollIntoView({block: "center", inline: "nearest"});
      if (!seen(head)) {
        problems.push(`column "${text(head)}" of table.${table.className} is out `
          + "of sight" + (scroller ? " even after scrolling its box" : ""));
      }
    });
    // Scrolled to its far end, the box still shows the first column.
    if (scroller && scroller.scrollLeft > 0 && heads.length && !seen(heads[0])) {
      problems.push(`table.${table.className} loses its first column when scrolled`);
    }
  }
  return problems;
}
"""

# Runs in the page: place names and "bar + figure" pairs that broke a line.
BROKEN_LINES = """
() => {
  const problems = [];
  const lines = (node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  };
  for (const place of document.querySelectorAll(".place")) {
    const walker = document.createTreeWalker(place, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode()) && !node.textContent.trim()) {}
    if (node && lines(node) > 1) {
      problems.push(`the place name "${node.textContent.trim()}" wraps`);
    }
  }
  // A progress bar and the figure beside it (its parent's other content).
  for (const bar of document.querySelectorAll(".progress-bar")) {
    const box = bar.getBoundingClientRect();
    if (box.height === 0) continue;
    for (const other of bar.parentElement.childNodes) {
      if (other === bar || !other.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(other);
      const line = [...range.getClientRects()].at(-1);
      const middle = (r) => r.top + r.height / 2;
      if (line && Math.abs(middle(line) - middle(box)) > 6) {
        problems.push(`"${other.textContent.trim()}" is not on its bar's line`);
      }
    }
  }
  return problems;
}
"""


def problems_on(page, url: str) -> list[str]:
    if url == CRITERION:
        page.goto(WARD)
        url = page.locator(".criteria a.title").nth(9).get_attribute("href")
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    found = page.evaluate(LAYOUT_PROBLEMS) + page.evaluate(BROKEN_LINES)
    found += page.evaluate(UNREACHABLE_COLUMNS)
    return [f"{url}: {problem}" for problem in found]


def test_every_page_fits_a_phone_and_every_column_can_be_reached(open_page):
    problems = []
    for username, urls in PAGES.items():
        page = open_page(username, phone=True)
        for url in urls:
            problems += problems_on(page, url)
    assert not problems, "\n".join(problems)


def test_every_page_still_fits_a_desk_without_scrolling_its_tables(open_page):
    problems = []
    for username, urls in PAGES.items():
        page = open_page(username)
        page.set_viewport_size(DESK)
        for url in urls:
            problems += problems_on(page, url)
            problems += [
                f"{url}: a table needs sideways scrolling at a desk"
                for box in page.locator(".table-scroll").all()
                if box.evaluate("box => box.scrollWidth > box.clientWidth + 1")
            ]
    assert not problems, "\n".join(problems)


def test_the_heat_map_names_its_criteria_without_hover(open_page):
    page = open_page("demo-leader", phone=True)
    page.goto("/dashboard/01/")
    headers = page.locator("table.heatmap thead a")
    assert headers.count() == 22
    for index in range(headers.count()):
        target = headers.nth(index).get_attribute("href")
        number = headers.nth(index).inner_text().split()[-1]  # after "criterion"
        item = page.locator(f"ol.criteria-legend li{target}")
        assert item.get_attribute("value") == number
        assert item.is_visible() and len(item.inner_text().strip()) > 10
    # A tap on the last column's number brings its name into view.
    last = headers.last
    last.scroll_into_view_if_needed()
    last.click()
    assert page.url.endswith(last.get_attribute("href"))
    assert page.locator("ol.criteria-legend li:target").is_visible()
    assert page.locator("ol.criteria-legend li:target").evaluate(
        "item => item.getBoundingClientRect().top < window.innerHeight"
    )
