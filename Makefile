# Two commands do everything (see README.md):
#   make book   build the HTML book into _build/html (creates .venv if needed)
#   make test   lint (ruff), build the book, then the unit tests of `mini`, the checks of
#               the built site, the browser suite on every page, and nbval over every
#               chapter, on two pytest-xdist workers. `make test CHAPTER=09`: lint, build,
#               then only chapter 09's nbval and its page checks.
# Others: make serve (the site on localhost:8000), make lab (JupyterLab on the chapters),
# make pdf (the PDF edition; needs TeX Live), make benchmark (build and test timings),
# make mutation [MODULE=covariance] (mutation score of `mini`), make hypothesis-explore.
# make screenshots (every page photographed into _build/screenshots), make lint,
# make full-contrast-scan (the accessibility scan's shortcut checked on every page),
# make format-chapters (the chapters' code wrapped to the page's 80 characters),
# make lock (constraints.txt, the tested versions, re-resolved from requirements.txt).
PYTHON ?= python3
# Python caches compiled modules, and pytest its assertion-rewritten tests, in __pycache__
# (ignored by git). A machine that sets PYTHONDONTWRITEBYTECODE recompiled `mini` in every
# kernel and rewrote every test module in each pytest worker, on every run (6 s a worker).
unexport PYTHONDONTWRITEBYTECODE
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LABSTAMP := $(VENV)/.lab-installed
NBDIR  := _build/nbval
PORT   ?= 8000
PYTEST_ARGS ?=
# pytest-xdist: the tests run on this many worker processes (`make test XDIST=0`: none).
# `--dist loadscope`, refined in tests/conftest.py, keeps on one worker what must stay
# together: a notebook's nbval cells, and the checks of one page (they share one visit).
XDIST  ?= 2
# `make test CHAPTER=09`: only that chapter's nbval and its page checks.
CHAPTER ?=
ifeq ($(strip $(CHAPTER)),)
NB_SOURCES := $(wildcard chapters/*.md)
TEST_PATHS := tests
else
NB_SOURCES := $(wildcard chapters/$(CHAPTER)-*.md)
TEST_PATHS := tests/browser/test_pages.py
endif

.PHONY: book test lint unit site-tests screenshots notebooks env lock serve lab pdf pdf-deps pdf-check \
	format-chapters full-contrast-scan \
	benchmark clean mutation hypothesis-explore

# Chapters are executed through jupyter-cache, keyed on `mini`'s source as well as the
# chapters' code (_ext/book_site/__init__.py): a rebuild with nothing changed executes nothing,
# a change to `mini` re-executes every chapter. PREEXECUTE first runs the chapters the cache
# lacks, several at a time, into that same cache (_ext/book_site/execute.py); the build then
# finds them all there. It runs from _ext/ so that the kernels' environment is untouched.
PREEXECUTE := cd _ext && ../$(BIN)/python -m book_site.execute ..
# The site is rebuilt when something it is built from is newer than its stamp: a source
# below, the environment ($(STAMP), itself remade from requirements.txt, constraints.txt
# and pyproject.toml), or the build-time settings (SITE_SETTINGS). With
# nothing changed, `make book` runs neither step; Sphinx would take 4 s (on two cores) to
# find nothing to do, and `make test` runs `make book` first. A failed build leaves the
# stamp as it was, so the next `make book` builds again.
SITE_STAMP := _build/html/.built-from-sources
SITE_SOURCES := Makefile _config.yml _toc.yml intro.md references.bib jupytext.toml README.md \
	$(sort $(shell find chapters mini _ext -type f -not -path '*/__pycache__/*' -not -name '*.pyc'))
# The settings the build reads from the environment, and the list of sources (so that a
# file added or removed counts as a change), written when they differ from the last record.
SITE_SETTINGS := _build/site-settings.txt
SITE_SETTINGS_TEXT := BOOK_REPOSITORY_URL=$(BOOK_REPOSITORY_URL) BOOK_BASEURL=$(BOOK_BASEURL) $(SITE_SOURCES)
ifneq ($(SITE_SETTINGS_TEXT),$(file <$(SITE_SETTINGS)))
$(shell mkdir -p $(dir $(SITE_SETTINGS)))
$(file >$(SITE_SETTINGS),$(SITE_SETTINGS_TEXT))
endif

book: $(SITE_STAMP)
	@echo "Book built: open _build/html/index.html, or run 'make serve'"

$(SITE_STAMP): $(STAMP) $(SITE_SOURCES) $(SITE_SETTINGS)
	$(PREEXECUTE)
	$(BIN)/jupyter-book build . -W -n --keep-going
	touch $@

# Lint first: it takes seconds and fails early. Then the book (built only if a source
# changed; each chapter executed at most once, and not at all if the cache has it), then
# one pytest session: unit tests, site checks, browser suite, and nbval, which runs each
# chapter once more, as a reader would, from the jupytext-converted notebook.
test: lint book
	@test -n "$(NB_SOURCES)" || { echo "No chapter matches CHAPTER=$(CHAPTER)"; exit 1; }
	rm -rf $(NBDIR)
	$(BIN)/jupytext --quiet --to "../$(NBDIR)//ipynb" $(NB_SOURCES)
	BOOK_CHAPTER="$(CHAPTER)" $(BIN)/python -m pytest $(TEST_PATHS) $(NBDIR) --nbval-lax -p no:cacheprovider \
		-q -rsxX -n $(XDIST) --dist loadscope $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The chapters' code cells (hidden ones too) formatted by ruff at the width of the page's
# text column, 80 characters (tests/test_chapter_code.py checks the width). jupytext hands
# ruff the code and writes it back, leaving the Markdown, front matter and cell options
# as they are. Long strings and comments a formatter cannot wrap are wrapped by hand.
format-chapters: $(STAMP)
	$(BIN)/jupytext --quiet --pipe \
		"$(BIN)/ruff format --isolated --line-length 80 --target-version py311 {}" chapters/*.md

unit: $(STAMP)
	$(BIN)/python -m pytest tests -q --ignore=tests/browser --ignore=tests/test_site_build.py

site-tests: book
	$(BIN)/python -m pytest tests/test_site_build.py tests/browser -p no:cacheprovider -q -rsxX \
		-n $(XDIST) --dist loadscope

# The accessibility scan checks the contrast of one element per group of text that looks
# the same (tests/browser/reader.py); `make test` checks on one chapter that every element
# of a group gets its group's verdict, this target on every page (.ci/run runs it).
full-contrast-scan: book
	BOOK_FULL_SCANS=1 $(BIN)/python -m pytest tests/browser/test_pages.py -p no:cacheprovider -q -rsxX \
		-k test_text_that_looks_the_same -n $(XDIST) --dist loadscope

# Every page photographed (light, full page; and dark) into _build/screenshots/, while the
# browser suite runs (`make test` takes none, except of a page whose check fails).
screenshots: book
	BOOK_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser -p no:cacheprovider -q -rsxX \
		-n $(XDIST) --dist loadscope
	@echo "Screenshots in _build/screenshots/"

env: $(STAMP)

# The virtual environment is rebuilt whenever requirements.txt, constraints.txt or
# pyproject.toml changes. requirements.txt ends with `-e .`: `mini` is installed in
# editable mode, so every kernel the book or nbval starts (they run inside chapters/)
# imports the working copy. constraints.txt holds the exact versions the book was tested
# with; `make lock` re-resolves requirements.txt in a scratch venv and rewrites it.
$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $(STAMP)

LOCKVENV := _build/lock-venv
lock:
	rm -rf $(LOCKVENV)
	$(PYTHON) -m venv $(LOCKVENV)
	$(LOCKVENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCKVENV)/bin/python -m pip install --quiet -r requirements.txt
	{ sed -n '/^#/p' constraints.txt; $(LOCKVENV)/bin/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf $(LOCKVENV)
	@echo "constraints.txt rewritten: run 'make test' (the venv is rebuilt) and commit it"

# The built site on http://localhost:$(PORT)/ (search needs a server; file:// is not enough).
serve:
	@test -f _build/html/index.html || { echo "No site yet: run 'make book' first"; exit 1; }
	@echo "Serving the book on http://localhost:$(PORT)/ (Ctrl-C stops)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# JupyterLab for readers and authors. Readers: the reader's notebooks that `make book`
# writes (_build/html/_sources/chapters/*.ipynb, the site's downloads: every number and
# figure filled in). Authors: the MyST sources (chapters/*.md), opened as notebooks through
# jupytext; jupytext.toml keeps saving from rewriting their front matter, and the kernel is
# registered as "Python 3", the name the chapters carry. As root, JupyterLab needs --allow-root.
$(LABSTAMP): $(STAMP) .binder/requirements.txt .binder/overrides.json
	$(BIN)/python -m pip install --quiet -r .binder/requirements.txt
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp .binder/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3"
	touch $(LABSTAMP)

lab: $(LABSTAMP) book
	@echo "Readers: _build/html/_sources/chapters/*.ipynb (regenerated by 'make book')."
	@echo "Authors: chapters/*.md (the sources; saving writes the .md back)."
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

# The PDF edition, through XeLaTeX from Debian's TeX Live (`make pdf-deps` installs it,
# as root, about 350 MB installed, with poppler-utils for the PDF check). Not part of
# `make test`. Tables, hidden code and publishing statements: _ext/book_site/latex.py.
TEXLIVE := texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
           tex-gyre fonts-freefont-otf fonts-dejavu-core latexmk poppler-utils
pdf-deps:
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(TEXLIVE)

pdf: $(STAMP)
	rm -f _build/latex/factor-risk-primer.pdf   # never leave a stale PDF for the check
	$(PREEXECUTE)
	$(BIN)/jupyter-book build . --builder pdflatex -W -n --keep-going
	@test -f _build/latex/factor-risk-primer.pdf || { echo "XeLaTeX wrote no PDF"; exit 1; }
	@echo "PDF built: _build/latex/factor-risk-primer.pdf"

# Build the site and the PDF, then check that the PDF shows what the site shows
# (tests/test_pdf.py: every table and figure, no plumbing, no error text).
pdf-check: book pdf
	BOOK_PDF_CHECK=1 $(BIN)/python -m pytest tests/test_pdf.py -p no:cacheprovider -q -rsxX

benchmark: $(STAMP)
	$(BIN)/python benchmarks/build.py

# The property tests with fresh random examples, ten times as many as in CI (where the
# `ci` profile in tests/conftest.py derandomises them). A failure prints the example and
# a blob that reproduces it with @reproduce_failure.
hypothesis-explore: $(STAMP)
	HYPOTHESIS_PROFILE=explore $(BIN)/python -m pytest tests -m hypothesis -q \
	  --ignore=tests/browser --ignore=tests/test_site_build.py $(PYTEST_ARGS)

# Mutation testing with mutmut ([tool.mutmut] in pyproject.toml), in a copy under mutants/;
# then the score per module and the surviving mutants are printed. `make mutation` tests
# every mutant that has no verdict yet (all of them the first time; after that, those of
# functions changed since, or of a run that was interrupted). MODULE=covariance re-tests
# that module's mutants; SURVIVORS=1 re-tests every survivor (after adding tests);
# SAMPLE=600 tests 600 mutants drawn at random (SEED=0) and estimates the score from them.
# A first full run takes hours on two cores, a sample minutes. Not part of `make test`.
MODULE ?=
SURVIVORS ?=
SAMPLE ?=
SEED ?= 0
# One BLAS thread: mutmut forks a child per mutant, and a child forked while OpenBLAS's
# thread pool is up can hang on its locks (a "timeout" that is no verdict at all).
MUTMUT := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nice -n 10 $(BIN)/mutmut
SCORE := $(BIN)/python tests/mutation_score.py
mutation: $(STAMP)
ifneq ($(SAMPLE),)
	@# mutmut writes the mutants (and maps tests to functions) before it filters by name
	test -f mutants/mutmut-stats.json || $(MUTMUT) run "mini.no-such-mutant" > /dev/null 2>&1 || true
	$(BIN)/mutmut results --all true | $(SCORE) --sample $(SAMPLE) --seed $(SEED) > mutants/sample.txt
	$(MUTMUT) run $$(cat mutants/sample.txt)
	$(BIN)/mutmut results --all true | $(SCORE) --within mutants/sample.txt
else
	$(MUTMUT) run $(if $(MODULE),"mini.$(MODULE).*") \
		$(if $(SURVIVORS),$$($(BIN)/mutmut results | $(SCORE) --names))
	$(BIN)/mutmut results --all true | $(SCORE) $(MODULE)
endif

clean:
	rm -rf _build mutants
