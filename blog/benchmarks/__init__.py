"""The parts of `manage.py bench` beyond pages: sending an issue and posting comments."""
