"""Browser tests: the phone app in headless Chromium against a real server on its own demo database.

The fixtures are in `conftest.py`; `test_smoke.py` shows each of them in use.
"""
