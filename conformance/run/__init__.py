"""The run layer: configuration, target profile, the HTTP client to a target, preparing a session.

``session.prepare_run`` is the one way a run starts (CLI and plugin alike); ``runner.run`` is
``supersim-conformance run``: one pytest session over the shipped suite, then the reports.
"""
