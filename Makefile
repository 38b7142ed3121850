# castline — the two commands: `make run` (process the sample seeds) and `make test`.
# Both set themselves up: Debian packages, .venv, pip install with extras.

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EXTRAS ?= audio,dev
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
DEBIAN_PACKAGES := ffmpeg espeak-ng sox chromium postgresql tesseract-ocr tesseract-ocr-eng
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PYTHONUNBUFFERED := 1

.PHONY: run test serve setup system lint bench bench-audio bench-ops clean

run: setup ## Process every sample seed end to end into data/output/
	$(VENV)/bin/castline batch seeds/manifest.yaml --out data/output

test: setup ## Run the test suite
	$(PY) -m pytest -q -ra

serve: setup ## Prefect server + UI on 127.0.0.1:4200, serving the deployments
	$(VENV)/bin/castline serve

lint: setup
	$(VENV)/bin/ruff check castline flows tests bench

bench: setup ## Quality and speed figures on the seeds and the dev sets
	$(PY) bench/text.py
	$(PY) bench/cleanup.py
	$(PY) bench/speakers.py
	$(PY) bench/highlights.py

bench-audio: setup ## Audio path against bare whisperX on a synthetic 10-minute interview
	$(PY) bench/audio.py

bench-ops: setup ## Inbox under load, and kill -9 mid-pass then a restart (nothing lost or doubled)
	$(PY) bench/inbox_load.py --files 40
	$(PY) bench/kill_recovery.py --runs 20

setup: system $(STAMP)

system:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "pip install -e '.[$(EXTRAS)]' (first time: several GB, PyTorch included)"
	$(PY) -m pip install -q -e '.[$(EXTRAS)]' 2>&1 | { grep -v '^WARNING: Location' || true; }
	touch $@

clean:
	rm -rf $(VENV) .prefect .pytest_cache .ruff_cache
