"""`shegong ingest`: files -> chunks in Chroma and the lexical index, incrementally and safely.

Crash safety: chunk ids are content hashes and every chunk records its file's hash and chunk
count. A file counts as indexed only when exactly its chunks are present; anything else (a run
killed mid-file) is redone. New chunks are written before stale ones are deleted, and the
lexical index is derived from Chroma, so any interrupted run is repaired by the next one.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tqdm import tqdm

from ingest.kb import KnowledgeBase
from ingest.lexical import LexicalIndex
from ingest.load import SUPPORTED_SUFFIXES, LoadError, load_file
from ingest.meta import MANIFEST_NAME, load_manifest, not_understood
from ingest.parse import parse_text
from ingest.settings import Settings
from ingest.split import split_document
from ingest.store import chunk_metadata

Status = Literal["indexed", "skipped", "removed", "failed", "duplicate"]

# Bump when cleaning, splitting or metadata extraction changes what a file turns into: every
# file is then processed again on the next ingest (the vector cache keeps that cheap).
PIPELINE_VERSION = "2026-12-02.2"


def file_key(data: bytes, settings: Settings) -> str:
    """What decides whether a file needs indexing again: its bytes and how they are processed."""
    recipe = (
        f"{PIPELINE_VERSION}|{settings.chunk_size}|{settings.chunk_overlap}|{settings.embed_model}"
    )
    return hashlib.sha256(data + b"\x00" + recipe.encode()).hexdigest()


class EmbedderMismatch(RuntimeError):
    """The index holds vectors of another model or backend: only a rebuild can mix them right."""

    def __init__(self, stored: str, current: str) -> None:
        super().__init__(
            f"索引中的向量由 {stored} 生成,当前设置为 {current};两者不能混用。"
            "请运行 `shegong ingest --rebuild` 重建索引(向量缓存按模型分开保存)。"
        )


@dataclass(frozen=True)
class FileResult:
    """What happened to one file."""

    source: str
    status: Status
    chunks: int = 0
    reason: str = ""
    seconds: float = 0.0
    # What was indexed but not understood, e.g. "未找到标题": the file is searchable all the same.
    notes: tuple[str, ...] = ()


@dataclass
class IngestReport:
    """The per-file outcome of one ingest run."""

    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[FileResult]:
        """Files that could not be indexed."""
        return [f for f in self.files if f.status == "failed"]

    def count(self, status: Status) -> int:
        """How many files ended with this status."""
        return sum(f.status == status for f in self.files)

    def summary(self) -> str:
        """One line in Chinese for people, e.g. after `shegong ingest`."""
        return (
            f"入库 {self.count('indexed')} 个,未变跳过 {self.count('skipped')} 个,"
            f"删除 {self.count('removed')} 个,重复 {self.count('duplicate')} 个,"
            f"失败 {self.count('failed')} 个;用时 {self.seconds:.1f} 秒"
        )


@dataclass(frozen=True)
class _Indexed:
    file_hash: str
    expected: int
    ids: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.expected == len(self.ids)


def source_name(path: Path, corpus_dir: Path) -> str:
    """The file's path relative to the corpus root ("/"-separated); absolute when outside it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(corpus_dir.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def discover(paths: list[Path]) -> list[Path]:
    """Files under the given files and folders. In a folder, hidden files, the manifest and the
    folder's own README (which describes the documents, e.g. ../shared/real-docs) are skipped;
    a file named explicitly is taken as it is."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found += [path] if path.is_file() else []
            continue
        for p in sorted(path.rglob("*")):
            skipped = p.name.startswith(".") or p.name == MANIFEST_NAME
            if p.is_file() and not skipped and p.stem.upper() != "README":
                found.append(p)
    return found


def _indexed_files(kb: KnowledgeBase) -> dict[str, _Indexed]:
    """What Chroma holds, per source file."""
    ids: dict[str, list[str]] = defaultdict(list)
    state: dict[str, tuple[str, int]] = {}
    hashes_ok: dict[str, bool] = defaultdict(lambda: True)
    for chunk_id, _, meta in kb.store.records():
        source = meta["source"]
        ids[source].append(chunk_id)
        if source in state and state[source][0] != meta["file_hash"]:
            hashes_ok[source] = False
        state.setdefault(source, (meta["file_hash"], int(meta["n_chunks"])))
    return {s: _Indexed(h, n if hashes_ok[s] else -1, tuple(ids[s])) for s, (h, n) in state.items()}


def _folders(roots: list[Path], corpus_dir: Path) -> list[str]:
    """The source-name prefixes of the folders among the roots of a run."""
    return [source_name(r, corpus_dir) for r in roots if r.is_dir()]


def _under(source: str, folders: list[str]) -> bool:
    """Whether a source lies under one of the folders (source-name prefixes)."""
    return any(f in (".", "") or source.startswith(f.rstrip("/") + "/") for f in folders)


class Ingestor:
    """Brings the knowledge base in line with a set of files."""

    def __init__(self, kb: KnowledgeBase, progress: bool = True) -> None:
        self.kb = kb
        self.settings = kb.settings
        self.progress = progress
        self._manifest = load_manifest(self.settings.corpus_dir)

    def run(self, paths: list[Path] | None = None, rebuild: bool = False) -> IngestReport:
        """Index new and changed files, drop removed ones under the given folders; never raise
        for one bad file."""
        started = time.monotonic()
        roots = paths or [self.settings.corpus_dir]
        report = IngestReport()
        stored_by = self.kb.store.embedder_id()
        current = self.kb.embedder.model_id
        if stored_by not in (None, current) and self.kb.store.count() and not rebuild:
            raise EmbedderMismatch(stored_by, current)
        indexed = _indexed_files(self.kb)
        # A run killed after writing to Chroma but before bumping the version leaves a saved
        # lexical index that looks current: compare its ids with Chroma's to repair that too.
        changed = self._lexical_stale(indexed)
        if rebuild and indexed:
            self.kb.store.delete([i for state in indexed.values() for i in state.ids])
            indexed = {}
        if stored_by != current:
            self.kb.store.set_embedder_id(current)
        files = discover(roots)
        keys = self._file_keys(files)
        by_hash = self._trusted_hashes(roots, keys, indexed)
        bar = tqdm(files, desc="入库", unit="文件", disable=not self.progress)
        for path in bar:
            source = source_name(path, self.settings.corpus_dir)
            bar.set_postfix_str(source[-30:])
            result = self._one(path, source, keys.get(path), indexed.get(source), by_hash)
            report.files.append(result)
            changed |= result.status == "indexed"
        changed |= self._drop_removed(roots, files, indexed, report)
        if changed or rebuild:
            self.kb.store.bump_version()
        self.kb.lexical(force_check=True)
        report.seconds = time.monotonic() - started
        return report

    def _lexical_stale(self, indexed: dict[str, _Indexed]) -> bool:
        """Whether the saved lexical index holds other chunks than Chroma does."""
        saved = LexicalIndex.load(self.kb.lexical_path)
        ids = {i for state in indexed.values() for i in state.ids}
        return set(saved.ids) != ids if saved is not None else bool(ids)

    def _file_keys(self, files: list[Path]) -> dict[Path, str]:
        """file_key of each readable, supported file within the size limit, read once a run.

        (An oversized one is left out unread: load_file refuses it later without reading.)
        """
        max_bytes = int(self.settings.max_file_mb * 1024 * 1024)
        keys: dict[Path, str] = {}
        for path in files:
            try:
                if path.suffix.lower() in SUPPORTED_SUFFIXES and path.stat().st_size <= max_bytes:
                    keys[path] = file_key(path.read_bytes(), self.settings)
            except OSError:
                continue  # load_file names the reason when the file's turn comes
        return keys

    def _trusted_hashes(
        self, roots: list[Path], keys: dict[Path, str], indexed: dict[str, _Indexed]
    ) -> dict[str, str]:
        """file hash -> source, for indexed files that keep their content through this run.

        A file that duplicates one of these is skipped. A twin that changes or disappears in
        this run does not count: its old content would otherwise end up indexed nowhere.
        """
        current = {source_name(p, self.settings.corpus_dir): key for p, key in keys.items()}
        folders = _folders(roots, self.settings.corpus_dir)
        trusted: dict[str, str] = {}
        for src, state in indexed.items():
            if not state.complete:
                continue
            # Sources outside this run's folders are left as they are, so they keep their content.
            keeps = current.get(src) == state.file_hash or (
                src not in current and not _under(src, folders)
            )
            if keeps:
                trusted[state.file_hash] = src
        return trusted

    def _one(
        self,
        path: Path,
        source: str,
        key: str | None,
        state: _Indexed | None,
        by_hash: dict[str, str],
    ) -> FileResult:
        started = time.monotonic()
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            return FileResult(
                source, "failed", reason=f"unsupported_type: 不支持的文件类型 {path.suffix}"
            )
        max_bytes = int(self.settings.max_file_mb * 1024 * 1024)
        # Key first: an unchanged file is skipped without being loaded and parsed.
        if key and state and state.file_hash == key and state.complete:
            return FileResult(source, "skipped", chunks=state.expected)
        try:
            loaded = load_file(path, max_bytes)
            file_hash = key or file_key(path.read_bytes(), self.settings)
        except LoadError as err:
            return FileResult(source, "failed", reason=str(err))
        except OSError as err:
            return FileResult(source, "failed", reason=f"unreadable: 无法读取文件({err.strerror})")
        twin = by_hash.get(file_hash)
        if twin and twin != source:
            return FileResult(source, "duplicate", reason=f"与 {twin} 内容相同,只索引一次")
        docs = parse_text(source, loaded.text, file_hash, self._manifest.get(source, {}))
        chunks = [
            c
            for d in docs
            for c in split_document(d, self.settings.chunk_size, self.settings.chunk_overlap)
        ]
        if not chunks:
            return FileResult(source, "failed", reason="no_text: 清洗后没有可索引的正文")
        metas = [chunk_metadata(c, file_hash, len(chunks)) for c in chunks]
        # A chunk already stored (same id: same text) gets only its metadata refreshed: upserting
        # its vector again made Chroma's local HNSW index miss neighbours now and then.
        present = set(state.ids) if state else set()
        fresh = [i for i, c in enumerate(chunks) if c.chunk_id not in present]
        kept = [i for i, c in enumerate(chunks) if c.chunk_id in present]
        if fresh:
            vectors = self.kb.embedder.embed_passages([chunks[i].search_text for i in fresh])
            self.kb.store.add(
                [chunks[i] for i in fresh], vectors.tolist(), [metas[i] for i in fresh]
            )
        if kept:
            self.kb.store.update_metadata(
                [chunks[i].chunk_id for i in kept], [metas[i] for i in kept]
            )
        new_ids = {c.chunk_id for c in chunks}
        stale = [i for i in (state.ids if state else ()) if i not in new_ids]
        if stale:
            self.kb.store.delete(stale)
        by_hash[file_hash] = source
        took = time.monotonic() - started
        notes = not_understood([d.meta for d in docs])
        return FileResult(source, "indexed", chunks=len(chunks), seconds=took, notes=notes)

    def _drop_removed(
        self,
        roots: list[Path],
        files: list[Path],
        indexed: dict[str, _Indexed],
        report: IngestReport,
    ) -> bool:
        """Delete the chunks of files that were indexed under the given folders and are gone."""
        present = {source_name(p, self.settings.corpus_dir) for p in files}
        folders = _folders(roots, self.settings.corpus_dir)
        removed = False
        for source, state in indexed.items():
            if _under(source, folders) and source not in present:
                self.kb.store.delete(list(state.ids))
                report.files.append(FileResult(source, "removed", chunks=len(state.ids)))
                removed = True
        return removed
