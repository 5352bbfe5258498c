#!/usr/bin/env bash
# The benchmark suite: generates traces (100 MB and 1 GB single sessions with big entries, 300 MB
# sessions in the real-mix and light-state profiles, a directory of 10,000 real-mix sessions, the
# small fixtures), times every agentcli command that exists with hyperfine in one
# run, with `wc -l` (the read limit) and the nearest jq equivalents as baselines, measures peak
# memory with /usr/bin/time -v, and writes bench/RESULTS.md.
#
#   bench/run.sh                 # data in $BENCH_DIR (default /tmp/agentcli-bench)
#   BENCH_DIR=/mnt/fast bench/run.sh
#   BEFORE_BIN=/path/to/old/agentcli bench/run.sh   # each agentcli row timed with both builds
#   INPUTS="real light" bench/run.sh                 # some of the inputs only
#
# With BEFORE_BIN, every agentcli row is timed with that build too, right before the current
# one (same runs, same inputs, same load), and the report gives both medians side by side with
# their ratio, the CPU and peak memory of both: a before/after comparison from one run. A row
# whose command or option the old build lacks is left out for it. About 13 minutes on 2 quiet
# cores with INPUTS="sessions small 100mb real light" (the 1 GB input adds about 5: jq on it).
#
# Commands are enabled by what `agentcli --help` shows: a command that lands is benchmarked by
# the next run without a change here (see `cases` below).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_DIR=${BENCH_DIR:-/tmp/agentcli-bench}
SEED=${SEED:-1}
# Smaller inputs for trying the script out (the report's labels stay the same).
MID_SIZE=${MID_SIZE:-100MB} BIG_SIZE=${BIG_SIZE:-1GB} SESSIONS=${SESSIONS:-10000}
# The profile files (see `--profile` of examples/generate.rs): the cost of reading is per entry,
# so these, with real files' ~730 and ~350 bytes per entry, are the rows that matter.
PROFILE_SIZE=${PROFILE_SIZE:-300MB}
# Which inputs to run (a subset for a quick look: INPUTS="real light").
INPUTS=${INPUTS:-sessions small 100mb 1gb real light}
# How many of the sessions jq is timed on (see `each_file_jq`).
JQ_SAMPLE_FILES=${JQ_SAMPLE_FILES:-1000}
JQ_SAMPLE=$BENCH_DIR/jq-sample.txt
# An older build to compare with (see above); empty for none.
BEFORE_BIN=${BEFORE_BIN:-}
if [ -n "$BEFORE_BIN" ]; then
    BEFORE_BIN=$(realpath "$BEFORE_BIN")
    [ -x "$BEFORE_BIN" ] || { echo "BEFORE_BIN $BEFORE_BIN is not an executable" >&2; exit 2; }
fi
# What the report calls it (say, the commit it was built from).
BEFORE_NAME=${BEFORE_NAME:-$BEFORE_BIN}
RESULTS=${RESULTS:-$ROOT/bench/RESULTS.md}
started=$(date +%s)

say() { printf '\n== %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------------
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v jq >/dev/null || missing+=(jq)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

say "building (release)"
cargo build --release --quiet --bin agentcli --example generate
BIN=$ROOT/target/release/agentcli
GEN=$ROOT/target/release/examples/generate

# --- data --------------------------------------------------------------------------------------
ONE=$BENCH_DIR/100mb GIG=$BENCH_DIR/1gb DIR=$BENCH_DIR/sessions SMALL=$BENCH_DIR/small
REAL=$BENCH_DIR/real LIGHT=$BENCH_DIR/light
OUT=$BENCH_DIR/results
rm -rf "$OUT"
mkdir -p "$ONE" "$GIG" "$DIR" "$SMALL" "$REAL" "$LIGHT" "$OUT"
# Inputs are generated once per seed and size and kept (other runs, and other people, reuse
# them): a stamp file beside each input records what made it, so a changed seed, size or
# generator option regenerates that input only.
# Only the inputs in INPUTS are made.
generate() {
    local dir=$1 want=$2
    shift 2
    case " $INPUTS " in *" $(basename "$dir") "*) ;; *) return ;; esac
    if [ "$(cat "$dir/.generated" 2>/dev/null)" = "$want" ]; then
        return
    fi
    say "generating $want"
    find "$dir" -mindepth 1 -delete
    "$GEN" "$@"
    echo "$want" >"$dir/.generated"
}
say "traces in $BENCH_DIR (seed $SEED)"
# Single sessions are closed with `]` so that jq, which cannot read an unclosed file, can be
# compared on them; agentcli reads both alike.
generate "$ONE" "big $SEED $MID_SIZE" --seed "$SEED" --size "$MID_SIZE" --ending closed --out "$ONE/req-100mb.trace.json"
generate "$GIG" "big $SEED $BIG_SIZE" --seed "$SEED" --size "$BIG_SIZE" --ending closed --out "$GIG/req-1gb.trace.json"
generate "$REAL" "real $SEED $PROFILE_SIZE" --seed "$SEED" --profile real --size "$PROFILE_SIZE" --ending closed --out "$REAL/req-real.trace.json"
generate "$LIGHT" "light $SEED $PROFILE_SIZE" --seed "$SEED" --profile light --size "$PROFILE_SIZE" --ending closed --out "$LIGHT/req-light.trace.json"
generate "$DIR" "real $SEED $SESSIONS 100KB" --seed "$SEED" --profile real --sessions "$SESSIONS" --session-size 100KB --dir "$DIR"
cp fixtures/req-20000001.trace.json "$SMALL/"
find "$DIR" -name '*.trace.json' | sort | awk -v n="$JQ_SAMPLE_FILES" 'NR <= n' >"$JQ_SAMPLE"

# --- which commands exist ------------------------------------------------------------------------
# Each takes the build to ask as its first argument ($BIN, or $BEFORE_BIN).
has_command() { "$1" "$2" --help >/dev/null 2>&1; }
has_flag() { "$1" "$2" --help 2>/dev/null | grep -q -- "$3"; }
# Whether command $2 (taking a session) accepts `--format $3`: clap exits 2 on a value it
# does not know (help text words it in more than one way).
has_format() {
    local rc=0
    "$1" --dir "$SMALL" "$2" --format "$3" req-20000001 >/dev/null 2>&1 || rc=$?
    [ "$rc" -ne 2 ]
}
# Whether build $1 can run a case needing $2 ('' for nothing; else a has_* check and its
# arguments, as `add` was given them).
supports() {
    local bin=$1
    shift
    [ $# -eq 0 ] || [ -z "$1" ] || "$1" "$bin" "${@:2}"
}

# Each case: input, label, the agentcli command, its nearest jq equivalent ('' for none), and
# the command for BEFORE_BIN ('' when there is none, or it lacks what the case needs: the
# check in the fifth and later arguments, see `supports`).
C_INPUT=() C_LABEL=() C_CMD=() C_JQ=() C_BEFORE=()
add() {
    local before=''
    if [ -n "$BEFORE_BIN" ] && supports "$BEFORE_BIN" "${@:5}"; then
        before=${3//"'$BIN'"/"'$BEFORE_BIN'"}
    fi
    C_INPUT+=("$1") C_LABEL+=("$2") C_CMD+=("$3") C_JQ+=("$4") C_BEFORE+=("$before")
}

# jq reads one file per process (a stream of several unclosed arrays is not JSON), and jq's
# start-up alone takes ~20 ms: on the directory it runs on a sample of the files, and its time
# is scaled to all of them. It needs a whole, closed array: the directory's files are mostly
# unclosed (as real ones are), so the jq equivalent closes each first, as a user would have to.
each_file_jq() {
    echo "xargs -d '\\n' -a '$JQ_SAMPLE' -n 100 -P 2 sh -c 'for f; do { cat \"\$f\"; echo ]; } | jq -c \"$1\" 2>/dev/null; done' _ >/dev/null"
}

cases() {
    local f
    # The directory.
    add sessions "list" "'$BIN' --dir '$DIR' list >/dev/null" \
        "xargs -d '\\n' -a '$JQ_SAMPLE' -n 1 -P 2 jq -cn --stream 'first(inputs | select(length == 2 and .[0][1] == \"timestamp\")) | .[1]' >/dev/null"
    add sessions "list --verbose" "'$BIN' --dir '$DIR' list --verbose >/dev/null" \
        "$(each_file_jq '[length, ([.[].event_id] | unique | length), ([.[].agent_id] | unique)]')"
    if has_command "$BIN" analyze; then
        add sessions "analyze" "'$BIN' --dir '$DIR' analyze >/dev/null" \
            "$(each_file_jq '[.[] | select(.hook == \\\"AfterAgentRun\\\" or .hook == \\\"AgentError\\\")] | group_by(.agent_id) | map({agent: .[0].agent_id, runs: length})')" \
            has_command analyze
    fi
    # Start-up and a small session.
    add small "list --verbose (small)" "'$BIN' --dir '$SMALL' list --verbose" \
        "jq '[length, ([.[].event_id] | unique | length)]' '$SMALL/req-20000001.trace.json'"
    if has_command "$BIN" trace; then
        add small "trace (small)" "'$BIN' --dir '$SMALL' trace req-20000001" \
            "jq -r '.[] | [.timestamp, .hook, (.agent_id // \"-\"), (.error // \"\")] | @tsv' '$SMALL/req-20000001.trace.json'" \
            has_command trace
    fi
    # The single sessions.
    for input in 100mb 1gb real light; do
        d=$(input_dir "$input")
        f="$d/req-$input.trace.json"
        add "$input" "list --verbose" "'$BIN' --dir '$d' list --verbose >/dev/null" \
            "jq '[length, ([.[].event_id] | unique | length), ([.[].agent_id] | unique)]' '$f' >/dev/null"
        if has_command "$BIN" trace; then
            add "$input" "trace" "'$BIN' --dir '$d' trace req-$input >/dev/null" \
                "jq -r '.[] | [.timestamp, .hook, (.agent_id // \"-\"), (.agent_result.output_state.meta.route // \"\"), (.error // \"\")] | @tsv' '$f' >/dev/null" \
                has_command trace
        fi
        if has_flag "$BIN" trace --flow-only; then
            add "$input" "trace --flow-only" "'$BIN' --dir '$d' trace --flow-only req-$input >/dev/null" \
                "jq -r '.[] | select(.hook == \"AfterAgentRun\") | [.event_id, .agent_id, (.agent_result.output_state.meta.route // \"(end)\")] | @tsv' '$f' >/dev/null" \
                has_flag trace --flow-only
        fi
        if has_flag "$BIN" trace --analyze; then
            add "$input" "trace --analyze" "'$BIN' --dir '$d' trace --analyze req-$input >/dev/null" \
                "jq '[.[] | select(.hook == \"AfterAgentRun\" or .hook == \"AgentError\")] | group_by(.agent_id) | map({agent: .[0].agent_id, runs: length})' '$f' >/dev/null" \
                has_flag trace --analyze
        fi
        if has_format "$BIN" trace csv; then
            add "$input" "trace --format csv" "'$BIN' --dir '$d' trace --format csv req-$input >/dev/null" \
                "jq -r '.[] | [.timestamp, .event_id, .agent_id, .hook, (.error // \"\"), (.agent_result.output_state.data | tostring)] | @csv' '$f' >/dev/null" \
                has_format trace csv
        fi
        if has_format "$BIN" trace jsonl; then
            add "$input" "trace --format jsonl" "'$BIN' --dir '$d' trace --format jsonl req-$input >/dev/null" \
                "jq -c '.[]' '$f' >/dev/null" \
                has_format trace jsonl
        fi
    done
}
input_dir() {
    case $1 in
        sessions) echo "$DIR" ;; small) echo "$SMALL" ;; 100mb) echo "$ONE" ;; 1gb) echo "$GIG" ;;
        real) echo "$REAL" ;; light) echo "$LIGHT" ;;
    esac
}
cases

# --- measuring -----------------------------------------------------------------------------------
# Entries in an input: the writer puts each entry's `hook` alone on a line at one indent.
input_entries() {
    find "$(input_dir "$1")" -name '*.trace.json' -print0 | xargs -0 cat | grep -c '^  "hook": '
}
input_bytes() {
    case $1 in
        sessions) du -sb --apparent-size "$DIR" | cut -f1 ;;
        small) stat -c %s "$SMALL/req-20000001.trace.json" ;;
        100mb) stat -c %s "$ONE/req-100mb.trace.json" ;;
        1gb) stat -c %s "$GIG/req-1gb.trace.json" ;;
        real | light) stat -c %s "$(input_dir "$1")/req-$1.trace.json" ;;
    esac
}
wc_command() {
    case $1 in
        sessions) echo "find '$DIR' -name '*.trace.json' -print0 | xargs -0 cat | wc -l >/dev/null" ;;
        small) echo "wc -l '$SMALL/req-20000001.trace.json'" ;;
        100mb) echo "wc -l '$ONE/req-100mb.trace.json' >/dev/null" ;;
        1gb) echo "wc -l '$GIG/req-1gb.trace.json' >/dev/null" ;;
        real | light) echo "wc -l '$(input_dir "$1")/req-$1.trace.json' >/dev/null" ;;
    esac
}

# Times `$2` (hyperfine, median of `$3` runs after `$4` warm-ups) and measures its peak memory;
# prints "median_s rss_kb cpu_s" (CPU: user + system, mean). One run: the memory run is the
# timed run.
measure() {
    local name=$1 cmd=$2 runs=$3 json
    json="$OUT/$(echo "$name" | tr -c 'a-z0-9' '_').json"
    if [ "$runs" = 1 ]; then
        /usr/bin/time -o "$json.time" -f '%e %M %U %S' sh -c "$cmd" >/dev/null 2>&1 || true
        tail -1 "$json.time" | awk -v pipeline="$(case $cmd in xargs*) echo 1 ;; esac)" \
            '{ print $1, (pipeline ? "-" : $2), $3 + $4 }'
        return
    fi
    # Without shell syntax, no shell: hyperfine then times milliseconds exactly.
    local shell=()
    case $cmd in *[\|\>\;\{]*) ;; *) shell=(-N) ;; esac
    hyperfine --style none "${shell[@]}" --runs "$runs" --warmup "$4" -i --export-json "$json" \
        --command-name "$name" "$cmd" >&2
    local median rss cpu
    median=$(jq '.results[0].median // .results[0].mean' "$json")
    cpu=$(jq '.results[0].user + .results[0].system' "$json")
    /usr/bin/time -o "$json.time" -f '%M' sh -c "$cmd" >/dev/null 2>&1 || true
    rss=$(tail -1 "$json.time")
    # GNU time sees the processes it waits for, not those xargs starts.
    case $cmd in xargs*) rss=- ;; esac
    echo "$median ${rss:-0} $cpu"
}

# Runs: fast commands many times; jq on the big inputs as few as give a number.
runs_for() {
    case $1:$2 in
        *:jq) case $1 in 1gb | sessions | real | light) echo 1 ;; 100mb) echo 2 ;; *) echo 10 ;; esac ;;
        small:*) echo 30 ;;
        1gb:* | real:* | light:*) echo 3 ;;
        *) echo 5 ;;
    esac
}

declare -A WC_TIME WC_RSS WC_CPU
rows=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for input in $INPUTS; do
    say "input $input: wc -l"
    read -r t m c < <(measure "wc -l ($input)" "$(wc_command "$input")" "$(runs_for "$input" agentcli)" 1)
    WC_TIME[$input]=$t WC_RSS[$input]=$m WC_CPU[$input]=$c
    for i in "${!C_INPUT[@]}"; do
        [ "${C_INPUT[$i]}" = "$input" ] || continue
        say "input $input: ${C_LABEL[$i]}"
        bt=- bm=- bc=-
        if [ -n "${C_BEFORE[$i]}" ]; then
            read -r bt bm bc < <(measure "before ${C_LABEL[$i]} ($input)" "${C_BEFORE[$i]}" "$(runs_for "$input" agentcli)" 1)
        fi
        read -r t m c < <(measure "agentcli ${C_LABEL[$i]} ($input)" "${C_CMD[$i]}" "$(runs_for "$input" agentcli)" 1)
        jt=- jm=-
        if [ -n "${C_JQ[$i]}" ]; then
            read -r jt jm _ < <(measure "jq ${C_LABEL[$i]} ($input)" "${C_JQ[$i]}" "$(runs_for "$input" jq)" 0)
            if [ "$input" = sessions ]; then
                jt=$(awk -v t="$jt" -v all="$SESSIONS" -v some="$(wc -l <"$JQ_SAMPLE")" 'BEGIN { print t * all / some }')
            fi
        fi
        rows+=("$input|${C_LABEL[$i]}|$t|$m|$jt|$jm|$c|$bt|$bm|$bc")
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
elapsed=$(($(date +%s) - started))

# --- the report ----------------------------------------------------------------------------------
human_bytes() { awk -v b="$1" 'BEGIN { if (b >= 1e9) printf "%.2f GB", b/1e9; else if (b >= 1e6) printf "%.1f MB", b/1e6; else printf "%.1f KB", b/1e3 }'; }
ms() { awk -v s="$1" 'BEGIN { if (s == "-") print "-"; else if (s >= 1) printf "%.2f s", s; else printf "%.1f ms", s*1000 }'; }
mib() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.0f MiB", k/1024 }'; }
{
    echo "# Benchmark results"
    echo
    echo "Written by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') at commit" \
        "\`$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\` in ${elapsed} s."
    echo
    echo "Machine: $(lscpu | awk -F': +' '/Model name/ {print $2; exit}'), $(nproc) cores," \
        "$(free -g | awk '/Mem:/ {print $2}') GiB memory, Linux $(uname -r);" \
        "$(hyperfine --version), $(jq --version), $(wc --version | head -1)." \
        "Load average before: $load_before; after: $load_after (other work on the machine" \
        "makes times longer and noisier)."
    echo
    echo "Inputs (generated by \`examples/generate.rs\`, seed $SEED, in the writer's exact format):"
    echo "- **sessions**: $SESSIONS real-mix session files (\`--profile real\`), $(human_bytes "$(input_bytes sessions)") in all" \
        "(85% unclosed, 10% closed, 5% cut mid-entry)"
    echo "- **small**: \`fixtures/req-20000001.trace.json\`, $(human_bytes "$(input_bytes small)") (start-up)"
    echo "- **100mb**, **1gb**: one session of $(human_bytes "$(input_bytes 100mb)") and" \
        "$(human_bytes "$(input_bytes 1gb)") with big entries (\`--profile big\`, long LLM" \
        "text in every result), closed with \`]\` so that jq can read them"
    echo "- **real**: one session of $(human_bytes "$(input_bytes real)") as AgenticGoKit's file" \
        "logger writes real ones (\`--profile real\`: ~250 B hook entries, 0.5–3 KB output" \
        "states), closed"
    echo "- **light**: one session of $(human_bytes "$(input_bytes light)") of light-state runs" \
        "(\`--profile light\`), closed"
    echo
    echo "Median wall time of hyperfine runs, files in the page cache. MB/s is input size over" \
        "median time, entries/s the input's entries over median time. \`× wc -l\`: how many times \`wc -l\` on the same input (the read limit)" \
        "is faster; \`jq ÷\`: how many times faster agentcli is than its nearest jq" \
        "equivalent. CPU is user + system time (mean of the runs): on a loaded machine the wall" \
        "time is longer than on a quiet one, the CPU time much less so, and with both cores free" \
        "a command takes at least CPU / 2. Peak memory is the maximum resident set of one run" \
        "(\`/usr/bin/time -v\`; not measured for jq run by xargs, one process per file)."
    echo
    if [ -n "$BEFORE_BIN" ]; then
        echo "**Before and after**: \`before\` is the median of the same command run with" \
            "\`$BEFORE_BIN\` ($BEFORE_NAME), timed" \
            "in this run right before the current build; \`speed-up\` is before ÷ now (above 1:" \
            "faster now); MB/s and entries/s are the current build's. \`-\`: the old build lacks" \
            "the command."
        echo
        echo "| input | bytes/entry | command | median | before | speed-up | MB/s | entries/s | CPU | before CPU | × wc -l | jq | jq ÷ | peak memory | before peak memory | jq peak memory |"
        echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    else
        echo "| input | bytes/entry | command | median | MB/s | entries/s | CPU | × wc -l | jq | jq ÷ | peak memory | jq peak memory |"
        echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    fi
    for input in $INPUTS; do
        bytes=$(input_bytes "$input")
        entries=$(input_entries "$input")
        per_entry=$(awk -v b="$bytes" -v n="$entries" 'BEGIN { printf "%.0f", b/n }')
        wc_mbs=$(awk -v b="$bytes" -v s="${WC_TIME[$input]}" 'BEGIN { printf "%.0f", b/1e6/s }')
        wc_eps=$(awk -v n="$entries" -v s="${WC_TIME[$input]}" 'BEGIN { printf "%.2f M", n/1e6/s }')
        if [ -n "$BEFORE_BIN" ]; then
            echo "| $input | $per_entry | \`wc -l\` | $(ms "${WC_TIME[$input]}") | | | $wc_mbs | $wc_eps | $(ms "${WC_CPU[$input]}") | | 1.0 | | | $(mib "${WC_RSS[$input]}") | | |"
        else
            echo "| $input | $per_entry | \`wc -l\` | $(ms "${WC_TIME[$input]}") | $wc_mbs | $wc_eps | $(ms "${WC_CPU[$input]}") | 1.0 | | | $(mib "${WC_RSS[$input]}") | |"
        fi
        for row in "${rows[@]}"; do
            IFS='|' read -r rin label t m jt jm c bt bm bc <<<"$row"
            [ "$rin" = "$input" ] || continue
            mbs=$(awk -v b="$bytes" -v s="$t" 'BEGIN { printf "%.0f", b/1e6/s }')
            vs_wc=$(awk -v s="$t" -v w="${WC_TIME[$input]}" 'BEGIN { printf "%.1f", s/w }')
            vs_jq=$(awk -v s="$t" -v j="$jt" 'BEGIN { if (j == "-") print "-"; else printf "%.0f", j/s }')
            eps=$(awk -v n="$entries" -v s="$t" 'BEGIN { printf "%.2f M", n/1e6/s }')
            if [ -n "$BEFORE_BIN" ]; then
                speedup=$(awk -v s="$t" -v b="$bt" 'BEGIN { if (b == "-") print "-"; else printf "%.2f", b/s }')
                echo "| $input | $per_entry | \`$label\` | $(ms "$t") | $(ms "$bt") | $speedup | $mbs | $eps | $(ms "$c") | $(ms "$bc") | $vs_wc | $(ms "$jt") | $vs_jq | $(mib "$m") | $(mib "$bm") | $(mib "$jm") |"
            else
                echo "| $input | $per_entry | \`$label\` | $(ms "$t") | $mbs | $eps | $(ms "$c") | $vs_wc | $(ms "$jt") | $vs_jq | $(mib "$m") | $(mib "$jm") |"
            fi
        done
    done
    echo
    echo "On **sessions**, jq ran on $(wc -l <"$JQ_SAMPLE") of the files (one jq per file; jq's" \
        "start-up alone is ~20 ms) and its time is scaled to all $SESSIONS; its time is of one run." \
        "On **1gb** too, jq's time is of one run."
    echo
    before_note=''
    [ -z "$BEFORE_BIN" ] || before_note="; the before column runs the same with \`$BEFORE_BIN\` in place of \$BIN"
    echo "The agentcli commands, per input (\$BIN is \`target/release/agentcli\`$before_note):"
    echo
    for i in "${!C_INPUT[@]}"; do
        printf -- '- %s, `%s`: `%s`\n' "${C_INPUT[$i]}" "${C_LABEL[$i]}" \
            "$(echo "${C_CMD[$i]}" | sed -e "s|'$BIN'|\$BIN|g" -e "s|$BENCH_DIR|\$BENCH_DIR|g")"
    done
    echo
    echo "The jq equivalents, per input (\$F is the file):"
    echo
    for i in "${!C_INPUT[@]}"; do
        [ -n "${C_JQ[$i]}" ] || continue
        printf -- '- %s, `%s`: `%s`\n' "${C_INPUT[$i]}" "${C_LABEL[$i]}" \
            "$(echo "${C_JQ[$i]}" | sed -e "s|$BENCH_DIR|\$BENCH_DIR|g" -e "s|'\$BENCH_DIR/[a-z0-9]*/req-[a-z0-9]*.trace.json'|\$F|g")"
    done
} >"$RESULTS"
say "wrote $RESULTS in ${elapsed} s"
cat "$RESULTS"
