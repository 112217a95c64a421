"""The ``deeplocalize`` sub-commands, one module per group (wiring: they may import anything).

Each module has ``add_parsers(cmd)``, which adds its sub-commands through ``cmd(name, help,
*examples)`` (see :func:`harness.cli._parser`), and ``HANDLERS``: command name -> ``handler(args,
root) -> exit code``.
"""
