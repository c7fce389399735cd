# Two commands do everything (see README.md):
#   make book   build the HTML book into _build/html (creates .venv if needed)
#   make test   unit tests of `mini` plus nbval over every chapter notebook
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NBDIR  := _build/nbval

.PHONY: book test unit notebooks env clean

book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Book built: open _build/html/index.html"

test: $(STAMP)
	rm -rf $(NBDIR)
	$(BIN)/jupytext --quiet --to "../$(NBDIR)//ipynb" chapters/*.md
	$(BIN)/python -m pytest tests $(NBDIR) --nbval-lax -p no:cacheprovider -q

unit: $(STAMP)
	$(BIN)/python -m pytest tests -q

env: $(STAMP)

# The virtual environment is rebuilt whenever requirements.txt changes. A .pth file
# puts the repository root on the path, so `import mini` works in every kernel the
# book or nbval starts (they run inside chapters/), without installing the package.
$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -c "import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()['purelib'], 'mini-book.pth').write_text(str(pathlib.Path.cwd()) + '\n')"
	touch $(STAMP)

clean:
	rm -rf _build
