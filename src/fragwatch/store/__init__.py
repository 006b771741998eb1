"""The service's memory: assessment history, alert state, silences and the delivery outbox.

SQLAlchemy Core over SQLite (the default) or PostgreSQL (psycopg 3); the tests run on both. Only
commands that keep history import this package, so `fragwatch assess` and friends never load
SQLAlchemy. Import the pieces from their modules: ``store.engine.open_store``,
``store.assessments.save_assessment``, ...
"""
