"""Govern the data (治数): quality rules with a report, and the metric catalogue (指标体系).

Both read only the canonical tables and the schema that describes them, so a
table added to the schema gets its quality rules, and its documentation,
without code here changing.
"""
