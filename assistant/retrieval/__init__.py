"""Retrieval: embedders, the index store, hybrid ranking, access filters, the LangChain face."""
