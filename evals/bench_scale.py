"""Scale benchmark: a synthetic corpus of ~100,000 chunks beside the seed corpus (not a test).

Run: python -m evals.bench_scale [--chunks 100000] [--work artifacts/bench-scale] [--rebuild]

1. Generates variants of the seed texts (regions, cities, numbers and wording varied, so chunks
   are distinct) plus a handful of planted facts with known questions; deterministic per --seed.
2. Ingests them with `shegong ingest` in a child process: chunks/s, peak RSS, index size on disk.
   Vectors are cached by model and text hash under the work dir, so a second run (--rebuild drops
   the index, keeps the cache) embeds nothing and takes minutes instead of hours.
3. In one process, asks every gold question of evals/qa.jsonl against the seed-only index and the
   big index in turn (query-vector cache cleared before each ask): p50/p95 and their ratio;
   then where each planted fact ranks in the big index and whether the answer states it.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from random import Random

import numpy as np

from ingest.normalize import normalize
from ingest.offline import go_offline
from ingest.parse import parse_text
from ingest.regions import PROVINCES
from ingest.settings import Settings
from ingest.split import split_document
from ingest.store import make_client

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_CORPUS = REPO_ROOT / "corpus"

# Cities named in the seeds, and the pool their variants draw from.
SEED_CITIES = ["唐山", "昆明", "官渡", "黔西南", "绵阳", "资阳", "齐齐哈尔", "台州", "焦作", "深圳"]
CITY_POOL = (
    "保定 邯郸 沧州 大同 长治 鞍山 锦州 吉林 延边 牡丹江 佳木斯 无锡 徐州 常州 温州 嘉兴 芜湖 "
    "安庆 泉州 漳州 赣州 九江 烟台 潍坊 洛阳 开封 宜昌 襄阳 株洲 岳阳 佛山 湛江 柳州 桂林 三亚 "
    "宜宾 南充 遵义 毕节 曲靖 大理 宝鸡 咸阳 天水 酒泉 西宁 银川 喀什 拉萨 包头 赤峰 乐山 德阳"
).split()
# Interchangeable policy wording: each occurrence is swapped at random, so texts differ.
SYNONYMS = [
    ("推进", "推动"),
    ("加强", "强化"),
    ("完善", "健全"),
    ("建立", "建设"),
    ("积极", "主动"),
    ("开展", "组织"),
    ("提升", "提高"),
    ("鼓励", "支持"),
    ("重点", "着力"),
    ("有关", "相关"),
    ("问题", "难题"),
    ("队伍", "团队"),
    ("职业", "行业"),
]


@dataclass(frozen=True)
class Planted:
    """A sentence put into one synthetic document, a question about it and the fact to find."""

    sentence: str
    question: str
    fact: str


# Invented place names that no generated text uses, so each fact lives in exactly one chunk.
PLANTED = [
    Planted(
        "青禾县社会工作促进中心为每名持证社工每月发放岗位津贴386元。",
        "青禾县持证社工每月的岗位津贴是多少?",
        "386元",
    ),
    Planted(
        "澜沧湾街道社工站配备专职社工7名、志愿者服务队12支。",
        "澜沧湾街道社工站有几名专职社工?",
        "7名",
    ),
    Planted(
        "白鹭洲区本年度安排社会工作专项经费1250万元,用于购买困境儿童关爱服务。",
        "白鹭洲区的社会工作专项经费有多少?",
        "1250万元",
    ),
    Planted(
        "松溪口镇社工站实行“一站三室”布局,设有个案工作室、小组活动室和督导办公室。",
        "松溪口镇社工站设有哪些功能室?",
        "督导办公室",
    ),
    Planted(
        "鹤鸣山县规定,新入职社工须在半年内完成不少于96学时的岗前培训。",
        "鹤鸣山县新入职的社工要完成多少学时的岗前培训?",
        "96学时",
    ),
    Planted(
        "金沙渡社区对取得中级社会工作师证书的社工一次性奖励4800元。",
        "金沙渡社区对考取中级社工师证书的人奖励多少钱?",
        "4800元",
    ),
    Planted(
        "望江楼片区建立社工督导制度,每名督导每月至少开展2次集体督导。",
        "望江楼片区的督导每个月要开展几次集体督导?",
        "2次",
    ),
    Planted(
        "石榴坪乡社工站服务覆盖全乡14个行政村,累计建立服务档案3260份。",
        "石榴坪乡社工站建立了多少份服务档案?",
        "3260份",
    ),
]


def vary(text: str, rng: Random) -> str:
    """A variant of a seed text: other provinces and cities, other numbers, other wording.

    The text is normalised first (traditional script to simplified), so every seed varies alike.
    """
    text = "\n".join(normalize(line) for line in text.split("\n"))
    provinces = [p for p in PROVINCES if len(p) >= 2]
    region_map = {p: rng.choice(provinces) for p in provinces if p in text}
    region_map |= {c: rng.choice(CITY_POOL) for c in SEED_CITIES if c in text}
    if region_map:
        pattern = re.compile("|".join(sorted(map(re.escape, region_map), key=len, reverse=True)))
        text = pattern.sub(lambda m: region_map[m.group()], text)

    def number(m: re.Match[str]) -> str:
        digits = m.group()
        if len(digits) == 4 and digits[:2] in ("19", "20"):
            return str(rng.randint(2016, 2030))
        low = 10 ** (len(digits) - 1) if len(digits) > 1 else 1
        return str(rng.randint(low, 10 ** len(digits) - 1))

    text = re.sub(r"\d+", number, text)
    for a, b in SYNONYMS:
        text = re.sub(f"{a}|{b}", lambda _m, a=a, b=b: rng.choice((a, b)), text)
    return text


def seed_chunks(seeds: list[Path]) -> int:
    """How many chunks the seed texts split into with the default settings."""
    settings = Settings()
    return sum(
        len(split_document(doc, settings.chunk_size, settings.chunk_overlap))
        for path in seeds
        for doc in parse_text(path.name, path.read_text(encoding="utf-8"), "", {})
    )


def generate(corpus: Path, target_chunks: int, seed: int) -> int:
    """Write seeds + variants (+ planted facts) under `corpus`; returns the number of variants."""
    if corpus.exists():
        shutil.rmtree(corpus)
    shutil.copytree(SEED_CORPUS, corpus)
    seeds = sorted(p for p in SEED_CORPUS.iterdir() if p.suffix in (".txt", ".md"))
    rng = Random(seed)
    per_round = seed_chunks(seeds)
    rounds = max(0, round((target_chunks - per_round) / per_round))
    # Hosts among the first tenth of the variants: ingest goes in file order, so a run stopped
    # part-way (it resumes later from the vector cache) can already be measured with them.
    slots = max(len(PLANTED), rounds * len(seeds) // 10)
    hosts = dict(zip(rng.sample(range(slots), len(PLANTED)), PLANTED, strict=False))
    out = corpus / "synthetic"
    out.mkdir()
    for r in range(rounds):
        for i, seed_file in enumerate(seeds):
            text = vary(seed_file.read_text(encoding="utf-8"), rng)
            planted = hosts.get(r * len(seeds) + i)
            if planted:
                lines = text.split("\n")
                at = rng.randrange(1, len(lines))
                text = "\n".join([*lines[:at], "", planted.sentence, "", *lines[at:]])
            (out / f"{r:04d}-{seed_file.name}").write_text(text, encoding="utf-8")
    return rounds


def dir_mb(path: Path) -> float:
    """Size of a folder's files in MiB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def cached_vectors(data_dir: Path) -> int:
    """How many vectors the embedding cache of a data dir holds."""
    path = data_dir / "cache" / "embeddings.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM vec").fetchone()[0]


def stored_chunks(data_dir: Path) -> int:
    """How many chunks the embedded Chroma of a data dir holds (0 before the first ingest)."""
    if not (data_dir / "index").exists():
        return 0
    settings = Settings(data_dir=data_dir)
    client = make_client(settings)
    names = [c.name for c in client.list_collections()]
    return client.get_collection(settings.collection).count() if settings.collection in names else 0


def ingest(corpus: Path, data_dir: Path) -> dict[str, float]:
    """`shegong ingest` of the corpus in a child process: seconds, peak RSS, vectors embedded."""
    env = os.environ | {"SHEGONG_DATA_DIR": str(data_dir), "SHEGONG_CORPUS_DIR": str(corpus)}
    before, chunks_before = cached_vectors(data_dir), stored_chunks(data_dir)
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "bot.cli", "ingest"]
    subprocess.run(cmd, env=env, check=False, cwd=REPO_ROOT)
    seconds = time.perf_counter() - started
    # ru_maxrss of children is the largest finished child's peak, in KiB on Linux.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "peak_rss_mb": peak,
        "embedded": cached_vectors(data_dir) - before,
        "added": stored_chunks(data_dir) - chunks_before,
        "chunks": stored_chunks(data_dir),
    }


def percentiles(values: list[float]) -> tuple[float, float]:
    """(p50, p95) of a list of milliseconds."""
    v = np.array(values)
    return float(np.percentile(v, 50)), float(np.percentile(v, 95))


def replica_rss_mb(data_dir: Path, corpus: Path) -> float:
    """Resident memory of a fresh process serving an index after one question, in MiB."""
    code = (
        "from pathlib import Path\nfrom bot.service import QAService\n"
        "from ingest.settings import Settings\n"
        "QAService(Settings()).ask('社工站建设有什么要求?')\n"
        "status = Path('/proc/self/status').read_text().splitlines()\n"
        "print([line.split()[1] for line in status if line.startswith('VmRSS:')][0])\n"
    )
    env = os.environ | {"SHEGONG_DATA_DIR": str(data_dir), "SHEGONG_CORPUS_DIR": str(corpus)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True
    )
    return int(done.stdout.split()[-1]) / 1024 if done.returncode == 0 else float("nan")


def measure(
    seed_dir: Path, big_dir: Path, big_corpus: Path, qa: Path, questions: int | None = None
) -> None:
    """Ask latency at both sizes, interleaved, and where the planted facts rank in the big one."""
    from bot.service import QAService
    from evals.gold import load_gold
    from ingest.embed import Embedder
    from ingest.kb import KnowledgeBase
    from ingest.lexical import LexicalIndex
    from ingest.pipeline import Ingestor

    seed_settings = Settings(data_dir=seed_dir, corpus_dir=SEED_CORPUS)
    big_settings = Settings(data_dir=big_dir, corpus_dir=big_corpus)
    embedder = Embedder.from_settings(big_settings)
    seed_kb = KnowledgeBase(seed_settings, embedder)
    Ingestor(seed_kb, progress=False).run()
    big_kb = KnowledgeBase(big_settings, embedder)
    started = time.perf_counter()
    big_kb.rebuild_lexical()  # what every replica pays when the collection changed
    lexical_s = time.perf_counter() - started
    started = time.perf_counter()
    LexicalIndex.load(big_kb.lexical_path)  # what a replica pays at start when nothing changed
    load_s = time.perf_counter() - started
    services = {"seed": QAService(seed_settings, seed_kb), "big": QAService(big_settings, big_kb)}
    for service in services.values():
        service.ask("社工站建设有什么要求?")  # warm-up
    items = load_gold(qa)[:questions]
    times: dict[str, list[float]] = {name: [] for name in services}
    for item in items:
        for name, service in services.items():
            Embedder._query_vector.cache_clear()
            answer = service.ask(item["question"], history=item.get("history"))
            times[name].append(answer.timings_ms["total"])
    chunks = {name: s.kb.store.count() for name, s in services.items()}
    print(f"\n{'index':<8}{'chunks':>9}{'ask p50 ms':>12}{'ask p95 ms':>12}")
    for name, values in times.items():
        p50, p95 = percentiles(values)
        print(f"{name:<8}{chunks[name]:>9}{p50:>12.1f}{p95:>12.1f}")
    ratio = percentiles(times["big"])[1] / percentiles(times["seed"])[1]
    print(f"p95 ratio big/seed: {ratio:.2f} (target ≤ 2.0); {len(items)} gold questions each")
    started = time.perf_counter()
    documents = services["big"].documents()  # the 文档库 tab's list
    documents_s = time.perf_counter() - started
    print(
        f"lexical index: rebuilt from Chroma in {lexical_s:.1f} s, loaded from disk in "
        f"{load_s:.1f} s; document list ({len(documents)} documents) in {documents_s:.1f} s"
    )
    seed_rss = replica_rss_mb(seed_dir, SEED_CORPUS)
    big_rss = replica_rss_mb(big_dir, big_corpus)
    print(f"a serving process after one question: RSS {seed_rss:.0f} MiB (seed), {big_rss:.0f} MiB")
    print(f"\n{'planted question':<34}{'rank':>6}{'answer states it':>18}")
    texts = big_kb.lexical().texts
    for fact in PLANTED:
        if not any(fact.sentence[:12] in t for t in texts):
            print(f"{fact.question:<34}{'(its file is not indexed yet)':>24}")
            continue
        hits = big_kb.search(fact.question, k=10)
        rank = next(
            (
                e.rank
                for e in hits
                if fact.sentence[:12] in e.chunk.text and fact.fact in e.chunk.text
            ),
            0,
        )
        answer = services["big"].ask(fact.question)
        said = "yes" if fact.fact in answer.answer else "no"
        print(f"{fact.question:<34}{rank or '>10':>6}{said:>18}")


def main(argv: list[str] | None = None) -> None:
    """Generate, ingest, measure; prints tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000, help="about how many chunks")
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "artifacts" / "bench-scale")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true", help="drop the index, keep the cache")
    parser.add_argument("--skip-ingest", action="store_true", help="measure the existing index")
    parser.add_argument("--qa", type=Path, default=REPO_ROOT / "evals" / "qa.jsonl")
    parser.add_argument("--questions", type=int, help="ask only the first N gold questions")
    args = parser.parse_args(argv)
    go_offline()
    work = args.work.resolve()
    corpus, big_dir, seed_dir = work / "corpus", work / "data-big", work / "data-seed"
    if not args.skip_ingest:
        rounds = generate(corpus, args.chunks, args.seed)
        files = sum(1 for p in corpus.rglob("*") if p.suffix in (".txt", ".md"))
        print(f"corpus: {files} files ({rounds} variants of each seed), {dir_mb(corpus):.0f} MiB")
        if args.rebuild:
            shutil.rmtree(big_dir / "index", ignore_errors=True)
        run = ingest(corpus, big_dir)
        print(
            f"ingest: {run['added']:.0f} chunks added in {run['seconds']:.0f} s = "
            f"{run['added'] / run['seconds']:.1f} chunks/s ({run['embedded']:.0f} embedded, the "
            f"rest from the vector cache); {run['chunks']:.0f} in the index; "
            f"peak RSS {run['peak_rss_mb']:.0f} MiB"
        )
        print(
            f"disk: index {dir_mb(big_dir / 'index'):.0f} MiB, "
            f"vector cache {dir_mb(big_dir / 'cache'):.0f} MiB"
        )
    measure(seed_dir, big_dir, corpus, args.qa, args.questions)


if __name__ == "__main__":
    main()
