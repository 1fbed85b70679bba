"""Fake model servers that speak the real wire protocols on 127.0.0.1 (Bedrock Runtime, OpenAI).

`bedrock_server.FakeBedrock` and `openai_server.FakeOpenAI` are used through the pytest fixtures
in `fixtures.py` or run in the foreground with `python -m tests.fakes.<module> --port PORT`.
"""
