# Convenience targets; each runs a script in scripts/ (which installs what is
# missing: system packages with apt-get, Python packages into .venv).
.PHONY: all setup demo test bench fuzz fuzz-corpus clean help

ARGS ?=
FUZZ_TIME ?= 60
TARGET ?= all

all: help

help:
	@echo "make demo              set up and run: python -m bale demo"
	@echo "make test              set up and run every test (scripts/test)"
	@echo "make bench [ARGS=...]  run the benchmarks (.venv/bin/python bench/run.py ARGS)"
	@echo "make fuzz [TARGET=fuzz_chunk] [FUZZ_TIME=60]   libFuzzer run (clang-14)"
	@echo "make fuzz-corpus       rewrite the seed corpus in fuzz/corpus"
	@echo "make setup             only install and build (.venv)"
	@echo "make clean             remove build directories (keeps .venv)"

setup:
	./scripts/setup

demo:
	./scripts/demo $(ARGS)

test:
	./scripts/test

bench:
	./scripts/setup --bench
	.venv/bin/python bench/run.py $(ARGS)

fuzz:
	./scripts/fuzz run $(TARGET) $(FUZZ_TIME)

fuzz-corpus:
	./scripts/fuzz corpus

clean:
	rm -rf build-test build-py build-fuzz fuzz/out
