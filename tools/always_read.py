"""Sphinx extension: read the pages named in `always_read_docs` at every build, last.

The status page reports the device, the versions, the execution table and the
figures every lecture glued in the build that produced the site. Sphinx would skip
it on a rebuild where its own source did not change, leaving the tables of a
previous build; this marks it outdated every time (its front matter also tells
myst-nb to execute it every time), and reads it after every other page, so that
the executed lectures it reads (_build/jupyter_execute) are those of this build.
"""


def _outdated(app, env, added, changed, removed):
    return [doc for doc in app.config.always_read_docs if doc in env.found_docs]


def _read_last(app, env, docnames):
    last = [doc for doc in app.config.always_read_docs if doc in docnames]
    docnames[:] = [doc for doc in docnames if doc not in last] + last


def setup(app):
    app.add_config_value("always_read_docs", [], "env")
    app.connect("env-get-outdated", _outdated)
    app.connect("env-before-read-docs", _read_last)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
