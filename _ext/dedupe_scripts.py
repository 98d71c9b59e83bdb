"""Sphinx extension: emit each inline script once per page.

Sphinx 7 adds a body-only script (``app.add_js_file(None, body=...)``) twice when
an extension registers it after the builder starts, as sphinx-thebe and
sphinx-togglebutton do; the second ``const THEBE_JS_URL`` then throws
"Identifier has already been declared" in the browser. Sphinx 8 fixes this, but
jupyter-book 1 requires Sphinx 7, so the duplicates are dropped here.
"""


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        name = getattr(script, "filename", script) or ""  # None and "" are the same script
        key = (str(name), tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _drop_duplicate_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
