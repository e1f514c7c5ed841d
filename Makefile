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

.PHONY: help demo test check test-fast test-umap bench fuzz lint typecheck system-deps screenshots clean

help:
	@echo "make demo   - install into $(VENV) and build the bundled example into output/"
	@echo "make test   - install test tools and system packages, run the whole suite"
	@echo "make check  - lint, types and the tests that need no browser, uMap server or long sweep (about a minute)"
	@echo "make bench  - run the benchmarks (not part of make test)"
	@echo "make screenshots - regenerate the preview and report screenshots in docs/"
	@echo "make fuzz   - fuzz the input readers for FUZZ_MINUTES (default 10; not part of make test)"

demo: $(VENV)/.installed
	$(BIN)/mapgen build --out output
	@echo "Done. Double-click output/preview.html to look at the map; import output/map.umap into uMap."

test: $(VENV)/.installed-test system-deps $(AXE)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The fast tier for people who change code: lint, types, and every test that needs no browser, no
# uMap server (nor its PostgreSQL) and no long sweep (markers browser, umap, slow). make test runs all.
CHECK_MARKERS := not browser and not umap and not slow
check: lint typecheck
	$(BIN)/python -m pytest -q -n auto -m "$(CHECK_MARKERS)" $(PYTEST_ARGS)

# Only the tests of the fast tier, without lint and types.
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "$(CHECK_MARKERS)" $(PYTEST_ARGS)

# Only the real-uMap integration test (installs uMap into .cache/umap-server/ on first run).
test-umap: $(VENV)/.installed-test system-deps
	$(BIN)/python -m pytest -m umap $(PYTEST_ARGS)

bench: $(VENV)/.installed-bench system-deps
	$(BIN)/python -m benchmarks

# Random and mutated inputs for the survey, previous-map and mapping readers, until FUZZ_MINUTES
# have passed; stops at the first crash (any exception but a MapgenError) and prints the input.
fuzz: $(VENV)/.installed-test
	$(BIN)/python -m tests.fuzz --minutes $(FUZZ_MINUTES)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check mapgen tests fixtures benchmarks

typecheck: $(VENV)/.installed-dev
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

# The developers' tools (ruff, mypy) of [dependency-groups] dev, beside the test extra.
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]' --group dev
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[bench]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

clean:
	rm -rf output build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
