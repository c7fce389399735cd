# Two commands do everything (see README.md):
#   make book   build the HTML book into _build/html (creates .venv if needed)
#   make test   build the book, then the unit tests of `mini`, the checks of the built
#               site, the browser suite on every page, and nbval over every chapter
# Others: make serve (the site on localhost:8000), make lab (JupyterLab on the chapters),
# make pdf (the PDF edition; needs TeX Live), make benchmark (build and test timings).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LABSTAMP := $(VENV)/.lab-installed
NBDIR  := _build/nbval
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: book test unit site-tests notebooks env serve lab pdf pdf-deps pdf-check benchmark clean

# Chapters are executed through jupyter-cache, keyed on `mini`'s source as well as the
# chapters' code (_ext/book_site/__init__.py): a rebuild with nothing changed executes nothing,
# a change to `mini` re-executes every chapter.
book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Book built: open _build/html/index.html, or run 'make serve'"

test: book
	rm -rf $(NBDIR)
	$(BIN)/jupytext --quiet --to "../$(NBDIR)//ipynb" chapters/*.md
	$(BIN)/python -m pytest tests $(NBDIR) --nbval-lax -p no:cacheprovider -q -rsxX $(PYTEST_ARGS)

unit: $(STAMP)
	$(BIN)/python -m pytest tests -q --ignore=tests/browser --ignore=tests/test_site_build.py

site-tests: book
	$(BIN)/python -m pytest tests/test_site_build.py tests/browser -p no:cacheprovider -q -rsxX

env: $(STAMP)

# The virtual environment is rebuilt whenever requirements.txt or pyproject.toml changes.
# requirements.txt ends with `-e .`: `mini` is installed in editable mode, so every kernel
# the book or nbval starts (they run inside chapters/) imports the working copy.
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# The built site on http://localhost:$(PORT)/ (search needs a server; file:// is not enough).
serve:
	@test -f _build/html/index.html || { echo "No site yet: run 'make book' first"; exit 1; }
	@echo "Serving the book on http://localhost:$(PORT)/ (Ctrl-C stops)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# JupyterLab with the chapters opening as notebooks (jupytext), as on Binder.
$(LABSTAMP): $(STAMP) .binder/requirements.txt .binder/overrides.json
	$(BIN)/python -m pip install --quiet -r .binder/requirements.txt
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp .binder/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(LABSTAMP)

lab: $(LABSTAMP)
	$(BIN)/jupyter lab

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
	$(BIN)/jupyter-book build . --builder pdflatex -W -n --keep-going
	@test -f _build/latex/factor-risk-primer.pdf || { echo "XeLaTeX wrote no PDF"; exit 1; }
	@echo "PDF built: _build/latex/factor-risk-primer.pdf"

# Build the site and the PDF, then check that the PDF shows what the site shows
# (tests/test_pdf.py: every table and figure, no plumbing, no error text).
pdf-check: book pdf
	$(BIN)/python -m pytest tests/test_pdf.py -p no:cacheprovider -q -rsxX

benchmark: $(STAMP)
	$(BIN)/python benchmarks/build.py

clean:
	rm -rf _build
