"""The web desk (``fragwatch web``): server-rendered pages and a JSON API over the same store,
evidence and config as the command line. Imported only by the ``web`` and ``users`` commands."""
