"""A run that leaves a resource tagged with its run id fails, and names the resource."""

from __future__ import annotations

import pytest


def test_leaked_resource_fails_the_run(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_leak="""
        def test_leak(target, run_id):
            s3 = target.client("s3")
            s3.create_bucket(Bucket=f"leak-{run_id}")
            s3.put_bucket_tagging(
                Bucket=f"leak-{run_id}", Tagging={"TagSet": [{"Key": "stratatest:run-id", "Value": run_id}]}
            )

        def test_clean(target, run_id):
            target.client("s3").create_bucket(Bucket=f"untagged-{run_id}")
        """
    )
    result = project.runpytest_subprocess("--run-id=leaky1")
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    assert "left resources behind in moto: arn:aws:s3:::leak-leaky1" in output
    assert "untagged-leaky1" not in output
    assert "Traceback" not in output
