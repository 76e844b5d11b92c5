"""Checks every console page must pass, read from its HTML: a language, one h1, a label for
every field, alt text on every picture, a caption or header cells on every table, no inline
script or style (the CSP forbids them), and every form that changes something carries the
form token."""

from __future__ import annotations

from html.parser import HTMLParser

FIELDS = {"input", "select", "textarea"}
UNLABELLED_INPUTS = {"hidden", "submit", "button", "reset", "image"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.lang = ""
        self.h1 = 0
        self.label_for: set[str] = set()
        self.fields: list[tuple[str, dict[str, str], bool]] = []  # tag, attrs, inside a label
        self.open_labels = 0
        self.tables: list[dict[str, bool]] = []
        self.forms: list[dict[str, object]] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "style" in a:
            self.problems.append(f"inline style on <{tag}>")
        if any(k.startswith("on") for k in a):
            self.problems.append(f"inline event handler on <{tag}>")
        if tag == "html":
            self.lang = a.get("lang", "")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in FIELDS:
            if tag != "input" or a.get("type", "text") not in UNLABELLED_INPUTS:
                self.fields.append((tag, a, self.open_labels > 0))
            if self.forms and a.get("name") == "csrf":
                self.forms[-1]["token"] = True
        elif tag == "img":
            if "alt" not in a:
                self.problems.append(f"<img src={a.get('src')!r}> without alt")
        elif tag == "script":
            if not a.get("src"):
                self.problems.append("inline <script>")
        elif tag == "table":
            self.tables.append({"caption": False, "th": False})
        elif tag == "caption" and self.tables:
            self.tables[-1]["caption"] = True
        elif tag == "th" and self.tables:
            self.tables[-1]["th"] = True
        elif tag == "form":
            self.forms.append({"method": a.get("method", "get").lower(), "token": False,
                               "action": a.get("action", "")})  # fmt: skip

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels = max(0, self.open_labels - 1)
        elif tag == "table" and self.tables:
            table = self.tables.pop()
            if not (table["caption"] or table["th"]):
                self.problems.append("a table with neither caption nor header cells")


def problems(html: str) -> list[str]:
    page = _Page()
    page.feed(html)
    found = list(page.problems)
    if page.lang not in ("vi", "en"):
        found.append(f"<html lang={page.lang!r}>")
    if page.h1 != 1:
        found.append(f"{page.h1} <h1> elements (one expected)")
    for tag, attrs, inside_label in page.fields:
        named = (
            inside_label
            or attrs.get("id", "\0") in page.label_for
            or attrs.get("aria-label")
            or attrs.get("aria-labelledby")
        )
        if not named:
            found.append(f"<{tag} name={attrs.get('name')!r}> has no label")
    for form in page.forms:
        if form["method"] == "post" and not form["token"]:
            found.append(f"a POST form to {form['action']!r} without the form token")
    return found
