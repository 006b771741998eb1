"""Delivery: the outbox, email composition and the notifiers (SMTP, .eml files, stdout).

Alert conditions live in ``fragwatch.alerts``; this package only turns decided notifications
into messages and gets them to people, at least once and never lost (DESIGN §8).
"""
