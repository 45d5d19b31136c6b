"""Importers of the clerk's existing spreadsheets. Shared reading rules live in ``tabular``."""
