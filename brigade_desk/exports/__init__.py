"""Spreadsheets and PDFs handed upward. Shared layout lives in ``xlsxform`` and ``brigade_desk.pdf``."""
