# Entry points of the project. The logic lives in scripts/.
.PHONY: setup run test lint reliability-report bench bench-quick bench-scale bench-load

setup:
	scripts/setup.sh

run:
	scripts/run.sh

test:
	scripts/test.sh

lint:
	scripts/lint.sh

# docs/reliability.md from the report of the last `make test` (var/test/reliability.md).
reliability-report:
	@if [ ! -f var/test/reliability.md ]; then \
		echo "No var/test/reliability.md: run make test (or scripts/test_workers.sh) first."; exit 1; fi
	cp var/test/reliability.md docs/reliability.md
	@echo "docs/reliability.md refreshed from the last run (see git diff, then commit it)."

bench:
	@if [ -f bench/run.sh ]; then bash bench/run.sh; else echo "No benchmarks yet: bench/run.sh is missing."; fi

bench-quick:
	@if [ -f bench/run.sh ]; then bash bench/run.sh --quick; else echo "No benchmarks yet: bench/run.sh is missing."; fi

bench-scale:
	@if [ -f bench/scale.sh ]; then bash bench/scale.sh; else echo "No scale run: bench/scale.sh is missing."; fi

# HTTP load test side by side with OCA (3 workers, three scenarios; about 15 minutes, not run by CI).
bench-load:
	@if [ -f bench/load.sh ]; then bash bench/load.sh; else echo "No load test: bench/load.sh is missing."; fi
