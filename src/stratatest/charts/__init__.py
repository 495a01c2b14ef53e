"""The chart layer: Helm charts rendered by real helm, read as typed manifests, checked without a cluster."""

from stratatest.charts.helm import Chart, LintResult
from stratatest.charts.manifests import Container, Manifest, Manifests

__all__ = ["Chart", "Container", "LintResult", "Manifest", "Manifests"]
