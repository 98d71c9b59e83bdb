"""Sphinx extension: read the pages named in `always_read_docs` at every build.

The status page reports the device, the versions and the execution table of the
build that produced the site. Sphinx would skip it on a rebuild where its own
source did not change, leaving the table of a previous build; this marks it
outdated every time (its front matter also tells myst-nb to execute it every time).
"""


def _outdated(app, env, added, changed, removed):
    return [doc for doc in app.config.always_read_docs if doc in env.found_docs]


def setup(app):
    app.add_config_value("always_read_docs", [], "env")
    app.connect("env-get-outdated", _outdated)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
