"""The risk report (DESIGN §10): data, charts, templates, the email and the file on disk.

``data.gather`` collects one country's period, ``build.build_report`` turns it into HTML, text
and PNG charts, ``message.compose_report`` makes the email and ``write.write_report`` the folder.
Only ``fragwatch report`` and the report job import this package (Jinja2 and matplotlib are
heavy), so ``fragwatch assess`` starts without them.
"""
