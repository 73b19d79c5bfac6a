# Entry points of the project. The logic lives in scripts/.
.PHONY: setup run test lint bench bench-quick bench-scale

setup:
	scripts/setup.sh

run:
	scripts/run.sh

test:
	scripts/test.sh

lint:
	scripts/lint.sh

bench:
	@if [ -f bench/run.sh ]; then bash bench/run.sh; else echo "No benchmarks yet: bench/run.sh is missing."; fi

bench-quick:
	@if [ -f bench/run.sh ]; then bash bench/run.sh --quick; else echo "No benchmarks yet: bench/run.sh is missing."; fi

bench-scale:
	@if [ -f bench/scale.sh ]; then bash bench/scale.sh; else echo "No scale run: bench/scale.sh is missing."; fi
