"""Checks on rendered HTML that several tests share."""

from html.parser import HTMLParser

FIELD_TAGS = {"input", "textarea", "select"}


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()
        self.described_by = []  # (tag, attrs) of elements with aria-describedby
        self.error_ids = []  # ids of elements with class errorlist
        self.fields = []  # (attrs) of form fields

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if attrs.get("aria-describedby"):
            self.described_by.append((tag, attrs))
        if "errorlist" in (attrs.get("class") or "").split() and attrs.get("id"):
            self.error_ids.append(attrs["id"])
        if tag in FIELD_TAGS and attrs.get("type") not in ("hidden", "submit"):
            self.fields.append(attrs)


def assert_errors_tied_to_fields(html):
    """Each field's error message is tied to its field (WCAG 1.3.1, 3.3.1): every id that
    aria-describedby names exists; every error list with an id is named by at least one
    element's aria-describedby; and a field described by an error says it is invalid."""
    page = _Collector()
    page.feed(html)
    for tag, attrs in page.described_by:
        missing = [i for i in attrs["aria-describedby"].split() if i not in page.ids]
        assert not missing, f"<{tag} name={attrs.get('name')!r}> is described by {missing}"
    named = {i for _tag, attrs in page.described_by for i in attrs["aria-describedby"].split()}
    loose = [i for i in page.error_ids if i not in named]
    assert not loose, f"error lists tied to no field: {loose}"
    for attrs in page.fields:
        if set(attrs.get("aria-describedby", "").split()) & set(page.error_ids):
            assert attrs.get("aria-invalid") == "true", f"{attrs.get('name')!r} lacks aria-invalid"
    return page
