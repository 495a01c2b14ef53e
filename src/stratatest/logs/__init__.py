"""The logging layer: stratatest's model of Fluent Bit's parsing, and Elasticsearch template/ILM checks.

No Fluent Bit binary can run where this suite runs (no distribution package, no PyPI/npm build, no image pulls), so
this package is stratatest's reading of Fluent Bit's documented semantics, checked against Fluent Bit's own source
(`flb_cf_fluentbit.c`, `flb_parser*.c`, `flb_regex.c`, `filter_parser.c`, `in_tail`, `flb_ml_parser_*`).
It is NOT Fluent Bit: regexes run on the PyPI `regex` module (Onigmo's Ruby syntax where the two agree, refused
where they differ), and only the plugins `pipeline` lists are modelled. Everything else raises `NotModelled`, so a
config the model does not understand fails a test instead of passing records through unexamined.

- `config`: the classic configuration format, and `deployed_config` (what a rendered workload loads);
- `parsers` (with `strptime`): `[PARSER]` regex and json, and their time handling;
- `pipeline`: tail INPUT, FILTERs and OUTPUT routing, producing `Record`s;
- `cri`: the lines containerd writes, which the tail INPUT reads;
- `elasticsearch`: what Elasticsearch does with the records (index templates, mappings, ILM).
"""

from stratatest.logs.config import Config, Deployed, Section, deployed_config
from stratatest.logs.cri import cri_lines, cri_timestamp
from stratatest.logs.parsers import Parser
from stratatest.logs.pipeline import Pipeline, Record
from stratatest.logs.strptime import NotModelled

__all__ = [
    "Config",
    "Deployed",
    "NotModelled",
    "Parser",
    "Pipeline",
    "Record",
    "Section",
    "cri_lines",
    "cri_timestamp",
    "deployed_config",
]
