"""Sphinx extension: read the pages named in `always_read_docs` whenever any other
page is read, and last, in the order of that list.

Two pages need it. The instructors' page (workshop/instructors) reads the learning
goals and the exercise times of every lecture's source, so it must be executed again
whenever a lecture changes. The status page, last, reports the device, the versions,
the execution table and the figures every lecture glued in the build that produced
the site. Sphinx would skip such a page on a rebuild where its own source did not
change, leaving the tables of a previous build; this marks each of them outdated
whenever another page is added, changed or removed (their front matter also tells
myst-nb to execute them each time they are read), and reads them after every other
page, so that the executed lectures the status page reads (_build/jupyter_execute)
are those of this build. A rebuild that reads no page leaves them as they are:
nothing they report has changed.
"""


def _outdated(app, env, added, changed, removed):
    docs = [doc for doc in app.config.always_read_docs if doc in env.found_docs]
    if added or changed or removed:
        return docs
    return [doc for doc in docs if doc not in env.all_docs]    # never read yet


def _read_last(app, env, docnames):
    last = [doc for doc in app.config.always_read_docs if doc in docnames]
    docnames[:] = [doc for doc in docnames if doc not in last] + last


def setup(app):
    app.add_config_value("always_read_docs", [], "env")
    app.connect("env-get-outdated", _outdated)
    app.connect("env-before-read-docs", _read_last)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
