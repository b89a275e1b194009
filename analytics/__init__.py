"""Pure Python analytics of the monitor: no streamlit, and SQL only in ``analytics.store`` (DESIGN.md section 2)."""
