"""pytest plugin (pytest11 entry point).

Installing the kit must never change another repository's test run: this module only
declares options and markers; everything it does is opt-in.
"""
