"""Semantic search over notes and interactions ("who mentioned a wedding?").

Owns the stored text embeddings (``text_embeddings``): one vector per note and per
interaction, computed by a job (``index.refresh_embeddings``) with a small static embedding
model that ships inside the ``wordllama`` package (the ``semantic`` extra: its wheel carries
the weights and the tokenizer, nothing is downloaded). A question is embedded in the request
(a few microseconds: a table look-up and a mean) and ranked with numpy against a bounded
candidate set of the vectors the reader may see. Without the package, or before the job has
run, the same call falls back to a keyword search (``search.semantic_search`` says which mode
answered).
"""

from amity.semantic.encoder import MODEL_NAME, available
from amity.semantic.search import SemanticHit, SemanticResults, semantic_search

__all__ = ["MODEL_NAME", "SemanticHit", "SemanticResults", "available", "semantic_search"]
