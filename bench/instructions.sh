#!/usr/bin/env bash
# Instructions per entry of the reading commands, counted by callgrind (all threads): a measure
# of a change to the reader that the machine's load does not move, unlike times. Reads a 5 MB
# session of each profile (real mix, light state), small enough to be read on the caller's
# thread, so the figure is the per-entry cost of framing, parsing and the command's own work.
#
#   bench/instructions.sh                          # target/release/agentcli
#   AGENTCLI=/path/to/other/agentcli bench/instructions.sh   # another build, to compare
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-/tmp/agentcli-bench}/instructions
SEED=${SEED:-1}
command -v valgrind >/dev/null || {
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
}
cargo build --release --quiet --bin agentcli --example generate
BIN=${AGENTCLI:-target/release/agentcli}
for profile in real light; do
    dir=$BENCH_DIR/$profile
    file=$dir/req-$profile.trace.json
    if [ ! -s "$file" ]; then
        mkdir -p "$dir"
        target/release/examples/generate --seed "$SEED" --profile "$profile" --size 5MB \
            --ending closed --out "$file" >/dev/null
    fi
    # The writer puts each entry's `hook` alone on a line at one indent.
    entries=$(grep -c '^  "hook": ' "$file")
    for args in "trace --analyze" "trace --flow-only" "trace" "trace --format jsonl" \
        "trace --format csv" "list --verbose"; do
        # shellcheck disable=SC2086 # the arguments are words
        case $args in
            list*) run=("$BIN" --dir "$dir" $args) ;;
            *) run=("$BIN" --dir "$dir" $args "req-$profile") ;;
        esac
        total=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "${run[@]}" 2>&1 >/dev/null |
            sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
        printf '%-6s %-22s %8d instructions/entry\n' "$profile" "$args" $((total / entries))
    done
done
