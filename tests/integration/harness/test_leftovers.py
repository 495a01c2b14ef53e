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


def test_a_shared_target_is_checked_once_all_workers_are_done(project: pytest.Pytester, start_moto) -> None:
    """A target the workers share (attached moto here; LocalStack, an account): one worker finishing early must
    not report what another still holds, and a real leak is still found, once, by the controller."""
    moto = start_moto()
    project.makepyfile(
        test_shared="""
        import time

        def _tagged_bucket(target, name, run_id):
            s3 = target.client("s3")
            s3.create_bucket(Bucket=name)
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "stratatest:run-id", "Value": run_id}]})

        def test_quick_leak(target, run_id):
            _tagged_bucket(target, f"leak-{run_id}", run_id)

        def test_slow_but_clean(target, run_id):
            _tagged_bucket(target, f"held-{run_id}", run_id)
            time.sleep(8)  # the other worker is done long before this one lets go
            target.client("s3").delete_bucket(Bucket=f"held-{run_id}")
        """
    )
    spec = f"--target=moto:endpoint={moto.endpoint_url},ca_bundle={moto.ca_bundle}"
    result = project.runpytest_subprocess("--run-id=shared1", "-n", "2", "--dist=load", spec)
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    assert output.count("run shared1 left 1 resource(s) in moto: arn:aws:s3:::leak-shared1") == 2, output  # + notices
    assert "held-shared1" not in output
    assert "--run shared1 --yes" in output  # the command that removes the leak
    assert "Traceback" not in output and "INTERNALERROR" not in output
