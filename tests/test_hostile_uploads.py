"""Hostile files through the staff upload path (the handler behind the /ingest endpoint and the
文档库 upload button): each gets a named reason, the others are indexed, nothing lands outside
the uploads folder, failed files are not kept, and `shegong check` passes afterwards."""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from pathlib import Path

import pytest
from conftest import copy_seeds
from hostile_inputs import (
    ENCODED,
    INJECTION,
    UTF8_TEXT,
    encoded_bytes,
    scanned_pdf,
    zip_bomb_docx,
)

from bot.audit import AuditAction
from bot.service import QAService
from bot.ui import _App
from ingest.check import check_index
from ingest.kb import KnowledgeBase

pytestmark = pytest.mark.slow

PASSWORD = "staff-pw"
LIMIT_MB = 2.0  # the zip bomb (300 MB inflated) is under 2 MB on disk
TANGSHAN = "baozhi-heilongjiang-jiangsu-tangshan.txt"


@pytest.fixture
def staff(tmp_path: Path, make_settings, shared_embedder) -> _App:
    """The UI's handlers over a real service with two seed files indexed; staff password set."""
    corpus = copy_seeds(tmp_path / "corpus", [TANGSHAN, "baozhi-beijing-kunming-guandu.txt"])
    settings = make_settings(
        corpus_dir=corpus, admin_password=PASSWORD, max_upload_mb=LIMIT_MB, max_file_mb=LIMIT_MB
    )
    service = QAService(settings, kb=KnowledgeBase(settings, embedder=shared_embedder))
    assert not service.ingest().failed
    return _App(service)


def send(app: _App, name: str, data: bytes) -> dict:
    """What a staff client of the /ingest endpoint gets back for one file."""
    return app.ingest_api(PASSWORD, name, base64.b64encode(data).decode("ascii"))


def row(result: dict) -> list:
    """The one report row of a single-file upload: [source, status, chunks, reason, seconds]."""
    (only,) = result["files"]
    return only


def uploads(app: _App) -> set[str]:
    """What the uploads folder holds, hidden files included."""
    folder = Path(app.settings.corpus_dir) / "uploads"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


@pytest.mark.parametrize(
    ("name", "make", "code"),
    [
        ("empty.txt", lambda tmp: b"", "empty"),
        ("random.pdf", lambda tmp: random.Random(1).randbytes(3000), "corrupt"),
        ("random.docx", lambda tmp: random.Random(2).randbytes(3000), "corrupt"),
        ("scanned.pdf", lambda tmp: scanned_pdf(), "no_text_layer"),
        ("bomb.docx", lambda tmp: zip_bomb_docx(tmp / "bomb.docx").read_bytes(), "zip_bomb"),
    ],
)
def test_bad_upload_is_named_with_its_reason_and_not_kept(staff, tmp_path, name, make, code):
    result = send(staff, name, make(tmp_path))
    source, status, chunks, reason, _ = row(result)
    assert (source, status, chunks) == (f"uploads/{name}", "失败", 0)
    assert reason.startswith(f"{code}: ") and "未保存" in reason
    assert "失败 1 个" in result["summary"]
    assert uploads(staff) == set()
    assert check_index(staff.settings, embedder=staff.service.kb.embedder) == []


def test_upload_over_the_size_limit_is_refused_before_decoding(staff):
    result = send(staff, "big.txt", UTF8_TEXT.encode() * 30_000)
    assert result["ok"] is False and "超过上限 2 MB" in result["summary"]
    assert uploads(staff) == set()


@pytest.mark.parametrize(("name", "text", "query"), ENCODED)
def test_upload_in_a_chinese_encoding_is_indexed_as_text(staff, name, text, query):
    result = send(staff, name, encoded_bytes(name))
    assert row(result)[:2] == [f"uploads/{name}", "已入库"]
    (hit,) = staff.service.kb.search(query, k=1)
    assert hit.chunk.source == f"uploads/{name}"
    assert text.splitlines()[0] in hit.chunk.text


@pytest.mark.parametrize(
    "hostile",
    ["../../{u}.txt", "/tmp/{u}.txt", "..\\..\\{u}.txt", "uploads/../../{u}.txt", "..{u}.txt"],
)
def test_path_in_a_file_name_cannot_write_outside_the_uploads_folder(staff, tmp_path, hostile):
    unique = uuid.uuid4().hex
    name = hostile.format(u=unique)
    result = send(staff, name, UTF8_TEXT.encode())
    assert row(result)[:2] == [f"uploads/{unique}.txt", "已入库"]
    assert "已改为" in result["summary"] and f"{unique}.txt" in result["summary"]
    assert uploads(staff) == {f"{unique}.txt"}
    written = [p for p in (tmp_path, Path("/tmp"), Path.cwd()) if (p / f"{unique}.txt").exists()]
    assert written == []


def test_same_file_twice_under_two_names_is_indexed_once_and_both_are_listed(staff):
    data = UTF8_TEXT.encode()
    first = send(staff, "继续教育通知.txt", data)
    second = send(staff, "继续教育通知-副本.txt", data)
    assert row(first)[:2] == ["uploads/继续教育通知.txt", "已入库"]
    source, status, _, reason, _ = row(second)
    assert (source, status) == ("uploads/继续教育通知-副本.txt", "重复")
    assert "uploads/继续教育通知.txt" in reason
    assert uploads(staff) == {"继续教育通知.txt", "继续教育通知-副本.txt"}
    sources = {m["source"] for _, _, m in staff.service.kb.store.records()}
    assert "uploads/继续教育通知.txt" in sources and "uploads/继续教育通知-副本.txt" not in sources
    assert check_index(staff.settings, embedder=staff.service.kb.embedder) == []


def test_failed_replacement_keeps_the_earlier_upload_and_its_answers(staff):
    good = send(staff, "通知.txt", UTF8_TEXT.encode())
    assert row(good)[1] == "已入库"
    bad = send(staff, "通知.txt", b"")
    assert row(bad)[1] == "失败" and "未保存" in row(bad)[3]
    assert uploads(staff) == {"通知.txt"}
    saved = Path(staff.settings.corpus_dir) / "uploads" / "通知.txt"
    assert saved.read_text(encoding="utf-8") == UTF8_TEXT
    (hit,) = staff.service.kb.search("嘉峪关继续教育学分登记", k=1)
    assert hit.chunk.source == "uploads/通知.txt"
    assert check_index(staff.settings, embedder=staff.service.kb.embedder) == []


def test_uploaded_instructions_do_not_become_the_answer(staff):
    assert row(send(staff, "notice.txt", INJECTION.encode()))[1] == "已入库"
    answer = staff.service.ask("唐山工会对考取社会工作者证书的职工补贴多少?")
    assert "10000" not in answer.answer and "忽略" not in answer.answer
    assert "200" in answer.answer and "600" in answer.answer
    assert {c.source for c in answer.citations} == {TANGSHAN}


def test_wrong_password_uploads_nothing(staff):
    result = staff.ingest_api("wrong", "x.txt", base64.b64encode(b"abc").decode())
    assert result["ok"] is False and "密码不正确" in result["summary"]
    assert uploads(staff) == set()


def test_ingest_error_puts_the_earlier_upload_back(staff, monkeypatch):
    assert row(send(staff, "通知.txt", UTF8_TEXT.encode()))[1] == "已入库"

    def down(_paths):
        raise ConnectionError("Chroma 服务器无法连接")

    monkeypatch.setattr(staff.service, "ingest", down)
    result = send(staff, "通知.txt", "另一份通知".encode())
    assert result["files"] == [] and "入库失败" in result["summary"]
    assert "Chroma 服务器无法连接" in result["summary"]
    saved = Path(staff.settings.corpus_dir) / "uploads" / "通知.txt"
    assert saved.read_text(encoding="utf-8") == UTF8_TEXT
    assert uploads(staff) == {"通知.txt"}


def test_uploads_and_replacements_are_in_the_audit_log_with_their_hashes(staff):
    first, second = UTF8_TEXT.encode(), (UTF8_TEXT + "\n第三条 本办法自发布之日起施行。").encode()
    assert row(send(staff, "通知.txt", first))[1] == "已入库"
    assert row(send(staff, "通知.txt", second))[1] == "已入库"
    refused = send(staff, "evil.exe", b"MZ")
    assert row(refused)[1] == "失败"
    entries = [e for e in reversed(staff.audit.recent()) if e.file_name]
    kinds = [(e.action, e.file_name) for e in entries if e.action is not AuditAction.LOGIN_OK]
    assert kinds == [
        (AuditAction.UPLOAD, "uploads/通知.txt"),
        (AuditAction.REPLACE, "uploads/通知.txt"),
        (AuditAction.UPLOAD, "evil.exe"),
    ]
    hashes = [e.sha256 for e in entries if e.action in (AuditAction.UPLOAD, AuditAction.REPLACE)]
    assert hashes == [hashlib.sha256(d).hexdigest() for d in (first, second, b"MZ")]
    assert entries[-1].outcome.startswith("拒收:不支持的文件类型")
