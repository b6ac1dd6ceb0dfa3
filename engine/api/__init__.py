"""The HTTP edge: one aiohttp app for every domain's routes.

Entry points: ``http.build_app`` (bearer-token auth, errors rendered as JSON once),
``http.json_response`` and ``http.read_json`` for handlers.
"""
