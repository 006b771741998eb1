"""What-if scenarios: shocks, hypothetical evidence and model overrides, compared with the baseline.

Pure: no file is read here (``fragwatch.settings.scenarios`` reads and validates scenario files)
and nothing is written anywhere; a scenario run never opens the store.
"""
