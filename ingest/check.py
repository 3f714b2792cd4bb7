"""`shegong check`: do Chroma, the lexical index and the corpus on disk agree?

Chroma is the truth the lexical index is derived from; the corpus is the truth Chroma is derived
from. Every supported file under the corpus folder must be indexed with exactly the chunks that
loading, cleaning and splitting it gives today (same ids, count and file hash, current metadata),
or be a byte-identical duplicate of a file that is. Nothing may be indexed for a file that is
gone or no longer loads, and the saved lexical index must hold exactly Chroma's ids at Chroma's
current version. Problems come back as Chinese lines for staff; `repair=True` re-ingests the
corpus, drops what no file backs any more, rebuilds the lexical index and checks again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ingest.embed import Embedder
from ingest.kb import KnowledgeBase
from ingest.lexical import LexicalIndex
from ingest.load import SUPPORTED_SUFFIXES, LoadError, load_file
from ingest.meta import load_manifest
from ingest.parse import parse_text
from ingest.pipeline import Ingestor, discover, file_key, source_name
from ingest.settings import Settings
from ingest.split import split_document
from ingest.store import chunk_metadata

# Shown per problem at most; the rest is summarised as a count.
_SHOW_IDS = 3
_REQUIRED = ("source", "file_hash", "n_chunks", "doc_id")


@dataclass
class _Stored:
    """What Chroma holds for one source file."""

    ids: list[str] = field(default_factory=list)
    hashes: set[str] = field(default_factory=set)
    counts: set[int] = field(default_factory=set)
    metas: dict[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class _Expected:
    """What indexing one file today gives."""

    file_hash: str
    metas: dict[str, dict]  # chunk id -> metadata as the pipeline would store it


@dataclass
class _Findings:
    problems: list[str] = field(default_factory=list)
    # Sources whose chunks must be dropped before re-ingesting (stale metadata, unbacked files).
    drop: set[str] = field(default_factory=set)


def _ids(ids: list[str] | set[str]) -> str:
    shown = sorted(ids)[:_SHOW_IDS]
    more = f" 等 {len(ids)} 个" if len(ids) > _SHOW_IDS else ""
    return "、".join(shown) + more


def _stored_by_source(kb: KnowledgeBase, findings: _Findings) -> dict[str, _Stored]:
    stored: dict[str, _Stored] = defaultdict(_Stored)
    for chunk_id, _, meta in kb.store.records():
        missing = [k for k in _REQUIRED if k not in (meta or {})]
        if missing:
            findings.problems.append(
                f"Chroma 记录 {chunk_id} 缺少元数据字段 {', '.join(missing)}(非本程序写入?)"
            )
            continue
        entry = stored[meta["source"]]
        entry.ids.append(chunk_id)
        entry.hashes.add(str(meta["file_hash"]))
        entry.counts.add(int(meta["n_chunks"]))
        entry.metas[chunk_id] = meta
    return dict(stored)


def _expected(path: Path, source: str, settings: Settings, manifest: dict) -> _Expected:
    """The chunks this file gives today; raises LoadError / OSError as ingesting would."""
    loaded = load_file(path, int(settings.max_file_mb * 1024 * 1024))
    file_hash = file_key(path.read_bytes(), settings)
    docs = parse_text(source, loaded.text, file_hash, manifest.get(source, {}))
    chunks = [
        c for d in docs for c in split_document(d, settings.chunk_size, settings.chunk_overlap)
    ]
    return _Expected(
        file_hash, {c.chunk_id: chunk_metadata(c, file_hash, len(chunks)) for c in chunks}
    )


def _path_of(source: str, settings: Settings) -> Path:
    """Where a source name points on disk (relative to the corpus root, or absolute)."""
    as_path = Path(source)
    return as_path if as_path.is_absolute() else settings.corpus_dir / as_path


def _check_file(
    source: str, expected: _Expected, stored: _Stored | None, findings: _Findings
) -> None:
    """Compare one file's chunks in Chroma with the chunks it gives today."""
    if stored is None:
        findings.problems.append(f"{source}:未入库({len(expected.metas)} 段应在索引中)")
        return
    count = len(findings.problems)
    if len(stored.hashes) > 1:
        findings.problems.append(
            f"{source}:索引中混有该文件 {len(stored.hashes)} 个版本的分段(入库被中断?)"
        )
    elif expected.file_hash not in stored.hashes:
        findings.problems.append(f"{source}:文件已修改,索引中仍是旧版本")
    declared = stored.counts
    if len(declared) > 1 or len(stored.ids) not in declared:
        findings.problems.append(
            f"{source}:索引中有 {len(stored.ids)} 段,记录的段数为 "
            f"{'/'.join(str(n) for n in sorted(declared))}"
        )
    have, want = set(stored.ids), set(expected.metas)
    if missing := want - have:
        findings.problems.append(f"{source}:缺少 {len(missing)} 段({_ids(missing)})")
    if extra := have - want:
        findings.problems.append(f"{source}:多出 {len(extra)} 段过期分段({_ids(extra)})")
    stale_meta = [i for i in have & want if _differs(stored.metas[i], expected.metas[i])]
    if stale_meta:
        findings.problems.append(
            f"{source}:{len(stale_meta)} 段的元数据与当前文本或语料清单不符(清单或设置已修改?)"
        )
    # The file is unchanged, so an ingest would skip it: repair must drop its chunks first.
    if len(findings.problems) > count and stored.hashes == {expected.file_hash}:
        findings.drop.add(source)


# Metadata that follows from the file's text, the manifest and the settings (not, say, a time).
_DERIVED = ("doc_id", "source", "section", "start", "end", "search_text", "n_chunks")
_DERIVED += ("title", "issuer", "doc_number", "province", "city", "date")


def _differs(stored: dict, expected: dict) -> bool:
    return any(stored.get(k) != expected[k] for k in _DERIVED if k in expected)


def _check_corpus(settings: Settings, stored: dict[str, _Stored], findings: _Findings) -> set[str]:
    """Every supported corpus file against Chroma; returns the sources it looked at."""
    root = settings.corpus_dir
    if not root.is_dir():
        findings.problems.append(f"语料目录 {root} 不存在")
        return set()
    manifest = load_manifest(root)
    expected: dict[str, _Expected] = {}
    unloadable: dict[str, str] = {}
    for path in discover([root]):
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        source = source_name(path, root)
        try:
            expected[source] = _expected(path, source, settings, manifest)
        except (LoadError, OSError) as err:
            unloadable[source] = _reason(err)
    # Files with the same bytes are indexed once, under any one of their names.
    by_hash: dict[str, list[str]] = defaultdict(list)
    for source, exp in expected.items():
        by_hash[exp.file_hash].append(source)
    for sources in by_hash.values():
        indexed = [s for s in sources if s in stored]
        if not indexed:
            _check_file(sources[0], expected[sources[0]], None, findings)
        for source in indexed:
            _check_file(source, expected[source], stored[source], findings)
    for source, reason in unloadable.items():
        if source in stored:
            _unbacked(source, reason, stored[source], findings)
    return set(expected) | set(unloadable)


def _reason(err: Exception) -> str:
    if isinstance(err, LoadError):
        return str(err)
    return f"unreadable: 无法读取文件({getattr(err, 'strerror', None) or err})"


def _unbacked(source: str, reason: str, entry: _Stored, findings: _Findings) -> None:
    findings.problems.append(
        f"{source}:文件现已无法入库({reason}),索引中仍有其旧版本 {len(entry.ids)} 段"
    )
    findings.drop.add(source)


def _check_others(
    settings: Settings, stored: dict[str, _Stored], seen: set[str], findings: _Findings
) -> None:
    """Indexed sources the corpus scan did not cover (files ingested from elsewhere, or gone)."""
    manifest = load_manifest(settings.corpus_dir)
    for source, entry in stored.items():
        if source in seen:
            continue
        path = _path_of(source, settings)
        if not path.is_file():
            findings.problems.append(
                f"{source}:文件已不存在,索引中仍有其 {len(entry.ids)} 段(孤立分段)"
            )
            findings.drop.add(source)
            continue
        try:
            exp = _expected(path, source, settings, manifest)
        except (LoadError, OSError) as err:
            _unbacked(source, _reason(err), entry, findings)
            continue
        _check_file(source, exp, entry, findings)


def _check_lexical(kb: KnowledgeBase, chroma_ids: set[str], findings: _Findings) -> None:
    """The saved lexical index must hold exactly Chroma's ids, at Chroma's current version."""
    saved = LexicalIndex.load(kb.lexical_path)
    if saved is None:
        if chroma_ids:
            findings.problems.append(f"词法索引文件 {kb.lexical_path} 不存在或无法读取")
        return
    version = kb.store.version()
    if saved.version != version:
        findings.problems.append(
            f"词法索引版本 {saved.version} 与 Chroma 集合版本 {version} 不一致(未随入库更新)"
        )
    lexical_ids = set(saved.ids)
    if len(lexical_ids) != len(saved.ids):
        findings.problems.append("词法索引中有重复的分段 id")
    if missing := chroma_ids - lexical_ids:
        findings.problems.append(f"词法索引缺少 Chroma 中的 {len(missing)} 段({_ids(missing)})")
    if extra := lexical_ids - chroma_ids:
        findings.problems.append(f"词法索引中有 {len(extra)} 段在 Chroma 中不存在({_ids(extra)})")


def _find(kb: KnowledgeBase) -> _Findings:
    findings = _Findings()
    stored = _stored_by_source(kb, findings)
    chroma_ids = {i for entry in stored.values() for i in entry.ids}
    seen = _check_corpus(kb.settings, stored, findings)
    _check_others(kb.settings, stored, seen, findings)
    _check_lexical(kb, chroma_ids, findings)
    # One line per problem, first occurrence order.
    findings.problems = list(dict.fromkeys(findings.problems))
    return findings


def _repair(kb: KnowledgeBase, findings: _Findings) -> None:
    """Drop what no current file backs, re-ingest the corpus, rebuild the lexical index."""
    settings = kb.settings
    stored = _stored_by_source(kb, _Findings())
    doomed = [i for source in findings.drop if source in stored for i in stored[source].ids]
    # Records that are not ours (no source) cannot be matched to a file: drop them as well.
    doomed += [i for i, _, meta in kb.store.records() if not meta or "source" not in meta]
    if doomed:
        kb.store.delete(doomed)
    roots = [settings.corpus_dir] if settings.corpus_dir.is_dir() else []
    # Files indexed from outside the corpus folder are brought up to date where they still exist.
    root = settings.corpus_dir.resolve()
    for source in stored:
        path = _path_of(source, settings)
        if path.is_file() and not path.resolve().is_relative_to(root):
            roots.append(path)
    if roots:
        Ingestor(kb, progress=False).run(roots)
    kb.store.bump_version()
    kb.rebuild_lexical()


def check_index(
    settings: Settings, repair: bool = False, embedder: Embedder | None = None
) -> list[str]:
    """Problems found, as Chinese lines (empty: all consistent). With `repair`, fix them and
    return what is left. `embedder` reuses a loaded model (repair may need to embed)."""
    kb = KnowledgeBase(settings, embedder=embedder)
    findings = _find(kb)
    if not repair or not findings.problems:
        return findings.problems
    _repair(kb, findings)
    return _find(kb).problems
