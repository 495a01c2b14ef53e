"""A deliberately small HTTP service the platform's charts, monitoring and log pipeline are tested against.

Standard library plus `prometheus_client` only, so the container image stays tiny and the behaviour that the
chart, alert and log-shipper tests depend on (routes, metric names and labels, the JSON log shape) is all here.
"""

__version__ = "0.1.0"
