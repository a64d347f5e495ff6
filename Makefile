# casewise: every target creates the virtual environment when it is missing and is quick when it exists.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export LITELLM_LOCAL_MODEL_COST_MAP := True
export HF_HUB_OFFLINE := 1

.PHONY: run test e2e screenshots venv ingest retrieval-report bench bench-detail drift-gate calibrate agreement validate clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch first, so sentence-transformers does not pull a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)  ## serve the app on the embedded default at http://127.0.0.1:8000
	$(PY) -m app

test: $(STAMP)  ## lint, type-check (mypy strict) and run the whole test suite
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest $(PYTEST_ARGS)

e2e: $(STAMP)  ## the browser journeys only (Chromium at /usr/bin/chromium)
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

screenshots: $(STAMP)  ## rewrite docs/screenshots/*.png (desktop and phone) from the strong-candidate journey
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest -q tests/e2e -k strong_candidate $(PYTEST_ARGS)

validate: $(STAMP)  ## validate the question packs
	$(PY) -m app.content validate

ingest: $(STAMP)
	$(PY) -m rag ingest

retrieval-report: $(STAMP)  ## recall@k, MRR and declining for BM25, dense and hybrid
	$(PY) -m rag eval

bench: $(STAMP)  ## scale-out figures as ratios (batching, grading, ingestion, 1 vs 2 workers) and ONNX vs torch
	$(PY) -m benchmarks.scale_bench
	$(PY) -m benchmarks.onnx_bench

bench-detail: $(STAMP)  ## the longer retrieval, server and grading benchmarks quoted in the README
	$(PY) -m benchmarks.rag_bench
	$(PY) -m benchmarks.grading_bench

drift-gate: $(STAMP)  ## the embedded grader on the gold test split vs evals/baselines (CI runs this)
	$(PY) -m evals gate --quiet

calibrate: $(STAMP)  ## refit the embedded grader on the exemplars' calib split (writes app/grading/params.json)
	$(PY) -m evals calibrate

agreement: $(STAMP)  ## the embedded grader vs the exemplar labels, calib and held-out test splits
	$(PY) -m evals agreement

clean:
	rm -rf $(VENV) data .pytest_cache
