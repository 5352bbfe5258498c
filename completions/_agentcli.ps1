
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'agentcli' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'agentcli'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'agentcli' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the trace files [default: the current directory]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never, unless "always")')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC [default: in the zone each trace was written in]')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s time zone')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the sessions in the trace directory, newest first')
            [CompletionResult]::new('trace', 'trace', [CompletionResultType]::ParameterValue, 'Show a session''s trace: a timeline of its entries, every detail of each, or its agent flow')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Send sessions to an OpenTelemetry collector (OTLP/HTTP), as traces')
            [CompletionResult]::new('analyze', 'analyze', [CompletionResultType]::ParameterValue, 'Analyse performance across sessions: per-agent run statistics over every session in the trace directory (or those named), read in parallel')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two sessions: durations, runs and errors per agent, hand-overs and routes, error messages; fail a CI job on a regression with --fail-on')
            [CompletionResult]::new('view', 'view', [CompletionResultType]::ParameterValue, 'Explore sessions in the terminal: the session list, each session''s timeline, waterfall and flow, and any entry in full (needs a terminal; `trace` prints)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'agentcli;list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--metric', '--metric', [CompletionResultType]::ParameterName, 'With --verbose, a column of each session''s total of a number its runs reported: a dotted path into an AfterAgentRun''s output state data, else its meta (--metric tokens_used adds TOKENS_USED); repeatable')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'At or after TIME: a date (2024-01-01), an RFC 3339 time, or an age (90m, 2h, 3d)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Before TIME (the same forms as --since)')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)')
            [CompletionResult]::new('--redact-pattern', '--redact-pattern', [CompletionResultType]::ParameterName, 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern ''cust-[0-9]{6}''')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the trace files [default: the current directory]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never, unless "always")')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Also read each file whole: entries, events, agents, duration, errors')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Also read each file whole: entries, events, agents, duration, errors')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC [default: in the zone each trace was written in]')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s time zone')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;trace' {
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'Of the entries already written, show only the last N (of those the filters select)')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'With --analyze: how many slowest events and longest idle gaps to show')
            [CompletionResult]::new('--metric', '--metric', [CompletionResultType]::ParameterName, 'A number the runs report, summed per agent and session: a dotted path into an AfterAgentRun''s output state data, else its meta (tokens_used, usage.total_tokens); repeatable. [default: numeric fields with token(s), cost(s) or usage as a word of their key; `none`: no metrics]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: table (the views above); the entries as data: json, jsonl, csv, otlp (see below; with --analyze, json is its report as one JSON document, see docs/analysis-json.md); or the agent flow as a picture: a Mermaid sequence diagram (paste it into Markdown) or a Graphviz digraph (`| dot -Tsvg`)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Only entries matching EXPR (repeatable: all must hold), e.g. agent=planner, agent!=planner, hook=AgentError, error, meta.correlation_id=abc, ''agent=research*'' (the language: `agentcli trace --help`)')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)')
            [CompletionResult]::new('--redact-pattern', '--redact-pattern', [CompletionResultType]::ParameterName, 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern ''cust-[0-9]{6}''')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the trace files [default: the current directory]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never, unless "always")')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep reading as the session is written: the entries already there, then each new one as soon as it is complete, until Ctrl-C. A session without a file yet is waited for')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep reading as the session is written: the entries already there, then each new one as soon as it is complete, until Ctrl-C. A session without a file yet is waited for')
            [CompletionResult]::new('--follow-new', '--follow-new', [CompletionResultType]::ParameterName, 'Follow, and switch to each newer session as it appears in the trace directory')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'With --follow: look at the file every 100 ms instead of waiting for file-system notifications (for network file systems, where notifications may not arrive)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Every entry in full: all its fields and its whole state (data and meta), wrapped, nothing cut')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Every entry in full: all its fields and its whole state (data and meta), wrapped, nothing cut')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'The raw structure: each entry''s JSON as read, then what the reader found (file shape, entries read, entries skipped and why)')
            [CompletionResult]::new('--analyze', '--analyze', [CompletionResultType]::ParameterName, 'Analyse performance instead: per-agent run statistics and response-time buckets, the slowest events, the bottleneck and critical path, errors, idle gaps, and a waterfall. Quantiles are within 0.1% (or 1 µs) of the exact values; --filter selects what counts')
            [CompletionResult]::new('--metric-delta', '--metric-delta', [CompletionResultType]::ParameterName, 'Read each metric as an agent''s running total: count the increase since the agent''s previous run (a value lower than the previous one counts whole)')
            [CompletionResult]::new('--flow-only', '--flow-only', [CompletionResultType]::ParameterName, 'Only the agent flow: one row per agent run and the agent it handed the work to, then the numbered sequence, the condensed route and each request''s sequence (--verbose: whole event ids and errors)')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'Draw arrows and shortened text with ASCII only (-> and ...) [default when the locale is not UTF-8]')
            [CompletionResult]::new('--csv-safe', '--csv-safe', [CompletionResultType]::ParameterName, 'With --format csv: put a '' before cells that start with =, +, -, @, a tab or a carriage return, so that spreadsheets show them instead of running them as formulas')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC [default: in the zone each trace was written in]')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s time zone')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;export' {
            [CompletionResult]::new('--otlp-endpoint', '--otlp-endpoint', [CompletionResultType]::ParameterName, 'The OTLP/HTTP collector: its base URL (http://localhost:4318), to which /v1/traces is added, or the full URL of its traces endpoint')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'An HTTP header for every request, as NAME=VALUE (a hosted backend''s credentials); repeatable')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'How many times to try a request again when the collector cannot be reached or asks to slow down (waiting 0.5 s, then twice as long each time)')
            [CompletionResult]::new('--service-name', '--service-name', [CompletionResultType]::ParameterName, 'The service.name the spans are reported under')
            [CompletionResult]::new('--metric', '--metric', [CompletionResultType]::ParameterName, 'A number a run reported that its span carries as an attribute: a dotted path into the AfterAgentRun''s output state data, else its meta; repeatable. Input and output tokens take the OpenTelemetry GenAI names (gen_ai.usage.input_tokens), others agentcli.metric.PATH [default: numeric fields with token(s), cost(s) or usage as a word of their key; `none`: no metrics]')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'At or after TIME: a date (2024-01-01), an RFC 3339 time, or an age (90m, 2h, 3d)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Before TIME (the same forms as --since)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Only entries matching EXPR (repeatable: all must hold), e.g. agent=planner, agent!=planner, hook=AgentError, error, meta.correlation_id=abc, ''agent=research*'' (the language: `agentcli trace --help`)')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)')
            [CompletionResult]::new('--redact-pattern', '--redact-pattern', [CompletionResultType]::ParameterName, 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern ''cust-[0-9]{6}''')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the trace files [default: the current directory]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never, unless "always")')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC [default: in the zone each trace was written in]')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s time zone')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;analyze' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (JSON: see docs/analysis-json.md)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'At or after TIME: a date (2024-01-01), an RFC 3339 time, or an age (90m, 2h, 3d)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Before TIME (the same forms as --since)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Only entries matching EXPR (repeatable: all must hold), e.g. agent=planner, agent!=planner, hook=AgentError, error, meta.correlation_id=abc, ''agent=research*'' (the language: `agentcli trace --help`)')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)')
            [CompletionResult]::new('--redact-pattern', '--redact-pattern', [CompletionResultType]::ParameterName, 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern ''cust-[0-9]{6}''')
            [CompletionResult]::new('--metric', '--metric', [CompletionResultType]::ParameterName, 'A number the runs report, summed per agent and session: a dotted path into an AfterAgentRun''s output state data, else its meta (tokens_used, usage.total_tokens); repeatable. [default: numeric fields with token(s), cost(s) or usage as a word of their key; `none`: no metrics]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the trace files [default: the current directory]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never, unless "always")')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]')
            [CompletionResult]::new('--by-session', '--by-session', [CompletionResultType]::ParameterName, 'Also list each session: duration, events, runs, errors, slowest agent')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)')
            [CompletionResult]::new('--metric-delta', '--metric-delta', [CompletionResultType]::ParameterName, 'Read each metric as an agent''s running total: count the increase since the agent''s previous run (a value lower than the previous one counts whole)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC [default: in the zone each trace was written in]')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s time zone')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;diff' {
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit with code 3 when EXPR holds (repeatable: when any holds), e.g. ''p95>+20%'', ''errors>0'', route-changed, ''agent=researcher:p95>+500ms'' (see below; quote an EXPR with > or < for the shell)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format (JSON: the whole comparison, see docs/diff-json.md)')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)')
            [CompletionResult]::new('--redact-pattern', '--redact-pattern', [CompletionResultType]::ParameterName, 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern ''cust-[0-9]{6}''')
            [CompletionResult]::new('--metric', '--metric', [CompletionResultType]::ParameterName, 'A number the runs report, summed per agent and session: a dotted path into an AfterAgentRun''s output state data, else its meta (tokens_used, usage.total_tokens); repeatable. [default: numeric fields with token(s), cost(s) or usage as a word of their key; `none`: no metrics]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the trace files [default: the current directory]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never, unless "always")')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]')
            [CompletionResult]::new('--ascii', '--ascii', [CompletionResultType]::ParameterName, 'Draw arrows and changes with ASCII only (-> and +/- instead of → and ▲/▼) [default when the locale is not UTF-8]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Also say on stderr why a --fail-on condition could not hold (an agent that neither session has)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Also say on stderr why a --fail-on condition could not hold (an agent that neither session has)')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)')
            [CompletionResult]::new('--metric-delta', '--metric-delta', [CompletionResultType]::ParameterName, 'Read each metric as an agent''s running total: count the increase since the agent''s previous run (a value lower than the previous one counts whole)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC [default: in the zone each trace was written in]')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s time zone')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;view' {
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Show only entries matching EXPR (repeatable: all must hold); the filter language of `trace --filter`, also typed in the view with `f`')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'Also treat keys with NAME as a whole word as secret (repeatable; implies --redact)')
            [CompletionResult]::new('--redact-pattern', '--redact-pattern', [CompletionResultType]::ParameterName, 'Also hide whatever the regular expression REGEX matches, in any text of an entry (repeatable; implies --redact), e.g. --redact-pattern ''cust-[0-9]{6}''')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the trace files [default: the current directory]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never, unless "always")')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Hide secrets before anything is shown or sent: values of secret keys in the state, and the secret part of credentials, tokens and keys written in any text (see --help)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC [default: in the zone each trace was written in]')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s time zone')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;completions' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the trace files [default: the current directory]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never, unless "always")')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns [default: the terminal''s width, or 120 when not a terminal]')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC [default: in the zone each trace was written in]')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s time zone')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the sessions in the trace directory, newest first')
            [CompletionResult]::new('trace', 'trace', [CompletionResultType]::ParameterValue, 'Show a session''s trace: a timeline of its entries, every detail of each, or its agent flow')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Send sessions to an OpenTelemetry collector (OTLP/HTTP), as traces')
            [CompletionResult]::new('analyze', 'analyze', [CompletionResultType]::ParameterValue, 'Analyse performance across sessions: per-agent run statistics over every session in the trace directory (or those named), read in parallel')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two sessions: durations, runs and errors per agent, hand-overs and routes, error messages; fail a CI job on a regression with --fail-on')
            [CompletionResult]::new('view', 'view', [CompletionResultType]::ParameterValue, 'Explore sessions in the terminal: the session list, each session''s timeline, waterfall and flow, and any entry in full (needs a terminal; `trace` prints)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'agentcli;help;list' {
            break
        }
        'agentcli;help;trace' {
            break
        }
        'agentcli;help;export' {
            break
        }
        'agentcli;help;analyze' {
            break
        }
        'agentcli;help;diff' {
            break
        }
        'agentcli;help;view' {
            break
        }
        'agentcli;help;completions' {
            break
        }
        'agentcli;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
