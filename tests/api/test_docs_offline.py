"""The API reference (/docs, /redoc) works on a closed network: its scripts and styles come from this server."""

from __future__ import annotations

import re


def test_docs_and_redoc_load_their_assets_from_this_server(api):
    for page in ("/docs", "/redoc"):
        html = api.client.get(page).text
        assets = re.findall(r'(?:src|href)=["\']([^"\']+\.(?:js|css))["\']', html) + re.findall(
            r"url: ?['\"]([^'\"]+\.(?:js|css))['\"]", html
        )
        assert assets, page
        for asset in assets:
            assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
            response = api.client.get(asset)
            assert response.status_code == 200 and len(response.content) > 10_000, asset
        assert "cdn." not in html and "//fonts.googleapis" not in html, page


def test_every_schema_reference_points_to_a_component(api):
    """ReDoc refuses the whole page on one dangling `$ref` (it did, for the minutes request body)."""
    import json

    spec = api.client.get("/openapi.json").json()
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert refs and refs <= set(spec["components"]["schemas"])
    assert '"$ref": "#/$defs/' not in json.dumps(spec)
