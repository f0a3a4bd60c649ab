# leadlab: thin wrapper over CMake. `make run` and `make test` are the README's quick start.
BUILD ?= build
BUILD_TYPE ?= Release
CMAKE_ARGS ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEBIAN_DEPS := cmake make gcc pkg-config libyaml-dev check libsqlite3-dev libopenmpi-dev openmpi-bin \
               chromium-headless-shell python3 python3-jsonschema python3-yaml fonts-dejavu-core

.PHONY: all deps configure build run test leaderboard install clean

all: build

# Installs the Debian packages the build needs when any is missing (as root, or with sudo).
deps:
	@missing=$$(for p in $(DEBIAN_DEPS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "leadlab: installing build dependencies:" $$missing; \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD) -j$(JOBS)

# The full Markdown leaderboard is in results/quickstart/leaderboard.md; the terminal gets the
# compact one (leadlab show), its call-list sentence, the report's path and what to try next.
run: build
	$(BUILD)/leadlab run experiments/quickstart.yaml >/dev/null
	@$(BUILD)/leadlab show results/quickstart
	@grep '^Calling the top' results/quickstart/leaderboard.md || true
	@echo "Report: results/quickstart/report.html (open it in a browser)"
	@echo "Next: $(BUILD)/leadlab init your.csv --target y --out your.yaml, then $(BUILD)/leadlab run your.yaml"

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

# Regenerates results/leaderboard.md from the real data (see README: Data).
leaderboard: build
	$(BUILD)/leadlab run experiments/leaderboard.yaml
	cp results/leaderboard/leaderboard.md results/leaderboard.md
	cp results/leaderboard/report.html results/leaderboard.html
	cp results/leaderboard/importances.csv results/leaderboard-importances.csv

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD)
