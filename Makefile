# Two commands do all the set-up on a fresh machine (Debian, python3 and make):
#   make demo   build the bundled example into output/
#   make test   run the whole test suite (installs Chromium etc. when missing)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
PYTEST_ARGS ?=
FUZZ_MINUTES ?= 10
# axe-core (npm), injected by the browser tests into Chromium to check WCAG 2.1 A/AA.
AXE    := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: help demo test test-fast test-umap bench fuzz lint typecheck system-deps screenshots clean

help:
	@echo "make demo   - install into $(VENV) and build the bundled example into output/"
	@echo "make test   - install test tools and system packages, run the whole suite"
	@echo "make bench  - run the benchmarks (not part of make test)"
	@echo "make screenshots - regenerate the preview and report screenshots in docs/"
	@echo "make fuzz   - fuzz the input readers for FUZZ_MINUTES (default 10; not part of make test)"

demo: $(VENV)/.installed
	$(BIN)/mapgen build --out output
	@echo "Done. Double-click output/preview.html to look at the map; import output/map.umap into uMap."

test: $(VENV)/.installed-test system-deps $(AXE)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Everything but the browser and uMap tests, for a quick loop while coding.
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not browser and not umap" $(PYTEST_ARGS)

# Only the real-uMap integration test (installs uMap into .cache/umap-server/ on first run).
test-umap: $(VENV)/.installed-test system-deps
	$(BIN)/python -m pytest -m umap $(PYTEST_ARGS)

bench: $(VENV)/.installed-bench system-deps
	$(BIN)/python -m benchmarks

# Random and mutated inputs for the survey, previous-map and mapping readers, until FUZZ_MINUTES
# have passed; stops at the first crash (any exception but a MapgenError) and prints the input.
fuzz: $(VENV)/.installed-test
	$(BIN)/python -m tests.fuzz --minutes $(FUZZ_MINUTES)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check mapgen tests benchmarks

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

system-deps:
	scripts/install-system-deps.sh

$(AXE): tests/browser/package-lock.json | system-deps
	npm ci --prefix tests/browser --no-audit --no-fund
	touch $@

# Screenshots of the preview (1280x720, 390x844) and of the report in docs/, from the bundled example.
screenshots: $(VENV)/.installed-test system-deps
	$(BIN)/python -m tests.browser.screenshots docs

$(BIN)/python:
	scripts/make-venv.sh "$(PYTHON)" "$(VENV)"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[bench]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

clean:
	rm -rf output build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
