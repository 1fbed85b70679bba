"""The HTTP API (FastAPI): chat, search, conversations, documents, models, feedback, usage, audit
and health. Authentication and access control are enforced here and only here; the Streamlit UI
and batch tools are clients of this API.

    from assistant.api import create_app
    app = create_app(settings)
"""

from assistant.api.app import create_app

__all__ = ["create_app"]
