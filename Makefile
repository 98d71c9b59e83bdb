# Thin targets over jupyter-book, sphinx, jupytext and pytest.
# `make html` and `make test` set everything up from the pinned lock on first use.

# The lock is resolved for Python 3.12 (tools/find_python.sh finds one, or says what to install).
PYTHON ?= $(shell tools/find_python.sh)
VENV   := .venv
BIN    := $(VENV)/bin
BUILD  := _build
HTML   := $(BUILD)/html
CACHE  := $(BUILD)/.jupyter_cache
# JAX's persistent compilation cache: the book build fills it, the Colab-runtime check
# (same jaxlib) reuses its compiled programs; emptied with the execution cache
JAX_CACHE := $(BUILD)/jax-cache
JAX_ENV   := JAX_COMPILATION_CACHE_DIR=$(CURDIR)/$(JAX_CACHE) JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0
# lectures executed at a time before the book build (tools/pre_execute.py; unset: one
# per core); JOBS=1 runs them one by one, so the times they measure are taken on an
# otherwise idle machine
JOBS ?=
VENDOR := $(BUILD)/vendor/_static
PORT   ?= 8000

.PHONY: html book slides slides-pdf pdf print-lectures notebooks test lint bench serve clean lock env vendor \
	colab-check colab-lock seeds gpu-pack

## env: the virtual environment, installed from requirements.txt (exact pins), with every
## module compiled to bytecode at install time: each lecture kernel, test and build step
## then imports JAX, Keras, Sphinx... from .pyc files instead of compiling them again
## (where PYTHONDONTWRITEBYTECODE is set, nothing else would ever write them)
## The venv also imports the book's library (lib/: the toc, pins and glue reader, the
## notebook generator, the local web server) by name, through a .pth file
env: $(VENV)/.installed $(VENV)/.lib-path
$(VENV)/.lib-path: $(VENV)/.installed
	$(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
		| xargs -I{} sh -c 'echo "$(CURDIR)/lib" > {}/book-lib.pth'
	touch $@
$(VENV)/.installed: requirements.txt
	@test -n "$(PYTHON)" || { tools/find_python.sh; exit 1; }
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null \
		|| { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet "$$(grep '^uv==' requirements.txt)"
	VIRTUAL_ENV=$(VENV) $(BIN)/uv pip sync --quiet --compile-bytecode requirements.txt
	touch $@

## vendor: MathJax 3 from the npm lock, copied into the build output (offline maths)
vendor: $(VENDOR)/mathjax/tex-chtml.js
$(VENDOR)/mathjax/tex-chtml.js: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR)/mathjax && mkdir -p $(VENDOR)/mathjax
	cd node_modules/mathjax/es5 && cp -r tex-chtml.js input output ui a11y sre adaptors $(CURDIR)/$(VENDOR)/mathjax/

## html: execute every lecture and write the site to _build/html, with the notebooks
## (written by the book build, see _ext/notebook_links.py), the slides, and,
## where Chromium is installed, the slides PDF and the lecture PDFs (see pdf)
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
html: book slides
	@if [ -x "$(CHROMIUM)" ]; then $(MAKE) --no-print-directory $(SLIDES_PDF) print-lectures; \
	else echo "note: no Chromium at $(CHROMIUM), so no PDFs; install chromium, then make slides-pdf pdf"; fi

book: env vendor
	@$(BIN)/python tools/check_book.py
	@$(BIN)/python tools/cache_key.py requirements.txt $(CACHE) $(BUILD)/.doctrees $(JAX_CACHE)
	@$(JAX_ENV) $(BIN)/python tools/pre_execute.py $(if $(JOBS),--jobs $(JOBS))
	$(JAX_ENV) $(BIN)/jupyter-book build . -W -n --keep-going

## slides: the reveal.js decks (slides/*.md), into _build/html/slides, after the book: a deck
## shows the figures and numbers its lecture glued (_ext/deck_glue.py); built again only when
## a deck, its configuration, an executed lecture, the lock or MathJax changed
# Plain sphinx-build with slides/conf.py: jupyter-book's builder would inject its
# theme and scripts into the deck. Built in _build/slides (myst-nb keeps its
# executed notebooks beside the output folder), then copied into the site.
DECKS       := $(basename $(notdir $(wildcard slides/*.md)))
SLIDES_OUT  := $(BUILD)/slides/html
SLIDES_HTML := $(DECKS:%=$(HTML)/slides/%.html)
SLIDES_PDF  := $(DECKS:%=$(HTML)/slides/%.pdf)
SLIDES_STAMP := $(BUILD)/slides/.copied
slides: book
	@$(MAKE) --no-print-directory $(SLIDES_STAMP)
$(SLIDES_STAMP): $(wildcard slides/*.md) slides/conf.py $(wildcard slides/_static/*) _ext/deck_glue.py \
		$(wildcard $(BUILD)/jupyter_execute/lectures/*.glue.json) requirements.txt package-lock.json
	@$(BIN)/python tools/cache_key.py requirements.txt $(BUILD)/slides/.jupyter_cache $(BUILD)/slides/doctrees
	PYTHONPATH=$(CURDIR)/_ext $(BIN)/sphinx-build -b revealjs -W --keep-going -q -d $(BUILD)/slides/doctrees slides $(SLIDES_OUT)
	@rm -rf $(HTML)/slides/_images $(HTML)/slides/_static
	@mkdir -p $(HTML)/slides
	cp -pr $(DECKS:%=$(SLIDES_OUT)/%.html) $(SLIDES_OUT)/_static $(SLIDES_OUT)/_images $(HTML)/slides/
	@touch $(SLIDES_HTML) $@

## slides-pdf: every deck printed to PDF with headless Chromium (again only when it changed)
slides-pdf: slides
	@$(MAKE) --no-print-directory $(SLIDES_PDF)
$(HTML)/slides/%.pdf: $(HTML)/slides/%.html
	$(BIN)/python tools/pdf.py deck $< $@

## pdf: every lecture printed to _build/html/_pdf/NAME.pdf with headless Chromium and
## _static/print.css (linked from the lecture's download menu); a lecture is printed
## again only when its HTML or its stylesheets changed (tools/pdf.py keeps the keys)
pdf: book
	@$(MAKE) --no-print-directory print-lectures
print-lectures:
	$(BIN)/python tools/pdf.py lectures $(HTML)

## notebooks: Colab/download notebooks, full and exercises-only, into _build/html/_notebooks
## (the book build writes them too; this target regenerates them alone)
notebooks: env
	$(BIN)/python -m notebooks --out $(HTML)/_notebooks --executed $(BUILD)/jupyter_execute

## colab-check: execute every generated notebook, full (install cell first) and
## exercises-only, in a venv that mirrors Colab's runtime (Python 3.13, colab/runtime.txt,
## google.colab importable); skipped with a message where no Python 3.13 is found.
## `make test` runs it too, through tests/test_colab.py.
colab-check: notebooks
	$(BIN)/python tools/colab_check.py

## colab-lock: re-resolve colab/runtime.txt from Colab's pins in colab/runtime.in
# (the header of runtime.in, with the list's source and date, heads runtime.txt too)
colab-lock: env
	@mkdir -p $(BUILD)
	$(BIN)/uv pip compile --quiet --no-header --python-version 3.13 colab/runtime.in -o $(BUILD)/colab-runtime.txt
	{ sed '/^[^#]/,$$d' colab/runtime.in; echo "#"; \
	  echo "# Resolved from colab/runtime.in by \`make colab-lock\`: edit runtime.in, not this file."; \
	  cat $(BUILD)/colab-runtime.txt; } > colab/runtime.txt

## test: build everything, then run the test suite over the build output
## (the Colab-runtime check included: tests/test_colab.py)
test: html
	$(BIN)/python -m pytest tests

## lint: static checks of the workflows and the build helpers
lint: env
	$(BIN)/actionlint .github/workflows/*.yml
	$(BIN)/python -m compileall -q _ext lib tools tests benchmarks

## bench: check the speed and size figures the lectures glued in the build against
## benchmarks/expectations.toml (one section per platform); fails naming each miss
bench: book
	$(BIN)/python benchmarks/bench.py

## seeds: execute every lecture (or PAGES="a b") on other master seeds (SEEDS=5 of them)
## and list each check that fails, by page, seed and line; not part of `make test`
SEEDS ?= 5
PAGES ?=
seeds: env
	$(BIN)/python tools/seeds.py --seeds $(SEEDS) $(if $(JOBS),--jobs $(JOBS)) $(PAGES)

## gpu-pack: the wheels a bare GPU machine lacks to execute every page (Keras, the Jupyter
## packages), into _build/gpu-pack/wheels, checked to fit with the working tree in 64 MiB;
## on that machine `python tools/gpu_run.py --wheels _build/gpu-pack/wheels --out DIR`
gpu-pack: env
	$(BIN)/python tools/gpu_pack.py

## serve: serve the built site on http://localhost:$(PORT)
serve:
	$(BIN)/python -m http.server --directory $(HTML) $(PORT)

## lock: re-resolve requirements.txt from requirements.in (after changing a pin)
lock:
	$(BIN)/uv pip compile --universal --python-version 3.12 requirements.in -o requirements.txt

clean:
	rm -rf $(BUILD)
