"""Logging set up once per process: Lambda collects stdout into CloudWatch."""

from __future__ import annotations

import logging
import os


def configure_logging() -> None:
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    root.setLevel(level)
    # pynamodb and botocore log every call at INFO/DEBUG.
    for noisy in ("botocore", "pynamodb", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def emit_metrics(namespace: str, dimensions: dict[str, str], values: dict[str, float]) -> str:
    """Print one CloudWatch embedded-metric-format line; return it.

    Lambda ships stdout to CloudWatch Logs, which turns this line into metrics:
    no PutMetricData call, no extra permission, no extra latency.
    """
    import json
    import time

    line = json.dumps(
        {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": namespace,
                        "Dimensions": [sorted(dimensions)],
                        "Metrics": [{"Name": name} for name in values],
                    }
                ],
            },
            **dimensions,
            **values,
        }
    )
    print(line, flush=True)
    return line
