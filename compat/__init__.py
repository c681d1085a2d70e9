"""Schema compatibility without a registry: Avro resolution rules, JSON Schema rules with verified
counter-examples, the catalogue check against a git ref, baselines and CI output formats."""
