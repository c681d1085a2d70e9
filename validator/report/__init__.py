"""The completeness report: one data structure, rendered as JSON, a terminal table and HTML."""
