# Convenience targets; the scripts they call work without make.
.PHONY: demo test lint bench lock app

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

lint:
	bash scripts/bootstrap.sh && .venv/bin/ruff check . && .venv/bin/ruff format --check analytics tests benchmarks

bench:
	bash scripts/bootstrap.sh && for b in benchmarks/*.py; do .venv/bin/python $$b || exit 1; done

lock:
	.venv/bin/pip-compile --extra dev --generate-hashes --allow-unsafe --strip-extras -o requirements.lock pyproject.toml

app:
	.venv/bin/analytics app
