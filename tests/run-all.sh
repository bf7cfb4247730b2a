#!/usr/bin/env bash
# Runs every test: formatting, lints, unit tests and end-to-end tests on the test guest.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
