"""Readers of other platforms' exports: each module turns one format into `moving.records`."""


class ImportRefused(Exception):
    """The file cannot be imported: the message says why, in the reader's language."""
