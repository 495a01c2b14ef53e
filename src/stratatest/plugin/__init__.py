"""The pytest plugin (entry point `pytest11`), split by job; pytest loads each part through `pytest_plugins`.

- `options`: command-line options, markers, and which tests a run selects (layers, controls, target);
- `session`: the run itself: run id, run folders, the target's preflight, interrupts, notices, the time cap;
- `record`: the results record, tool versions, and how each test's report is shaped (one-line errors,
  waivers, secrets masked);
- `fixtures`: `target`, `harness`, `plan_of`, `stacks`, `aws`, `checkov`, `chart`, `sample_service`, `run_id`,
  `unique_name`, ...
- `gate`: `--changed-since` and the results cache (`--no-reuse`): what a run skips, and why, on the record;
- `yaml_cases`: `stratatest.yaml` case files beside modules, collected as tests (no Python needed).

Installing stratatest leaves unrelated pytest runs alone: nothing here starts, writes or reads anything
until a test asks for a fixture, except a run folder in the temp directory that is removed at the end.
"""

pytest_plugins = (
    "stratatest.plugin.options",
    "stratatest.plugin.session",
    "stratatest.plugin.record",
    "stratatest.plugin.fixtures",
    "stratatest.plugin.gate",
    "stratatest.plugin.yaml_cases",
)
