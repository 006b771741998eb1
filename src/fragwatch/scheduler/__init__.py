"""The service loop: which periods are due, the jobs (plain functions of ``now``), APScheduler.

Jobs take ``now`` and their dependencies as arguments, so tests call them with a fixed clock;
``service`` only wires them to APScheduler triggers.
"""
