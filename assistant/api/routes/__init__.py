"""One router per resource; `app.py` mounts them all."""
