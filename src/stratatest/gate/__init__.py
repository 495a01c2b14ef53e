"""The pull-request gate: run only what a change touches, and reuse what has not changed since it passed.

- `inputs`: the repository files each test reads, found from its file (paths it names, module closures);
- `selection`: `--changed-since REF`: the tests whose inputs the diff touches, each with the reason;
- `cache`: results keyed by content (inputs, stratatest, tools, target): a test that passed on the same inputs
  is recorded *reused from run X*, never run again silently;
- `decisions`: what the gate decided, shared by pytest-xdist workers and read back by the results record.
"""
