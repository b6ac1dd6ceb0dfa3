"""The supervisor's rule files (``skills/*.yaml``): one loader, one schema per file, one
catalogue, one reload path. Entry points:

- ``loader``: YAML -> ``Doc`` with positions; syntax errors, duplicate keys (both lines)
  and JSON Schema errors as ``file:line:column: reason`` (``SkillFileError``); the
  schemas in ``schemas/``. The only module domain builders import.
- ``catalogue``: file name -> schema -> domain builder (``UNITS``); ``read_all`` at
  start-up, ``check_files`` for ``skills check``.
- ``live.LiveSkills.reload``: the one reload path (file watcher, SIGHUP,
  ``POST /routing/reload``); a broken edit keeps the last good value.
- ``cli``: ``python -m engine skills check [PATH...]``.
"""
