# Surface Motion: the two commands a newcomer needs are `make demo` and `make test`.
# Each sets up everything it needs on a fresh Debian 12 machine (QGIS from apt, the venv) and
# skips what is already there.

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

SYSTEM_PYTHON := /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
PLUGIN_LINK := .build/plugins/surface_motion
QGIS_PROCESS := /usr/bin/qgis_process.bin
export QT_QPA_PLATFORM := offscreen
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup qgis venv lint test test-core test-algorithms test-gui test-qgis-process demo package bench clean

help:
	@echo "make demo     set up, then run every algorithm on generated data into demo-output/"
	@echo "make test     set up, lint, then the test tiers (core, processing.run, desktop GUI, qgis_process)"
	@echo "make package  build dist/surface_motion.zip for QGIS 'Install from ZIP'"
	@echo "make bench    run the benchmarks in benchmarks/ (results in benchmarks/results/)"

setup: qgis venv $(PLUGIN_LINK)

# QGIS 3.22 from Debian; its Python is /usr/bin/python3.
qgis:
	@if [ -x $(QGIS_PROCESS) ] && $(SYSTEM_PYTHON) -c "import qgis.core" 2>/dev/null; then exit 0; fi
	echo "Installing QGIS from apt (about a minute)..."
	SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo)
	$$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    qgis python3-qgis qgis-providers python3-venv >/dev/null

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-test.txt requirements-gpu.txt | qgis
	[ -x $(PY) ] || $(SYSTEM_PYTHON) -m venv --system-site-packages $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24"
	$(PY) -m pip install -q -r requirements.txt -r requirements-test.txt -r requirements-gpu.txt
	touch $@

# The checkout folder need not be called surface_motion: QGIS and the tests find the plugin
# through this link.
$(PLUGIN_LINK):
	mkdir -p $(dir $@)
	ln -sfn "$(CURDIR)" $@

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test-core: setup
	$(PY) -m pytest tests/core -q -p no:qgis -p no:cacheprovider -W ignore::pytest.PytestConfigWarning

test-algorithms: setup
	$(PY) -m pytest tests/algorithms -q -p no:cacheprovider

# The desktop tier: the plugin in a QGIS session with a map canvas (offscreen), the inspector driven by
# clicks. Its own pytest session: it registers the provider through initGui, as QGIS desktop does.
# SURFACE_MOTION_SCREENSHOTS=docs/images make test-gui refreshes the README's screenshots.
test-gui: setup
	$(PY) -m pytest tests/gui -q -p no:cacheprovider

test-qgis-process: setup
	$(PY) -m pytest tests/qgis_process -q -p no:qgis -p no:cacheprovider -W ignore::pytest.PytestConfigWarning

test: setup lint test-core test-algorithms test-gui test-qgis-process
	@echo "All test tiers passed."

demo: setup
	$(PY) scripts/demo.py --output demo-output

package:
	$(SYSTEM_PYTHON) scripts/package.py --output dist/surface_motion.zip

bench: setup
	$(PY) benchmarks/run_all.py

clean:
	rm -rf .build dist demo-output .pytest_cache
