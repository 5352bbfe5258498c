# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_agentcli_global_optspecs
    string join \n dir= color= utc local width= h/help V/version
end

function __fish_agentcli_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_agentcli_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_agentcli_using_subcommand
    set -l cmd (__fish_agentcli_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c agentcli -n "__fish_agentcli_needs_command" -l dir -d 'Directory holding the trace files [default: the current directory]' -r -F
complete -c agentcli -n "__fish_agentcli_needs_command" -l color -d 'When to colour the output (NO_COLOR in the environment means never, unless "always")' -r -f -a "auto\t''
always\t''
never\t''"
complete -c agentcli -n "__fish_agentcli_needs_command" -l width -d 'Width of tables in columns [default: the terminal\'s width, or 120 when not a terminal]' -r
complete -c agentcli -n "__fish_agentcli_needs_command" -l utc -d 'Show times in UTC [default: in the zone each trace was written in]'
complete -c agentcli -n "__fish_agentcli_needs_command" -l local -d 'Show times in this machine\'s time zone'
complete -c agentcli -n "__fish_agentcli_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_needs_command" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "list" -d 'List the sessions in the trace directory, newest first'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "trace" -d 'Show a session\'s trace: a timeline of its entries, every detail of each, or its agent flow'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "export" -d 'Send sessions to an OpenTelemetry collector (OTLP/HTTP), as traces'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "analyze" -d 'Analyse performance across sessions: per-agent run statistics over every session in the trace directory (or those named), read in parallel'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "diff" -d 'Compare two sessions: durations, runs and errors per agent, hand-overs and routes, error messages; fail a CI job on a regression with --fail-on'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "view" -d 'Explore sessions in the terminal: the session list, each session\'s timeline, waterfall and flow, and any entry in full (needs a terminal; `trace` prints)'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l format -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l metric -d 'With --verbose, a column of each session\'s total of a number its runs reported: a dotted path into an AfterAgentRun\'s output state data, else its meta (--metric tokens_used adds TOKENS_USED); repeatable' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l since -d 'At or after TIME: a date (2024-01-01), an RFC 3339 time, or an age (90m, 2h, 3d)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l until -d 'Before TIME (the same forms as --since)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l redact-key -d 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l redact-pattern -d 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern \'cust-[0-9]{6}\'' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l dir -d 'Directory holding the trace files [default: the current directory]' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l color -d 'When to colour the output (NO_COLOR in the environment means never, unless "always")' -r -f -a "auto\t''
always\t''
never\t''"
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l width -d 'Width of tables in columns [default: the terminal\'s width, or 120 when not a terminal]' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -s v -l verbose -d 'Also read each file whole: entries, events, agents, duration, errors'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l redact -d 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l utc -d 'Show times in UTC [default: in the zone each trace was written in]'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l local -d 'Show times in this machine\'s time zone'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l tail -d 'Of the entries already written, show only the last N (of those the filters select)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l top -d 'With --analyze: how many slowest events and longest idle gaps to show' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l metric -d 'A number the runs report, summed per agent and session: a dotted path into an AfterAgentRun\'s output state data, else its meta (tokens_used, usage.total_tokens); repeatable. [default: numeric fields with token(s), cost(s) or usage as a word of their key; `none`: no metrics]' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l format -d 'Output format: table (the views above); the entries as data: json, jsonl, csv, otlp (see below; with --analyze, json is its report as one JSON document, see docs/analysis-json.md); or the agent flow as a picture: a Mermaid sequence diagram (paste it into Markdown) or a Graphviz digraph (`| dot -Tsvg`)' -r -f -a "table\t'The timeline table, or the view asked for (--verbose, --debug, --flow-only, --analyze)'
json\t'A JSON array of normalised entries (agentcli reads it back as a session file); with --analyze, its report as one JSON document'
jsonl\t'The normalised entries as JSON Lines, one line per entry, written as it is read'
csv\t'The normalised entries as CSV with a header row, one row per entry'
otlp\t'The session as OpenTelemetry spans: an OTLP/JSON ExportTraceServiceRequest'
mermaid\t'The agent flow as a Mermaid sequenceDiagram'
dot\t'The agent flow as a Graphviz digraph'"
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l filter -d 'Only entries matching EXPR (repeatable: all must hold), e.g. agent=planner, agent!=planner, hook=AgentError, error, meta.correlation_id=abc, \'agent=research*\' (the language: `agentcli trace --help`)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l redact-key -d 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l redact-pattern -d 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern \'cust-[0-9]{6}\'' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l dir -d 'Directory holding the trace files [default: the current directory]' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l color -d 'When to colour the output (NO_COLOR in the environment means never, unless "always")' -r -f -a "auto\t''
always\t''
never\t''"
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l width -d 'Width of tables in columns [default: the terminal\'s width, or 120 when not a terminal]' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -s f -l follow -d 'Keep reading as the session is written: the entries already there, then each new one as soon as it is complete, until Ctrl-C. A session without a file yet is waited for'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l follow-new -d 'Follow, and switch to each newer session as it appears in the trace directory'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l poll -d 'With --follow: look at the file every 100 ms instead of waiting for file-system notifications (for network file systems, where notifications may not arrive)'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -s v -l verbose -d 'Every entry in full: all its fields and its whole state (data and meta), wrapped, nothing cut'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l debug -d 'The raw structure: each entry\'s JSON as read, then what the reader found (file shape, entries read, entries skipped and why)'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l analyze -d 'Analyse performance instead: per-agent run statistics and response-time buckets, the slowest events, the bottleneck and critical path, errors, idle gaps, and a waterfall. Quantiles are within 0.1% (or 1 µs) of the exact values; --filter selects what counts'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l metric-delta -d 'Read each metric as an agent\'s running total: count the increase since the agent\'s previous run (a value lower than the previous one counts whole)'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l flow-only -d 'Only the agent flow: one row per agent run and the agent it handed the work to, then the numbered sequence, the condensed route and each request\'s sequence (--verbose: whole event ids and errors)'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l ascii -d 'Draw arrows and shortened text with ASCII only (-> and ...) [default when the locale is not UTF-8]'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l csv-safe -d 'With --format csv: put a \' before cells that start with =, +, -, @, a tab or a carriage return, so that spreadsheets show them instead of running them as formulas'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l redact -d 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l utc -d 'Show times in UTC [default: in the zone each trace was written in]'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l local -d 'Show times in this machine\'s time zone'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l otlp-endpoint -d 'The OTLP/HTTP collector: its base URL (http://localhost:4318), to which /v1/traces is added, or the full URL of its traces endpoint' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l header -d 'An HTTP header for every request, as NAME=VALUE (a hosted backend\'s credentials); repeatable' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l retries -d 'How many times to try a request again when the collector cannot be reached or asks to slow down (waiting 0.5 s, then twice as long each time)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l service-name -d 'The service.name the spans are reported under' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l metric -d 'A number a run reported that its span carries as an attribute: a dotted path into the AfterAgentRun\'s output state data, else its meta; repeatable. Input and output tokens take the OpenTelemetry GenAI names (gen_ai.usage.input_tokens), others agentcli.metric.PATH [default: numeric fields with token(s), cost(s) or usage as a word of their key; `none`: no metrics]' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l since -d 'At or after TIME: a date (2024-01-01), an RFC 3339 time, or an age (90m, 2h, 3d)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l until -d 'Before TIME (the same forms as --since)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l filter -d 'Only entries matching EXPR (repeatable: all must hold), e.g. agent=planner, agent!=planner, hook=AgentError, error, meta.correlation_id=abc, \'agent=research*\' (the language: `agentcli trace --help`)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l redact-key -d 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l redact-pattern -d 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern \'cust-[0-9]{6}\'' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l dir -d 'Directory holding the trace files [default: the current directory]' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l color -d 'When to colour the output (NO_COLOR in the environment means never, unless "always")' -r -f -a "auto\t''
always\t''
never\t''"
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l width -d 'Width of tables in columns [default: the terminal\'s width, or 120 when not a terminal]' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l redact -d 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l utc -d 'Show times in UTC [default: in the zone each trace was written in]'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l local -d 'Show times in this machine\'s time zone'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l format -d 'Output format (JSON: see docs/analysis-json.md)' -r -f -a "table\t''
json\t''"
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l since -d 'At or after TIME: a date (2024-01-01), an RFC 3339 time, or an age (90m, 2h, 3d)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l until -d 'Before TIME (the same forms as --since)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l filter -d 'Only entries matching EXPR (repeatable: all must hold), e.g. agent=planner, agent!=planner, hook=AgentError, error, meta.correlation_id=abc, \'agent=research*\' (the language: `agentcli trace --help`)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l redact-key -d 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l redact-pattern -d 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern \'cust-[0-9]{6}\'' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l metric -d 'A number the runs report, summed per agent and session: a dotted path into an AfterAgentRun\'s output state data, else its meta (tokens_used, usage.total_tokens); repeatable. [default: numeric fields with token(s), cost(s) or usage as a word of their key; `none`: no metrics]' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l dir -d 'Directory holding the trace files [default: the current directory]' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l color -d 'When to colour the output (NO_COLOR in the environment means never, unless "always")' -r -f -a "auto\t''
always\t''
never\t''"
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l width -d 'Width of tables in columns [default: the terminal\'s width, or 120 when not a terminal]' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l by-session -d 'Also list each session: duration, events, runs, errors, slowest agent'
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l redact -d 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)'
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l metric-delta -d 'Read each metric as an agent\'s running total: count the increase since the agent\'s previous run (a value lower than the previous one counts whole)'
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l utc -d 'Show times in UTC [default: in the zone each trace was written in]'
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -l local -d 'Show times in this machine\'s time zone'
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_using_subcommand analyze" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l fail-on -d 'Exit with code 3 when EXPR holds (repeatable: when any holds), e.g. \'p95>+20%\', \'errors>0\', route-changed, \'agent=researcher:p95>+500ms\' (see below; quote an EXPR with > or < for the shell)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l format -d 'Output format (JSON: the whole comparison, see docs/diff-json.md)' -r -f -a "table\t''
json\t''"
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l redact-key -d 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l redact-pattern -d 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern \'cust-[0-9]{6}\'' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l metric -d 'A number the runs report, summed per agent and session: a dotted path into an AfterAgentRun\'s output state data, else its meta (tokens_used, usage.total_tokens); repeatable. [default: numeric fields with token(s), cost(s) or usage as a word of their key; `none`: no metrics]' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l dir -d 'Directory holding the trace files [default: the current directory]' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l color -d 'When to colour the output (NO_COLOR in the environment means never, unless "always")' -r -f -a "auto\t''
always\t''
never\t''"
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l width -d 'Width of tables in columns [default: the terminal\'s width, or 120 when not a terminal]' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l ascii -d 'Draw arrows and changes with ASCII only (-> and +/- instead of → and ▲/▼) [default when the locale is not UTF-8]'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -s v -l verbose -d 'Also say on stderr why a --fail-on condition could not hold (an agent that neither session has)'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l redact -d 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l metric-delta -d 'Read each metric as an agent\'s running total: count the increase since the agent\'s previous run (a value lower than the previous one counts whole)'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l utc -d 'Show times in UTC [default: in the zone each trace was written in]'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l local -d 'Show times in this machine\'s time zone'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand view" -l filter -d 'Show only entries matching EXPR (repeatable: all must hold); the filter language of `trace --filter`, also typed in the view with `f`' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand view" -l redact-key -d 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand view" -l redact-pattern -d 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern \'cust-[0-9]{6}\'' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand view" -l dir -d 'Directory holding the trace files [default: the current directory]' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand view" -l color -d 'When to colour the output (NO_COLOR in the environment means never, unless "always")' -r -f -a "auto\t''
always\t''
never\t''"
complete -c agentcli -n "__fish_agentcli_using_subcommand view" -l width -d 'Width of tables in columns [default: the terminal\'s width, or 120 when not a terminal]' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand view" -l redact -d 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)'
complete -c agentcli -n "__fish_agentcli_using_subcommand view" -l utc -d 'Show times in UTC [default: in the zone each trace was written in]'
complete -c agentcli -n "__fish_agentcli_using_subcommand view" -l local -d 'Show times in this machine\'s time zone'
complete -c agentcli -n "__fish_agentcli_using_subcommand view" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_using_subcommand view" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand completions" -l dir -d 'Directory holding the trace files [default: the current directory]' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand completions" -l color -d 'When to colour the output (NO_COLOR in the environment means never, unless "always")' -r -f -a "auto\t''
always\t''
never\t''"
complete -c agentcli -n "__fish_agentcli_using_subcommand completions" -l width -d 'Width of tables in columns [default: the terminal\'s width, or 120 when not a terminal]' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand completions" -l utc -d 'Show times in UTC [default: in the zone each trace was written in]'
complete -c agentcli -n "__fish_agentcli_using_subcommand completions" -l local -d 'Show times in this machine\'s time zone'
complete -c agentcli -n "__fish_agentcli_using_subcommand completions" -s h -l help -d 'Print help'
complete -c agentcli -n "__fish_agentcli_using_subcommand completions" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list trace export analyze diff view completions help" -f -a "list" -d 'List the sessions in the trace directory, newest first'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list trace export analyze diff view completions help" -f -a "trace" -d 'Show a session\'s trace: a timeline of its entries, every detail of each, or its agent flow'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list trace export analyze diff view completions help" -f -a "export" -d 'Send sessions to an OpenTelemetry collector (OTLP/HTTP), as traces'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list trace export analyze diff view completions help" -f -a "analyze" -d 'Analyse performance across sessions: per-agent run statistics over every session in the trace directory (or those named), read in parallel'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list trace export analyze diff view completions help" -f -a "diff" -d 'Compare two sessions: durations, runs and errors per agent, hand-overs and routes, error messages; fail a CI job on a regression with --fail-on'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list trace export analyze diff view completions help" -f -a "view" -d 'Explore sessions in the terminal: the session list, each session\'s timeline, waterfall and flow, and any entry in full (needs a terminal; `trace` prints)'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list trace export analyze diff view completions help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list trace export analyze diff view completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
