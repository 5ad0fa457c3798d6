# Quick start: `make demo` (the main job on an embedded default) and `make test` (every test).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
# Warnings are errors in CI (CI=true) and whenever WERROR=ON is given.
WERROR     ?= $(if $(CI),ON,OFF)
CMAKE_ARGS ?=

.PHONY: all setup build build-asan test test-fast test-asan demo package image fuzz bench format check-format clean

all: build

setup:
	@bash scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGP_WARNINGS_AS_ERRORS=$(WERROR) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: setup
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DGP_SANITIZE=ON -DGP_WARNINGS_AS_ERRORS=$(WERROR) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# Every test: the normal build (with a bounded fuzzing run), then the same suite under
# AddressSanitizer + UBSan.
test: test-fast test-asan

test-fast: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# The demo needs the executable and the forge simulator, not the test suite. FORGE=azdo|gitea walks
# the same flow on another forge's API.
demo: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGP_WARNINGS_AS_ERRORS=$(WERROR) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target gitops-promotion forge-sim
	@bash scripts/demo.sh $(BUILD)/gitops-promotion $(BUILD)/tools/forge-sim/forge-sim

# The Debian package (CPack; Depends computed by dpkg-shlibdeps), written to $(PKG_BUILD)/.
# Its own build directory without tests, so only the executable, its man pages and the changelog are
# built (RelWithDebInfo as everywhere else; cpack strips the binary). The install rules need nothing else, and
# CMAKE_SKIP_INSTALL_ALL_DEPENDENCY keeps cpack from building every target first.
PKG_BUILD ?= build-package

package: setup
	@cmake -S . -B $(PKG_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGP_BUILD_TESTS=OFF -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON -DGP_WARNINGS_AS_ERRORS=$(WERROR) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(PKG_BUILD) -j $(JOBS) --target gitops-promotion install-files
	@cd $(PKG_BUILD) && cpack -G DEB
	@ls $(PKG_BUILD)/*.deb

# The container image from the Dockerfile (buildah; the base image is bootstrapped from Debian when
# there is no registry), tagged gitops-promotion:<version> and :latest. See scripts/image.sh.
image: setup
	@bash scripts/image.sh

# libFuzzer targets (clang): FUZZ_SECONDS per target; crash inputs land in build-fuzz/artifacts/.
FUZZ_SECONDS ?= 20

fuzz: setup
	@GP_FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh

# Generates a large GitOps repository (once) and measures (see BENCHMARKS.md).
BENCH_DIR ?= /tmp/gp-bench

bench: build
	@test -d $(BENCH_DIR)/work || bash bench/generate-repo.sh $(BENCH_DIR)
	@bash bench/run.sh $(BENCH_DIR) $(BUILD)

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

check-format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	@rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
