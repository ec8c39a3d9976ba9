# healthd: `make run` and `make test` set everything up on a fresh Debian 12 machine (root).
.PHONY: all setup build run test unit-test api-test bench clean

PORT ?= 8080
HOST ?= 127.0.0.1
DATA ?= ./data

all: build

setup:
	@./scripts/setup.sh

build: setup
	@cmake --build build

run: build
	./build/healthd serve --host $(HOST) --port $(PORT) --data $(DATA)

test: build
	@./scripts/run-tests.sh

unit-test: build
	@cd build && ctest --output-on-failure

api-test: build
	@/usr/bin/python3 -m pytest -q tests/api

bench: build
	@./bench/fhir_crud.sh

clean:
	rm -rf build
