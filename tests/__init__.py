"""The test suite: unit, data, app (AppTest) and browser (Playwright + Chromium) tiers; see conftest.py."""
