"""The completeness validator: dossiers per case, rules at the checkpoint, findings and the report."""
