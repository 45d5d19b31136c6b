"""The Qt face of Brigade Desk. Only this package imports PySide6."""
