"""Brigade Desk: the ledgers of a county transport enforcement brigade, kept offline."""

__version__ = "0.1.0"
APP_NAME = "BrigadeDesk"
APP_TITLE = "执法大队内勤台账"
