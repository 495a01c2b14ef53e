"""`stratatest run | doctor | inventory`: a thin layer that parses arguments and calls the library."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from stratatest.errors import StratatestError
from stratatest.plugin import LAYERS
from stratatest.targets import TARGET_NAMES


def _find_tests(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "tests").is_dir() and (folder / "terraform").is_dir():
            return folder
    raise StratatestError(
        f"no project found at or above {start}", hint="run from the repository (it has tests/ and terraform/)"
    )


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    """Run the layers against the target; write results JSON + JUnit under reports/; print the summary."""
    from stratatest.compliance.results import RunRecord
    from stratatest.report.summary import format_summary
    from stratatest.toolchain import toolchain

    root = _find_tests(Path.cwd())
    toolchain()  # fail here, in one line, rather than once per test
    reports = Path(args.reports).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    results = reports / "results.json"
    results.unlink(missing_ok=True)
    argv = [
        str(root / "tests"),
        f"--rootdir={root}",
        f"--target={args.target}",
        f"--results={results}",
        f"--junitxml={reports / 'junit.xml'}",
        "-o",
        "junit_family=xunit2",
    ]
    # The main job assesses the platform: tests with a layer marker (the suite's own tests have none).
    argv += [f"--layer={layer}" for layer in args.layer or LAYERS]
    if args.moto_port:
        argv.append(f"--moto-port={args.moto_port}")
    if args.workers != 1:
        argv += ["-n", str(args.workers)]
    code = _run_pytest(argv + extra)
    if results.exists():
        print()
        print(format_summary(RunRecord.read(results)))
        print(f"results: {results}\njunit:   {reports / 'junit.xml'}")
    return code


def _run_pytest(argv: list[str]) -> int:
    """pytest in a child process (its own interpreter, so the plugin is loaded fresh and assertion-rewritten).

    Ctrl-C reaches the child too; we keep waiting while it stops terraform and destroys what it applied.
    """
    child = subprocess.Popen([sys.executable, "-m", "pytest", *argv])
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            print("stratatest: interrupted — waiting for the run to destroy what it created", file=sys.stderr)


def cmd_doctor(args: argparse.Namespace, extra: list[str]) -> int:
    from stratatest.toolchain import doctor

    lines, ok = doctor()
    print("\n".join(lines))
    return 0 if ok else 3


def cmd_inventory(args: argparse.Namespace, extra: list[str]) -> int:
    """Regenerate an inventory from the module's current plan, keeping its variables."""
    from stratatest.targets import make_target
    from stratatest.terraform import inventory
    from stratatest.terraform.harness import Harness
    from stratatest.toolchain import toolchain

    module, inv_path = Path(args.module), Path(args.inventory)
    variables = inventory.load(inv_path).get("variables", {}) if inv_path.exists() else {}
    with tempfile.TemporaryDirectory(prefix="stratatest-inventory-") as tmp:
        target = make_target(args.target, workdir=Path(tmp))
        with target:
            harness = Harness(toolchain(), target, "inventory", Path(tmp))
            plan = harness.plan(module, variables)
            harness.close()
    inv_path.parent.mkdir(parents=True, exist_ok=True)
    inv_path.write_text(inventory.render(plan, variables))
    print(f"wrote {inv_path}: {len(plan.managed)} resources, {len(plan.outputs)} outputs")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stratatest", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the layers against a target (extra args go to pytest)")
    run.add_argument("--target", default="moto", choices=TARGET_NAMES)
    run.add_argument("--layer", action="append", default=[], choices=LAYERS, help="only this layer (repeatable)")
    run.add_argument("--workers", "-n", type=int, default=2, help="parallel pytest-xdist workers (default 2)")
    run.add_argument("--moto-port", type=int, default=None)
    run.add_argument("--reports", default="reports", help="folder for results.json and junit.xml")
    run.set_defaults(func=cmd_run)
    doc = sub.add_parser("doctor", help="report the tools found and where")
    doc.set_defaults(func=cmd_doctor)
    inv = sub.add_parser("inventory", help="regenerate a module's plan inventory")
    inv.add_argument("module")
    inv.add_argument("inventory")
    inv.add_argument("--target", default="moto", choices=TARGET_NAMES)
    inv.set_defaults(func=cmd_inventory)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.func(args, extra)
    except StratatestError as err:
        print(f"stratatest: {err}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("stratatest: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
