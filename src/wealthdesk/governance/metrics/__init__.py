"""The metric catalogue (指标体系): operating metrics defined once, computed and documented from one place."""

from wealthdesk.governance.metrics.catalogue import HIGH_VALUE_AUM, METRICS, METRICS_BY_NAME, Metric
from wealthdesk.governance.metrics.compute import MetricValue, compute_metrics, data_span
from wealthdesk.governance.metrics.render import format_value, render_metrics, render_metrics_markdown

__all__ = [
    "HIGH_VALUE_AUM",
    "METRICS",
    "METRICS_BY_NAME",
    "Metric",
    "MetricValue",
    "compute_metrics",
    "data_span",
    "format_value",
    "render_metrics",
    "render_metrics_markdown",
]
