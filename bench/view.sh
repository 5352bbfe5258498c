#!/usr/bin/env bash
# How `agentcli view` holds up on a large session, in a real terminal (tmux, 200×50):
#   - the time from start until the session's index is built and its first page shown;
#   - the time from a key press until the screen has changed, for a run of moving keys;
#   - the process's peak memory (maximum resident set size, from /usr/bin/time -v).
# Usage: bench/view.sh SESSION_FILE [AGENTCLI]   (make one: cargo run --release --example
# generate -- --size 300MB --out /tmp/big.trace.json). Needs tmux and GNU time.
set -euo pipefail
file=$(realpath "$1")
bin=$(realpath "${2:-target/release/agentcli}")
dir=$(dirname "$file")
name=$(basename "$file")
id=${name%%.trace.*}
sock="agentcli-view-bench-$$"
out=$(mktemp)
tmux() { command tmux -L "$sock" -f /dev/null "$@"; }
trap 'tmux kill-server 2>/dev/null || true; rm -f "$out"' EXIT
now() { date +%s%N; }
screen() { tmux capture-pane -p -t 0; }

start=$(now)
tmux new-session -d -x 200 -y 50 \
    "LANG=C.UTF-8 /usr/bin/time -v -o '$out' '$bin' view --dir '$dir' '$id'; sleep 30"
until screen | grep -q "^entry 1 · 1 of" && ! screen | grep -q "indexing"; do sleep 0.01; done
opened=$(now)
entries=$(screen | grep -o "1 of [0-9]* shown" | head -1)
echo "opened $(du -h "$file" | cut -f1) ($entries) in $(( (opened - start) / 1000000 )) ms"

worst=0
total=0
keys=(End Home NPage NPage NPage j j j k G g NPage PPage End Up Up Up Home NPage Down Down)
for key in "${keys[@]}"; do
    before=$(screen)
    t0=$(now)
    tmux send-keys -t 0 "$key"
    while [ "$(screen)" = "$before" ]; do
        [ $(( $(now) - t0 )) -lt 5000000000 ] || { echo "$key changed nothing in 5 s" >&2; exit 1; }
    done
    ms=$(( ($(now) - t0) / 1000000 ))
    total=$(( total + ms ))
    [ "$ms" -gt "$worst" ] && worst=$ms
done
echo "${#keys[@]} key presses: mean $(( total / ${#keys[@]} )) ms, worst $worst ms (screen changed, as seen by tmux capture-pane)"

tmux send-keys -t 0 q
until [ -s "$out" ] && grep -q "Maximum resident" "$out"; do sleep 0.05; done
grep -E "Maximum resident|Elapsed" "$out"
