"""The logging layer: stratatest's model of Fluent Bit's parsing, and Elasticsearch template/ILM checks.

There is no Fluent Bit binary here; see `stratatest.logs.fluentbit` for what the model covers and what it refuses.
"""

from stratatest.logs.fluentbit import (
    Config,
    Deployed,
    NotModelled,
    Parser,
    Pipeline,
    Record,
    Section,
    cri_lines,
    cri_timestamp,
    deployed_config,
)

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
