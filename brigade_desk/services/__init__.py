"""Domain services: plain functions over a session factory, handing plain dataclasses to the UI."""
