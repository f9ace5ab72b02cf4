# Two commands on a fresh machine: `make run` and `make test`.  Both create .venv and install
# everything they need; nothing has to be installed by hand first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DB ?= unspun.db
OUT ?= out

.PHONY: install run test lint clean schemas system-deps

# Debian packages the tests drive for real: Chromium (Playwright's browser for the UI tests),
# wrk (the load benchmark) and PostgreSQL (the tests start their own server from its binaries).
# Installed when missing; root, or sudo, is needed once.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@command -v chromium >/dev/null && command -v wrk >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium wrk postgresql; }

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of PyTorch first (a file on these machines): left to the resolver,
	# sentence-transformers would pull the newest build with several GB of CUDA packages.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/unspun run examples/fictional-news --db $(DB)
	$(BIN)/unspun export --format html --out $(OUT)/briefs --db $(DB) >/dev/null
	$(BIN)/unspun export --format md --out $(OUT)/briefs --db $(DB) >/dev/null
	$(BIN)/unspun export --format json --out $(OUT)/json --db $(DB) >/dev/null
	@echo "Briefs: $(CURDIR)/$(OUT)/briefs/index.html (HTML) and $(CURDIR)/$(OUT)/briefs/index.md (Markdown)"
	@echo "JSON export: $(CURDIR)/$(OUT)/json/  ·  in the terminal: $(BIN)/unspun stories --db $(DB)"
	@echo "In a browser: $(BIN)/unspun serve --db $(DB)   (then open http://127.0.0.1:8000/)"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

test: lint system-deps
	$(BIN)/pytest

clean:
	rm -rf $(VENV) $(OUT) $(DB) $(DB)-wal $(DB)-shm .pytest_cache .mypy_cache .ruff_cache

schemas: $(STAMP)
	$(BIN)/python scripts/write_schemas.py
