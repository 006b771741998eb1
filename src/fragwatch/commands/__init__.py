"""CLI commands for the service and the watch officer, registered on ``fragwatch.cli.cli``."""
