# perfkit: the two commands that matter are `make reports` and `make test`.
# Both create .venv (Python 3.11+, pip) and install perfkit into it first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= data/sample
OUT    ?= reports
JOBS   ?= 2

.PHONY: help install reports test lint format bench clean

help:
	@echo "make reports   render every unit of $(DATA) into $(OUT)/"
	@echo "make test      lint and run the test suite"
	@echo "make bench     run the benchmarks in benchmarks/"
	@echo "make clean     remove $(OUT)/ and caches"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,dask]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	# perfkit's notebooks are saved without outputs by JupyterLab (the server hook perfkit ships;
	# an editable install does not copy data files) and committed without them (nbstripout)
	install -D -m 644 jupyter-config/perfkit.json $(VENV)/etc/jupyter/jupyter_server_config.d/perfkit.json
	if git rev-parse --git-dir >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean "'$(abspath $(BIN))/python' -m nbstripout --keep-id"; \
	  git config filter.nbstripout.smudge cat; \
	  git config diff.ipynb.textconv "'$(abspath $(BIN))/python' -m nbstripout -t --keep-id"; \
	fi
	touch $(STAMP)

install: $(STAMP)

reports: $(STAMP)
	$(BIN)/perfkit render $(DATA) --out $(OUT) --jobs $(JOBS)

test: $(STAMP)
	$(BIN)/ruff check perfkit tests benchmarks
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check perfkit tests benchmarks
	$(BIN)/ruff format --check perfkit tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format perfkit tests benchmarks
	$(BIN)/ruff check --fix perfkit tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_score.py
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_report_cost.py

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache
