"""Shared pytest set-up: fixture plugins for every test module."""

pytest_plugins = ["fixtures_openai"]
