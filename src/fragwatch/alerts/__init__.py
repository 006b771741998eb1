"""Alerts: rule conditions, the per-rule-and-subject lifecycle, silences and inhibition.

Pure: rules are evaluated on assessments and states passed in; nothing here reads the store or
sends mail. Conditions are separate from notification channels (the outbox delivers).
"""
