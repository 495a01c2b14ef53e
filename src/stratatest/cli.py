"""`stratatest run | report | verify | doctor | inventory`: a thin layer that parses arguments and calls the library."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from stratatest.errors import StratatestError
from stratatest.layers import LAYERS
from stratatest.targets import TARGET_NAMES


def _find_tests(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "tests").is_dir() and (folder / "terraform").is_dir():
            return folder
    raise StratatestError(
        f"no project found at or above {start}", hint="run from the repository (it has tests/ and terraform/)"
    )


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    """Run the layers against the target; print the summary; write every report format under reports/, signed."""
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
        _write_reports(results, reports, args.key)
    return code


def _write_reports(results: Path, out_dir: Path, key: str | None) -> None:
    from stratatest.report.write import write_reports

    written, notes = write_reports(results, out_dir, Path(key) if key else None)
    for note in notes:
        print(f"note: history: {note}")
    print(f"reports ({len(written)} files, signed): {out_dir}")
    for path in written:
        print(f"  {path.name}")


def cmd_report(args: argparse.Namespace, extra: list[str]) -> int:
    """Write every report format from a results record (the canonical one), sign them, keep the run."""
    results = Path(args.results)
    out_dir = Path(args.out) if args.out else results.parent
    _write_reports(results, out_dir, args.key)
    return 0


def cmd_verify(args: argparse.Namespace, extra: list[str]) -> int:
    """Check the attestation's signature with a trusted public key, then every report file's digest."""
    from stratatest.report.attest import local_public_key, verify_reports

    out_dir = Path(args.reports)
    if args.key:  # a key the verifier trusts, never the copy beside the reports (whoever edits them can swap it)
        try:
            pem, key = Path(args.key).read_bytes(), args.key
        except OSError as err:
            raise StratatestError(f"--key {args.key}: {err.strerror or err}") from None
    else:  # the local signing key's public half: integrity on this machine since signing
        pem, key = local_public_key(), "the local signing key"
    result = verify_reports(out_dir, pem, key)
    for name in result.checked:
        print(f"ok       {name}")
    for problem in result.problems:
        print(f"PROBLEM  {problem}")
    predicate = result.statement.get("predicate", {})
    if result.ok:
        print(f"verified: {len(result.checked)} report files, signature by {key}, result {predicate.get('result')}")
        return 0
    print(f"NOT VERIFIED: {len(result.problems)} problem(s)")
    return 1


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
    run.add_argument("--reports", default="reports", help="folder for results.json and every report format")
    run.add_argument("--key", default=None, help="PEM private key to sign with (default: a local key in the cache)")
    run.set_defaults(func=cmd_run)
    rep = sub.add_parser("report", help="write every report format from a results record, and sign them")
    rep.add_argument("--results", default="reports/results.json", help="the canonical record (default: %(default)s)")
    rep.add_argument("--out", default=None, help="output folder (default: the record's folder)")
    rep.add_argument("--key", default=None, help="PEM private key to sign with (default: a local key in the cache)")
    rep.set_defaults(func=cmd_report)
    ver = sub.add_parser("verify", help="check the reports' signature and digests")
    ver.add_argument("reports", nargs="?", default="reports", help="reports folder (default: %(default)s)")
    ver.add_argument("--key", default=None, help="trusted PEM public key (default: the local signing key's)")
    ver.set_defaults(func=cmd_verify)
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
