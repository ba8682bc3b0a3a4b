# Everything a newcomer needs: `make demo` sets up and builds the examples, `make test` tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench setup clean

setup: $(STAMP)

# Reinstall when the project's metadata changes; otherwise the set-up is a no-op.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/reporter validate incidents/
	$(BIN)/reporter check incidents/
	$(BIN)/reporter clocks incidents/
	$(BIN)/reporter metrics incidents/ --by category
	$(BIN)/reporter build briefs/*.yaml --out out
	@echo "Documents are in out/: PDF, Markdown (images in *_files/), HTML and Word."

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf out .pytest_cache .hypothesis .reporter-cache
