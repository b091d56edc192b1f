# dlscan — the two commands a fresh machine needs:
#   make demo   build everything (release) and run a toy O_3d scan
#   make test   formatting, lints and the whole test suite (what CI runs)

CARGO ?= cargo
DEMO_DIR ?= runs/o3d-demo

.PHONY: all build release demo test fmt-check clippy unit clean

all: build

build:
	$(CARGO) build --workspace --all-targets

release:
	$(CARGO) build --workspace --release

demo: release
	rm -rf $(DEMO_DIR)
	./target/release/dlscan run examples/o3d.toml --out $(DEMO_DIR)
	@echo
	@echo "demo results: $(DEMO_DIR)/points.csv, $(DEMO_DIR)/summary.json"
	@cat $(DEMO_DIR)/summary.json

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The end-to-end tests run the built binary and load the built plugins, so build first.
unit: build
	$(CARGO) test --workspace

test: fmt-check clippy unit

clean:
	$(CARGO) clean
	rm -rf runs
