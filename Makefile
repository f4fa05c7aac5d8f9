.PHONY: demo test lint bench-quick bench-full model
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
lint:
	.venv/bin/ruff check src tests benchmarks fuzz
	.venv/bin/ruff format --check src tests benchmarks fuzz
	.venv/bin/mypy --strict src benchmarks
bench-quick:
	.venv/bin/python -m benchmarks run --suite quick
bench-full:
	.venv/bin/python -m benchmarks run --suite full
model:
	.venv/bin/despin build-model -o src/despin/model/default
