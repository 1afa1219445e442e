"""The embedding model: WordLlama's 256-dimension ``l2_supercat`` embeddings, loaded from the
files inside the installed ``wordllama`` package.

``WordLlama.load()`` looks for the tokenizer under a folder name the wheel does not use and
then tries the network, so the packaged weights and tokenizer are opened directly here: no
request ever leaves the machine. The model is loaded once per process (about 0.3 s, 33 MB).
"""

from __future__ import annotations

import importlib.util
import threading
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

MODEL_NAME = "wordllama-l2_supercat-256"
DIMENSIONS = 256
WEIGHTS = "l2_supercat_256.safetensors"
TOKENIZER = "l2_supercat_tokenizer_config.json"

_lock = threading.Lock()
_model: Any = None


def available() -> bool:
    """True when the ``wordllama`` package (the ``semantic`` extra) is installed."""
    return importlib.util.find_spec("wordllama") is not None


def _load() -> Any:
    global _model
    with _lock:
        if _model is None:
            from safetensors import safe_open
            from wordllama.inference import WordLlamaInference
            from wordllama.tokenizers import tokenizer_from_file

            weights = resources.files("wordllama") / "weights" / WEIGHTS
            with safe_open(str(weights), framework="np", device="cpu") as f:
                table = f.get_tensor("embedding.weight")
            _model = WordLlamaInference(table, tokenizer_from_file(TOKENIZER), binary=False)
        return _model


def encode(texts: list[str]) -> npt.NDArray[np.float32]:
    """Unit-length float32 vectors, one row per text (an empty text gives a zero row)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = np.asarray(_load().embed(texts, norm=True), dtype=np.float32)
    vectors[~np.isfinite(vectors).all(axis=1)] = 0.0
    return vectors


def to_bytes(vector: npt.NDArray[np.float32]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blobs: list[bytes]) -> npt.NDArray[np.float32]:
    if not blobs:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), DIMENSIONS)
