"""P2 and P2c: plans through the harness vs plain `terraform plan` on the module as written.

The plan layer promises that many assertions cost one plan, and that a plan nobody reads costs no `show`.
Each harness sample uses a fresh Harness (nothing in memory, a new shared folder so no plan is reused), so
it pays init from the warm init cache and `plan`. P2 then makes fifty checks, which run `show -json` once;
its raw side is `plan -out` + `show -json`, the least a user needs to assert on planned values. P2c reads
nothing; its raw side is `plan` alone. The raw side plans in a plain copy of the module, initialised outside
the timing.
"""

from __future__ import annotations

from collections.abc import Callable

from common import (
    APPLY_VARS,
    MODULE,
    BenchError,
    Comparison,
    Timing,
    bench_root,
    interleave,
    moto,
    raw_copy,
    raw_env,
    raw_terraform,
    run_id,
    say,
    scratch_cache,
    shared_dir,
    timed,
)

from stratatest.terraform.harness import Harness
from stratatest.terraform.plan import Plan
from stratatest.toolchain import Toolchain

BUCKET = "bench-p2-bucket"
VARIABLES = {"bucket_name": BUCKET, "tags": {"owner": "platform"}, **APPLY_VARS}
SSE = "aws_s3_bucket_server_side_encryption_configuration.state"
LIFECYCLE = "aws_s3_bucket_lifecycle_configuration.state"
TABLE = "aws_dynamodb_table.lock[0]"
KEY = "aws_kms_key.state"
BUCKET_ADDR = "aws_s3_bucket.state"
PAB = "aws_s3_bucket_public_access_block.state"
PAB_FLAGS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
BUCKET_CHILDREN = (
    "aws_s3_bucket_ownership_controls.state",
    PAB,
    "aws_s3_bucket_versioning.state",
    SSE,
    "aws_s3_bucket_policy.state",
    LIFECYCLE,
)

Check = Callable[[Plan], bool]

#: Fifty checks of the kinds a plan test makes: counts, attribute values, unknowns, references, outputs.
CHECKS: tuple[tuple[str, Check], ...] = (
    # counts and actions
    ("ten managed resources", lambda p: len(p.managed) == 10),
    ("one of each type", lambda p: set(p.counts().values()) == {1}),
    ("one bucket", lambda p: p.one("aws_s3_bucket").address == BUCKET_ADDR),
    ("one kms key", lambda p: p.one("aws_kms_key").address == KEY),
    ("six bucket settings resources", lambda p: sum(t.startswith("aws_s3_bucket_") for t in p.counts()) == 6),
    ("every change is a create", lambda p: all(r.actions == ("create",) for r in p.managed)),
    ("nothing deleted", lambda p: not any(r.deletes for r in p.managed)),
    ("plan not empty", lambda p: not p.is_empty and len(p.changes) == 10),
    (
        "bucket policy document read at apply",
        lambda p: p["data.aws_iam_policy_document.bucket"].actions == ("read",),
    ),
    ("eight outputs", lambda p: len(p.outputs) == 8),
    # bucket
    ("bucket name", lambda p: p[BUCKET_ADDR]["bucket"] == BUCKET),
    ("force_destroy as given", lambda p: p[BUCKET_ADDR]["force_destroy"] is True),
    ("bucket Name tag", lambda p: p[BUCKET_ADDR]["tags"]["Name"] == BUCKET),
    ("bucket arn unknown until apply", lambda p: p[BUCKET_ADDR].is_unknown("arn")),
    (
        "acls disabled",
        lambda p: p["aws_s3_bucket_ownership_controls.state"]["rule"][0]["object_ownership"] == "BucketOwnerEnforced",
    ),
    *((f"public access block {flag}", lambda p, f=flag: p[PAB][f] is True) for flag in PAB_FLAGS),
    (
        "versioning on",
        lambda p: p["aws_s3_bucket_versioning.state"]["versioning_configuration"][0]["status"] == "Enabled",
    ),
    (
        "sse algorithm",
        lambda p: p[SSE]["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms",
    ),
    ("bucket key on", lambda p: p[SSE]["rule"][0]["bucket_key_enabled"] is True),
    ("lifecycle rule id", lambda p: p[LIFECYCLE]["rule"][0]["id"] == "expire-noncurrent-state-versions"),
    ("lifecycle rule enabled", lambda p: p[LIFECYCLE]["rule"][0]["status"] == "Enabled"),
    (
        "noncurrent versions expire",
        lambda p: p[LIFECYCLE]["rule"][0]["noncurrent_version_expiration"][0]["noncurrent_days"] == 90,
    ),
    (
        "multipart uploads aborted",
        lambda p: p[LIFECYCLE]["rule"][0]["abort_incomplete_multipart_upload"][0]["days_after_initiation"] == 7,
    ),
    # kms
    ("key rotates", lambda p: p[KEY]["enable_key_rotation"] is True),
    ("rotation period", lambda p: p[KEY]["rotation_period_in_days"] == 365),
    ("deletion window as given", lambda p: p[KEY]["deletion_window_in_days"] == 7),
    ("symmetric encrypt key", lambda p: p[KEY]["key_usage"] == "ENCRYPT_DECRYPT"),
    ("key description names bucket", lambda p: f"s3://{BUCKET}" in p[KEY]["description"]),
    ("key policy grants root", lambda p: ":root" in p[KEY]["policy"]),
    ("key arn unknown until apply", lambda p: p[KEY].is_unknown("arn")),
    ("alias name", lambda p: p["aws_kms_alias.state"]["name"] == f"alias/{BUCKET}-tfstate"),
    # lock table
    ("lock table name", lambda p: p[TABLE]["name"] == f"{BUCKET}-lock"),
    ("on-demand billing", lambda p: p[TABLE]["billing_mode"] == "PAY_PER_REQUEST"),
    ("hash key", lambda p: p[TABLE]["hash_key"] == "LockID"),
    ("hash key attribute", lambda p: p[TABLE]["attribute"] == [{"name": "LockID", "type": "S"}]),
    ("point-in-time recovery", lambda p: p[TABLE]["point_in_time_recovery"][0]["enabled"] is True),
    ("table encrypted", lambda p: p[TABLE]["server_side_encryption"][0]["enabled"] is True),
    ("deletion protection as given", lambda p: p[TABLE]["deletion_protection_enabled"] is False),
    # references: the wiring, provable before the ARNs exist
    (
        "sse uses the module key",
        lambda p: KEY in p.references(SSE, "rule.apply_server_side_encryption_by_default.kms_master_key_id"),
    ),
    ("table uses the module key", lambda p: KEY in p.references(TABLE, "server_side_encryption.kms_key_arn")),
    ("alias targets the module key", lambda p: KEY in p.references("aws_kms_alias.state", "target_key_id")),
    (
        "policy from the document",
        lambda p: "data.aws_iam_policy_document.bucket" in p.references("aws_s3_bucket_policy.state", "policy"),
    ),
    (
        "bucket settings all on the bucket",
        lambda p: all(BUCKET_ADDR in p.references(a, "bucket") for a in BUCKET_CHILDREN),
    ),
    # outputs and variables
    ("alias output known", lambda p: p.output("kms_alias_name") == f"alias/{BUCKET}-tfstate"),
    ("lock table output known", lambda p: p.output("lock_table_name") == f"{BUCKET}-lock"),
    ("key arn output unknown", lambda p: not p.outputs["kms_key_arn"].known),
    ("variables recorded", lambda p: p.variables["bucket_name"] == BUCKET),
)
assert len(CHECKS) == 50, len(CHECKS)


def assert_all(plan: Plan) -> None:
    failed = [name for name, check in CHECKS if not check(plan)]
    if failed:
        raise BenchError(f"P2 plan assertions failed: {failed}")


def run(chain: Toolchain, repeat: int) -> list[Comparison]:
    say("P2 plan: a fresh Harness's plan, read by 50 assertions or not read, vs plain `terraform plan` (+ show -json)")
    with bench_root("p2") as root, moto(root) as target, scratch_cache(root):
        env = raw_env(chain, target)
        # Untimed: fill the init cache (the plan layer's normal state) and initialise the raw copy.
        setup = Harness(chain, target, run_id("p2"), shared_dir(root, "setup"))
        setup.workspace(MODULE, VARIABLES).remove()
        setup.close()
        raw = raw_copy(root / "raw", VARIABLES)
        raw_terraform(chain, raw, env, "init", "-input=false", "-backend=false")

        def harness_side(index: int, *, read: bool) -> Timing:
            harness = Harness(chain, target, run_id("p2"), shared_dir(root, f"shared-{index}-{int(read)}"))

            def work() -> None:
                plan = harness.plan(MODULE, VARIABLES)
                if read:
                    assert_all(plan)

            try:
                timing = timed(work)
            finally:
                harness.close()
            if not read and "show" in timing.commands:
                raise BenchError("P2c: a plan nobody read ran `terraform show`")
            return timing

        def raw_plan(index: int, *, show: bool) -> Timing:
            def work() -> None:
                if show:
                    raw_terraform(chain, raw, env, "plan", "-input=false", "-no-color", "-out=raw.tfplan")
                    raw_terraform(chain, raw, env, "show", "-json", "raw.tfplan")
                else:
                    raw_terraform(chain, raw, env, "plan", "-input=false", "-no-color")

            try:
                return timed(work)
            finally:
                (raw / "raw.tfplan").unlink(missing_ok=True)

        samples = interleave(
            [
                ("harness, 50 assertions", lambda i: harness_side(i, read=True)),
                ("raw plan -out + show -json", lambda i: raw_plan(i, show=True)),
                ("harness, plan not read", lambda i: harness_side(i, read=False)),
                ("raw plan", lambda i: raw_plan(i, show=False)),
            ],
            repeat,
        )
    return [
        Comparison(
            "P2",
            "plan + 50 assertions via harness vs raw `plan -out` + `show -json`",
            samples["harness, 50 assertions"],
            samples["raw plan -out + show -json"],
            1.1,
        ),
        Comparison(
            "P2c",
            "plan nobody reads via harness vs raw `plan`",
            samples["harness, plan not read"],
            samples["raw plan"],
            1.2,
        ),
    ]
