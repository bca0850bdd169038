"""Authoring: starting a problem file, the JSON Schemas editors read, watching and previewing a build."""
