"""`stratatest run | report | verify | doctor | inventory | cleanup | sweep | branches-in-sync`: parses arguments,
calls the library."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from stratatest import settings
from stratatest.errors import EXIT_ERROR, EXIT_REFUSED, SandboxRefused, StratatestError
from stratatest.layers import LAYERS
from stratatest.paths import write_atomic
from stratatest.targets import REGISTRY
from stratatest.targets.spec import default_spec

#: pytest's exit code for a usage error (pytest.ExitCode.USAGE_ERROR; pytest is not imported by the CLI itself).
PYTEST_USAGE_ERROR = 4
TARGET_HELP = f"where to apply: NAME[:key=value,...], NAME one of {', '.join(REGISTRY)} (`stratatest targets`)"


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    """Run the layers against the target; print the summary; write every report format under reports/, signed.

    The reports are replaced only by a run that ran: the record goes to a temporary file first, and a run that
    stopped before its first test (a usage error, a target that would not start) leaves reports/ as it was.
    What cannot work (an unwritable reports folder, a signing key that is not one) is found before the run.
    """
    from stratatest.compliance.results import RunRecord
    from stratatest.report.summary import format_summary
    from stratatest.report.write import check_out_dir
    from stratatest.toolchain import toolchain

    found = settings.find(Path.cwd())  # any repository: the tests and roots its settings name
    toolchain()  # fail here, in one line, rather than once per test
    reports = Path(args.reports).resolve()
    check_out_dir(reports)
    if args.key:
        from stratatest.report.attest import load_private_key

        load_private_key(Path(args.key))
    holding = Path(tempfile.mkdtemp(prefix="stratatest-record-"))
    results = holding / "results.json"
    # The settings' tests, or none: pytest's own testpaths (here tests/, and the case files under terraform/).
    argv = [
        *(str(path) for path in found.tests),
        f"--rootdir={found.root}",
        f"--target={args.target}",
        f"--results={results}",
    ]
    if args.region:
        argv.append(f"--region={args.region}")
    # The main job assesses the platform: tests at a layer (a marker, or a stratatest fixture), not the suite's own.
    argv += [f"--layer={layer}" for layer in args.layer or LAYERS]
    if args.workers != 1:
        argv += ["-n", str(args.workers)]
    if args.changed_since:
        argv.append(f"--changed-since={args.changed_since}")
    if args.no_reuse:
        argv.append("--no-reuse")
    code, signum = _run_pytest(argv + extra, cwd=found.root)
    if results.exists():
        print()
        print(format_summary(RunRecord.read(results)))
        try:
            _write_reports(results, reports, args.key)
        except (StratatestError, OSError) as err:  # the record is the run's evidence: keep it for a later report
            said = str(err) if isinstance(err, StratatestError) else _os_error(err)
            raise StratatestError(
                f"{said}; the run's record is kept in {results}", hint="stratatest report --results"
            ) from None
    elif code == 0 and args.changed_since:  # the gate selected nothing: a pass, with nothing to report
        print(f"stratatest: the change since {args.changed_since} reaches no test: nothing to run")
    elif code not in (EXIT_ERROR, PYTEST_USAGE_ERROR):  # those said why in their own line
        print(f"stratatest: no test ran; the reports in {reports} are left as they were", file=sys.stderr)
    shutil.rmtree(holding, ignore_errors=True)
    return 128 + signum if signum else code


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
    """Check the attestation's signature with a trusted public key, then every report's and kept run's digest."""
    from stratatest.report.attest import local_public_key, verify_reports
    from stratatest.report.history import HISTORY_DIR

    out_dir = Path(args.reports)
    if args.key:  # a key the verifier trusts, never the copy beside the reports (whoever edits them can swap it)
        try:
            pem, key = Path(args.key).read_bytes(), args.key
        except OSError as err:
            raise StratatestError(f"--key {args.key}: {err.strerror or err}") from None
    else:  # the local signing key's public half: integrity on this machine since signing
        pem, key = local_public_key(), "the local signing key"
    result = verify_reports(out_dir, pem, key)
    kept = [name for name in result.checked if name.startswith(f"{HISTORY_DIR}/")]
    for name in result.checked:
        if name not in kept:
            print(f"ok       {name}")
    runs = f"{len(kept)} kept run{'' if len(kept) == 1 else 's'}"
    if kept:
        print(f"ok       {HISTORY_DIR}/ ({runs})")
    for problem in result.problems:
        print(f"PROBLEM  {problem}")
    predicate = result.statement.get("predicate", {})
    if result.ok:
        reports = len(result.checked) - len(kept)
        print(f"verified: {reports} report files and {runs}, signature by {key}, result {predicate.get('result')}")
        return 0
    print(f"NOT VERIFIED: {len(result.problems)} problem(s)")
    return 1


def _run_pytest(argv: list[str], cwd: Path) -> tuple[int, int | None]:
    """pytest in a child process (its own interpreter, so the plugin is loaded fresh and assertion-rewritten);
    returns its exit code and the first signal that interrupted the run (None if none did).

    Ctrl-C at a terminal reaches the child too. SIGTERM reaches only this process (a CI job cancelled, `kill`), so
    it is passed on. Either way we keep waiting while the run destroys what it applied and writes its record.
    """
    child = subprocess.Popen([sys.executable, "-m", "pytest", *argv], cwd=cwd)
    received: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        received.append(signum)
        if signum == signal.SIGTERM:
            child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code, received[0] if received else None


def cmd_init(args: argparse.Namespace, extra: list[str]) -> int:
    from stratatest.scaffold import init

    for line in init(Path(args.path), catalogue=args.catalogue):
        print(line)
    return 0


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
    _check_inventory_paths(module, inv_path)
    variables = inventory.load(inv_path).get("variables", {}) if inv_path.exists() else {}
    with tempfile.TemporaryDirectory(prefix="stratatest-inventory-") as tmp:
        target = make_target(args.target, workdir=Path(tmp), region=args.region or "us-east-1", run_id="inventory")
        target.preflight()
        with target:
            harness = Harness(toolchain(), target, "inventory", Path(tmp))
            plan = harness.plan(module, variables)
            text = inventory.render(plan, variables)  # read now: `show` runs in the planned copy, under tmp
            harness.close()
    inv_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(inv_path, text)
    print(f"wrote {inv_path}: {len(plan.managed)} resources, {len(plan.outputs)} outputs")
    return 0


def _check_inventory_paths(module: Path, inv_path: Path) -> None:
    """Refuse, before a target starts, a module that is not a Terraform folder or an inventory path that is not
    a file (or one to be)."""
    from stratatest.terraform.workdir import configuration_files

    configuration_files(module)  # the one check (and wording) the harness applies to every module path
    if inv_path.is_dir():
        raise StratatestError(
            f"{inv_path}: is a folder",
            hint="give the inventory file, e.g. terraform/modules/rds/inventory/default.yaml",
        )
    blocker = next((p for p in inv_path.parents if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise StratatestError(f"{inv_path}: {blocker} is a file, not a folder")


def cmd_targets(args: argparse.Namespace, extra: list[str]) -> int:
    """Each target, the layer its apply tests are recorded at, and the options its spec takes."""
    from stratatest.targets import target_class

    for name in REGISTRY:
        cls = target_class(name)
        print(f"{name}  (layer: {cls.layer})  {(cls.__doc__ or '').strip().splitlines()[0]}")
        for option, text in cls.OPTIONS.items():
            print(f"    {option:<12} {text}")
    return 0


def cmd_cleanup(args: argparse.Namespace, extra: list[str]) -> int:
    """Finish a run that did not: destroy every stack whose state the run kept, then forget the run."""
    from stratatest import runs
    from stratatest.terraform.cleanup import finish_run

    if args.list or not args.run_id:
        kept = runs.kept_runs()
        for run_id in kept:
            manifest = runs.read_manifest(run_id)
            stacks = runs.kept_stacks(run_id)
            print(f"{run_id}  {manifest.get('started', '?')}  {manifest.get('target', '?')}  {len(stacks)} stack(s)")
        if not kept:
            print(f"no kept runs in {runs.runs_root()}")
        return 0
    lines, ok = finish_run(args.run_id)
    print("\n".join(lines))
    return 0 if ok else 1


def cmd_sweep(args: argparse.Namespace, extra: list[str]) -> int:
    """Find what stratatest tagged (a run's, or past its expiry) and, with --yes only, delete it."""
    from stratatest.targets import make_target
    from stratatest.targets.sweep import delete, render_table, sweep

    with tempfile.TemporaryDirectory(prefix="stratatest-sweep-") as tmp:
        target = make_target(args.target, workdir=Path(tmp), region=args.region or "us-east-1", run_id="sweep")
        with target:  # sweep() and delete() run the target's preflight (the sandbox guard) before any call
            found = sweep(target, run_id=args.run, expired=args.expired or not args.run)
            print(render_table(found))
            if not found:
                return 0
            if not args.yes:
                print(f"dry run: nothing deleted; {len(found)} resource(s) would be. Add --yes to delete them.")
                return 0
            failures = delete(target, found)
    for candidate, reason in failures:
        print(f"NOT DELETED  {candidate.arn}: {reason}")
    print(f"deleted {len(found) - len(failures)} of {len(found)} resource(s)")
    return 1 if failures else 0


def cmd_branches_in_sync(args: argparse.Namespace, extra: list[str]) -> int:
    """Every commit of --from is in --into (merged or cherry-picked): after a hotfix reaches main, develop has it."""
    from stratatest.git import missing_commits, toplevel

    missing = missing_commits(toplevel(Path.cwd()), args.source, args.dest)
    if not missing:
        print(f"in sync: {args.dest} has every commit of {args.source} (merged or cherry-picked)")
        return 0
    print(f"{args.dest} lacks {len(missing)} commit(s) of {args.source}:")
    for commit in missing:
        print(f"  {commit}")
    print(f"merge {args.source} into {args.dest} (or cherry-pick each commit above), then push {args.dest}")
    return 1


def _positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (argparse turns the error into one usage line, exit 2)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stratatest", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the layers against a target (extra args go to pytest)")
    run.add_argument("--target", default=default_spec(), help=TARGET_HELP)
    run.add_argument("--region", default=None, help="AWS region (default: $STRATATEST_REGION or us-east-1)")
    run.add_argument("--layer", action="append", default=[], choices=LAYERS, help="only this layer (repeatable)")
    run.add_argument("--workers", "-n", type=_positive_int, default=2, help="parallel pytest-xdist workers (default 2)")
    run.add_argument("--reports", default="reports", help="folder for results.json and every report format")
    run.add_argument("--key", default=None, help="PEM private key to sign with (default: a local key in the cache)")
    run.add_argument(
        "--changed-since",
        default=None,
        metavar="REF",
        help="the pull-request gate: only the tests whose inputs changed since the merge base of REF and HEAD",
    )
    run.add_argument(
        "--no-reuse", action="store_true", help="run tests that passed on the same inputs before (default: reuse them)"
    )
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
    ini = sub.add_parser("init", help="set a repository up: settings, example tests per module and chart")
    ini.add_argument("path", nargs="?", default=".", help="the repository's root (default: the current folder)")
    ini.add_argument("--catalogue", action="store_true", help="also write a controls catalogue stub to fill in")
    ini.set_defaults(func=cmd_init)
    doc = sub.add_parser("doctor", help="report the tools found and where")
    doc.set_defaults(func=cmd_doctor)
    inv = sub.add_parser("inventory", help="regenerate a module's plan inventory")
    inv.add_argument("module")
    inv.add_argument("inventory")
    inv.add_argument("--target", default=default_spec(), help=TARGET_HELP)
    inv.add_argument("--region", default=None)
    inv.set_defaults(func=cmd_inventory)
    tgts = sub.add_parser("targets", help="list the targets and the options of each")
    tgts.set_defaults(func=cmd_targets)
    clean = sub.add_parser("cleanup", help="destroy what a killed or failed run left, from the state it kept")
    clean.add_argument("run_id", nargs="?", help="the run to finish (omit, or --list, to list kept runs)")
    clean.add_argument("--list", action="store_true", help="list the runs whose state is kept")
    clean.set_defaults(func=cmd_cleanup)
    swp = sub.add_parser("sweep", help="find resources stratatest tagged (a run's, or expired); --yes deletes")
    swp.add_argument("--target", default=default_spec(), help=TARGET_HELP)
    swp.add_argument("--region", default=None)
    swp.add_argument("--run", default=None, help="only this run's resources")
    swp.add_argument("--expired", action="store_true", help="resources past their expiry (default without --run)")
    swp.add_argument("--yes", action="store_true", help="delete them (default: a dry run that lists them)")
    swp.set_defaults(func=cmd_sweep)
    sync = sub.add_parser("branches-in-sync", help="check that one branch has every commit of another (hotfixes)")
    sync.add_argument("--from", dest="source", default="main", help="the branch hotfixes land on (default: main)")
    sync.add_argument(
        "--into", dest="dest", default="develop", help="the branch that must have them (default: develop)"
    )
    sync.set_defaults(func=cmd_branches_in_sync)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.func(args, extra)
    except SandboxRefused as err:
        print(f"stratatest: refused: {err}", file=sys.stderr)
        return EXIT_REFUSED
    except StratatestError as err:
        print(f"stratatest: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("stratatest: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `stratatest targets | head`: the reader has gone, which is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # permission denied, not a folder, disk full: the file and the system's words
        print(f"stratatest: {_os_error(err)}", file=sys.stderr)
        return EXIT_ERROR


def _os_error(err: OSError) -> str:
    """`<path>: <strerror>` (both paths for a rename), or the error itself when it names no file."""
    paths = [str(p) for p in (err.filename, err.filename2) if p is not None]
    reason = err.strerror or str(err)
    return f"{' -> '.join(paths)}: {reason}" if paths else reason


if __name__ == "__main__":
    sys.exit(main())
