"""`--target moto:port=N` on the command line: a bad value, a taken port, and a fixed port several xdist workers
would each start a server on are each one line before any worker or server starts, never a traceback."""

from __future__ import annotations

import socket

import pytest

TESTS = """
def test_uses_the_target(target):
    assert target.client("sts").get_caller_identity()["Account"]
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(project: pytest.Pytester, *args: str) -> tuple[int, list[str]]:
    project.makepyfile(test_port=TESTS)
    result = project.runpytest_subprocess("-q", *args)  # no session header: the output is the error alone
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output and "INTERNALERROR" not in output, output
    assert "test_uses_the_target" not in output, output  # nothing ran
    return int(result.ret), [line for line in output.splitlines() if line.strip()]


@pytest.mark.parametrize("port", ["abc", "0", "-1", "70000", "", "\u00b2", "\uff18\uff10"])
def test_an_invalid_port_is_a_usage_error(project: pytest.Pytester, port: str) -> None:
    code, lines = _run(project, "-n", "0", f"--target=moto:port={port}")
    assert code == pytest.ExitCode.USAGE_ERROR
    assert lines == [f"ERROR: --target: moto: port={port!r} is not a TCP port — give a number from 1 to 65535"]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_busy_port_is_one_line_from_the_preflight(project: pytest.Pytester, workers: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, lines = _run(project, "-n", workers, f"--target=moto:port={port}")
    assert code == 3
    assert lines == [
        f"Exit: stratatest: moto: port 127.0.0.1:{port} is already in use — choose another with --target "
        "moto:port=N, or omit port to pick a free one"
    ]


def test_a_fixed_port_with_several_workers_is_refused_before_they_start(project: pytest.Pytester) -> None:
    port = _free_port()
    code, lines = _run(project, "-n", "2", f"--target=moto:port={port}")
    assert code == pytest.ExitCode.USAGE_ERROR
    assert lines == [
        f"ERROR: --target: moto: port={port} is fixed, but 2 worker processes would each start a server on it — "
        "run one worker (pytest -n 0, stratatest run --workers 1), or start one server and attach every worker "
        "to it (moto:endpoint=https://127.0.0.1:N,ca_bundle=FILE)"
    ]


def test_a_fixed_port_with_one_worker_serves_on_it(project: pytest.Pytester) -> None:
    port = _free_port()
    project.makepyfile(
        test_port=f"""
        def test_uses_the_target(target):
            assert target.endpoint_url == "https://127.0.0.1:{port}"
        """
    )
    result = project.runpytest_subprocess("-n", "1", f"--target=moto:port={port}")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str() + result.stderr.str()
