
use builtin;
use str;

set edit:completion:arg-completer[agentcli] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'agentcli'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'agentcli'= {
            cand --dir 'Directory holding the trace files [default: the current directory]'
            cand --color 'When to colour the output (NO_COLOR in the environment means never, unless "always")'
            cand --width 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]'
            cand --utc 'Show times in UTC [default: in the zone each trace was written in]'
            cand --local 'Show times in this machine''s time zone'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List the sessions in the trace directory, newest first'
            cand trace 'Show a session''s trace: a timeline of its entries, every detail of each, or its agent flow'
            cand export 'Send sessions to an OpenTelemetry collector (OTLP/HTTP), as traces'
            cand analyze 'Analyse performance across sessions: per-agent run statistics over every session in the trace directory (or those named), read in parallel'
            cand diff 'Compare two sessions: durations, runs and errors per agent, hand-overs and routes, error messages; fail a CI job on a regression with --fail-on'
            cand view 'Explore sessions in the terminal: the session list, each session''s timeline, waterfall and flow, and any entry in full (needs a terminal; `trace` prints)'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'agentcli;list'= {
            cand --format 'Output format'
            cand --metric 'With --verbose, a column of each session''s total of a number its runs reported: a dotted path into an AfterAgentRun''s output state data, else its meta (--metric tokens_used adds TOKENS_USED); repeatable'
            cand --since 'At or after TIME: a date (2024-01-01), an RFC 3339 time, or an age (90m, 2h, 3d)'
            cand --until 'Before TIME (the same forms as --since)'
            cand --redact-key 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)'
            cand --redact-pattern 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern ''cust-[0-9]{6}'''
            cand --dir 'Directory holding the trace files [default: the current directory]'
            cand --color 'When to colour the output (NO_COLOR in the environment means never, unless "always")'
            cand --width 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]'
            cand -v 'Also read each file whole: entries, events, agents, duration, errors'
            cand --verbose 'Also read each file whole: entries, events, agents, duration, errors'
            cand --redact 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)'
            cand --utc 'Show times in UTC [default: in the zone each trace was written in]'
            cand --local 'Show times in this machine''s time zone'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;trace'= {
            cand --tail 'Of the entries already written, show only the last N (of those the filters select)'
            cand --top 'With --analyze: how many slowest events and longest idle gaps to show'
            cand --metric 'A number the runs report, summed per agent and session: a dotted path into an AfterAgentRun''s output state data, else its meta (tokens_used, usage.total_tokens); repeatable. [default: numeric fields with token(s), cost(s) or usage as a word of their key; `none`: no metrics]'
            cand --format 'Output format: table (the views above); the entries as data: json, jsonl, csv, otlp (see below; with --analyze, json is its report as one JSON document, see docs/analysis-json.md); or the agent flow as a picture: a Mermaid sequence diagram (paste it into Markdown) or a Graphviz digraph (`| dot -Tsvg`)'
            cand --filter 'Only entries matching EXPR (repeatable: all must hold), e.g. agent=planner, agent!=planner, hook=AgentError, error, meta.correlation_id=abc, ''agent=research*'' (the language: `agentcli trace --help`)'
            cand --redact-key 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)'
            cand --redact-pattern 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern ''cust-[0-9]{6}'''
            cand --dir 'Directory holding the trace files [default: the current directory]'
            cand --color 'When to colour the output (NO_COLOR in the environment means never, unless "always")'
            cand --width 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]'
            cand -f 'Keep reading as the session is written: the entries already there, then each new one as soon as it is complete, until Ctrl-C. A session without a file yet is waited for'
            cand --follow 'Keep reading as the session is written: the entries already there, then each new one as soon as it is complete, until Ctrl-C. A session without a file yet is waited for'
            cand --follow-new 'Follow, and switch to each newer session as it appears in the trace directory'
            cand --poll 'With --follow: look at the file every 100 ms instead of waiting for file-system notifications (for network file systems, where notifications may not arrive)'
            cand -v 'Every entry in full: all its fields and its whole state (data and meta), wrapped, nothing cut'
            cand --verbose 'Every entry in full: all its fields and its whole state (data and meta), wrapped, nothing cut'
            cand --debug 'The raw structure: each entry''s JSON as read, then what the reader found (file shape, entries read, entries skipped and why)'
            cand --analyze 'Analyse performance instead: per-agent run statistics and response-time buckets, the slowest events, the bottleneck and critical path, errors, idle gaps, and a waterfall. Quantiles are within 0.1% (or 1 µs) of the exact values; --filter selects what counts'
            cand --metric-delta 'Read each metric as an agent''s running total: count the increase since the agent''s previous run (a value lower than the previous one counts whole)'
            cand --flow-only 'Only the agent flow: one row per agent run and the agent it handed the work to, then the numbered sequence, the condensed route and each request''s sequence (--verbose: whole event ids and errors)'
            cand --ascii 'Draw arrows and shortened text with ASCII only (-> and ...) [default when the locale is not UTF-8]'
            cand --csv-safe 'With --format csv: put a '' before cells that start with =, +, -, @, a tab or a carriage return, so that spreadsheets show them instead of running them as formulas'
            cand --redact 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)'
            cand --utc 'Show times in UTC [default: in the zone each trace was written in]'
            cand --local 'Show times in this machine''s time zone'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;export'= {
            cand --otlp-endpoint 'The OTLP/HTTP collector: its base URL (http://localhost:4318), to which /v1/traces is added, or the full URL of its traces endpoint'
            cand --header 'An HTTP header for every request, as NAME=VALUE (a hosted backend''s credentials); repeatable'
            cand --retries 'How many times to try a request again when the collector cannot be reached or asks to slow down (waiting 0.5 s, then twice as long each time)'
            cand --service-name 'The service.name the spans are reported under'
            cand --metric 'A number a run reported that its span carries as an attribute: a dotted path into the AfterAgentRun''s output state data, else its meta; repeatable. Input and output tokens take the OpenTelemetry GenAI names (gen_ai.usage.input_tokens), others agentcli.metric.PATH [default: numeric fields with token(s), cost(s) or usage as a word of their key; `none`: no metrics]'
            cand --since 'At or after TIME: a date (2024-01-01), an RFC 3339 time, or an age (90m, 2h, 3d)'
            cand --until 'Before TIME (the same forms as --since)'
            cand --filter 'Only entries matching EXPR (repeatable: all must hold), e.g. agent=planner, agent!=planner, hook=AgentError, error, meta.correlation_id=abc, ''agent=research*'' (the language: `agentcli trace --help`)'
            cand --redact-key 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)'
            cand --redact-pattern 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern ''cust-[0-9]{6}'''
            cand --dir 'Directory holding the trace files [default: the current directory]'
            cand --color 'When to colour the output (NO_COLOR in the environment means never, unless "always")'
            cand --width 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]'
            cand --redact 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)'
            cand --utc 'Show times in UTC [default: in the zone each trace was written in]'
            cand --local 'Show times in this machine''s time zone'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;analyze'= {
            cand --format 'Output format (JSON: see docs/analysis-json.md)'
            cand --since 'At or after TIME: a date (2024-01-01), an RFC 3339 time, or an age (90m, 2h, 3d)'
            cand --until 'Before TIME (the same forms as --since)'
            cand --filter 'Only entries matching EXPR (repeatable: all must hold), e.g. agent=planner, agent!=planner, hook=AgentError, error, meta.correlation_id=abc, ''agent=research*'' (the language: `agentcli trace --help`)'
            cand --redact-key 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)'
            cand --redact-pattern 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern ''cust-[0-9]{6}'''
            cand --metric 'A number the runs report, summed per agent and session: a dotted path into an AfterAgentRun''s output state data, else its meta (tokens_used, usage.total_tokens); repeatable. [default: numeric fields with token(s), cost(s) or usage as a word of their key; `none`: no metrics]'
            cand --dir 'Directory holding the trace files [default: the current directory]'
            cand --color 'When to colour the output (NO_COLOR in the environment means never, unless "always")'
            cand --width 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]'
            cand --by-session 'Also list each session: duration, events, runs, errors, slowest agent'
            cand --redact 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)'
            cand --metric-delta 'Read each metric as an agent''s running total: count the increase since the agent''s previous run (a value lower than the previous one counts whole)'
            cand --utc 'Show times in UTC [default: in the zone each trace was written in]'
            cand --local 'Show times in this machine''s time zone'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;diff'= {
            cand --fail-on 'Exit with code 3 when EXPR holds (repeatable: when any holds), e.g. ''p95>+20%'', ''errors>0'', route-changed, ''agent=researcher:p95>+500ms'' (see below; quote an EXPR with > or < for the shell)'
            cand --format 'Output format (JSON: the whole comparison, see docs/diff-json.md)'
            cand --redact-key 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)'
            cand --redact-pattern 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern ''cust-[0-9]{6}'''
            cand --metric 'A number the runs report, summed per agent and session: a dotted path into an AfterAgentRun''s output state data, else its meta (tokens_used, usage.total_tokens); repeatable. [default: numeric fields with token(s), cost(s) or usage as a word of their key; `none`: no metrics]'
            cand --dir 'Directory holding the trace files [default: the current directory]'
            cand --color 'When to colour the output (NO_COLOR in the environment means never, unless "always")'
            cand --width 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]'
            cand --ascii 'Draw arrows and changes with ASCII only (-> and +/- instead of → and ▲/▼) [default when the locale is not UTF-8]'
            cand -v 'Also say on stderr why a --fail-on condition could not hold (an agent that neither session has)'
            cand --verbose 'Also say on stderr why a --fail-on condition could not hold (an agent that neither session has)'
            cand --redact 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)'
            cand --metric-delta 'Read each metric as an agent''s running total: count the increase since the agent''s previous run (a value lower than the previous one counts whole)'
            cand --utc 'Show times in UTC [default: in the zone each trace was written in]'
            cand --local 'Show times in this machine''s time zone'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;view'= {
            cand --filter 'Show only entries matching EXPR (repeatable: all must hold); the filter language of `trace --filter`, also typed in the view with `f`'
            cand --redact-key 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)'
            cand --redact-pattern 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern ''cust-[0-9]{6}'''
            cand --dir 'Directory holding the trace files [default: the current directory]'
            cand --color 'When to colour the output (NO_COLOR in the environment means never, unless "always")'
            cand --width 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]'
            cand --redact 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)'
            cand --utc 'Show times in UTC [default: in the zone each trace was written in]'
            cand --local 'Show times in this machine''s time zone'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;completions'= {
            cand --dir 'Directory holding the trace files [default: the current directory]'
            cand --color 'When to colour the output (NO_COLOR in the environment means never, unless "always")'
            cand --width 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]'
            cand --utc 'Show times in UTC [default: in the zone each trace was written in]'
            cand --local 'Show times in this machine''s time zone'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;help'= {
            cand list 'List the sessions in the trace directory, newest first'
            cand trace 'Show a session''s trace: a timeline of its entries, every detail of each, or its agent flow'
            cand export 'Send sessions to an OpenTelemetry collector (OTLP/HTTP), as traces'
            cand analyze 'Analyse performance across sessions: per-agent run statistics over every session in the trace directory (or those named), read in parallel'
            cand diff 'Compare two sessions: durations, runs and errors per agent, hand-overs and routes, error messages; fail a CI job on a regression with --fail-on'
            cand view 'Explore sessions in the terminal: the session list, each session''s timeline, waterfall and flow, and any entry in full (needs a terminal; `trace` prints)'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'agentcli;help;list'= {
        }
        &'agentcli;help;trace'= {
        }
        &'agentcli;help;export'= {
        }
        &'agentcli;help;analyze'= {
        }
        &'agentcli;help;diff'= {
        }
        &'agentcli;help;view'= {
        }
        &'agentcli;help;completions'= {
        }
        &'agentcli;help;help'= {
        }
    ]
    $completions[$command]
}
