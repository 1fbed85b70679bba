"""The Streamlit web UI (Japanese): a client of the Yakuba HTTP API with no retrieval or prompt logic.

Run it with `yakuba ui` (or `streamlit run ui/app.py`); the API's base URL is the `ui_api_url` setting.
"""
