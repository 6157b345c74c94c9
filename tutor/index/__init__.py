"""The curriculum index: embeddings, the Chroma adapter, the SQLite registry, ingest and retrieval."""
