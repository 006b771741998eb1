"""Built-in indicators, one module each."""
