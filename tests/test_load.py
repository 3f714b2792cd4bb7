"""load_file: every supported format becomes text; every bad file becomes a named LoadError."""

from __future__ import annotations

import io
import pickle
import random
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from docx.enum.style import WD_STYLE_TYPE
from hostile_inputs import MB, write_zip_of_zeros

from ingest.load import (
    SUPPORTED_SUFFIXES,
    LoadedText,
    LoadError,
    decode_bytes,
    load_file,
    map_radicals,
)

LIMIT = 50 * MB

SHORT_SIMPLIFIED = "社会工作人才队伍建设"
LONG_SIMPLIFIED = (
    "关于加强社会工作专业人才队伍建设的意见\n"
    "一、总体要求\n"
    "坚持以人民为中心的发展思想,推进乡镇(街道)社会工作服务站建设,"
    "到2025年实现全覆盖。各级民政部门要会同财政、人力资源社会保障部门,"
    "完善社会工作者职业资格评价制度,落实薪酬待遇,拓宽职业发展空间。\n"
    "二、主要任务\n"
    "(一)加强社会工作服务站建设。每个服务站至少配备3名专职社会工作者。\n"
    "(二)开展困难群众、特殊群体关爱服务,重点做好老年人、儿童、残疾人服务。\n"
)
SHORT_TRADITIONAL = "社會工作人才隊伍建設工作總結"
LONG_TRADITIONAL = (
    "社會工作人才隊伍建設工作總結\n"
    "一、基本情況\n"
    "本年度各級民政部門積極推進社會工作服務站建設,完善社會工作者職業資格評價制度,"
    "落實薪酬待遇,拓寬職業發展空間。全市共有持證社會工作者一千二百名。\n"
    "二、主要做法\n"
    "(一)加強專業培訓。舉辦督導培訓班六期,參訓人員達三百餘人次。\n"
    "(二)開展關愛服務,重點做好老年人、兒童、殘疾人服務。\n"
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def load_error(path: Path, max_bytes: int = LIMIT) -> LoadError:
    with pytest.raises(LoadError) as info:
        load_file(path, max_bytes)
    return info.value


# --- text encodings ---------------------------------------------------------------------------

ROUND_TRIPS = [
    # (encoding used to write, text, encoding load_file reports)
    ("utf-8", SHORT_SIMPLIFIED, "utf-8"),
    ("utf-8", LONG_SIMPLIFIED, "utf-8"),
    ("utf-8-sig", SHORT_SIMPLIFIED, "utf-8-sig"),
    ("utf-8-sig", LONG_TRADITIONAL, "utf-8-sig"),
    ("gb18030", SHORT_SIMPLIFIED, "gb18030"),
    ("gb18030", LONG_SIMPLIFIED, "gb18030"),
    ("gb18030", SHORT_TRADITIONAL, "gb18030"),
    ("gbk", SHORT_SIMPLIFIED, "gb18030"),
    ("gbk", LONG_SIMPLIFIED, "gb18030"),
    ("gb2312", "民政部关于印发通知", "gb18030"),
    ("big5", SHORT_TRADITIONAL, "big5"),
    ("big5", LONG_TRADITIONAL, "big5"),
    ("big5", "為加強社會工作專業人才", "big5"),
]


@pytest.mark.parametrize(("codec", "text", "reported"), ROUND_TRIPS)
def test_encoded_text_file_decodes_to_the_same_text(
    tmp_path: Path, codec: str, text: str, reported: str
) -> None:
    """Each encoding round-trips exactly, for ~10-character and for longer Chinese texts."""
    loaded = load_file(write(tmp_path, "doc.txt", text.encode(codec)), LIMIT)
    assert loaded == LoadedText(text=text, encoding=reported, format="txt")


def test_gb18030_file_decodes_to_the_same_text(tmp_path: Path) -> None:
    """GB18030 including characters beyond GBK (four-byte sequences) round-trips."""
    text = "社会工作者𠀀㐀服务€"
    loaded = load_file(write(tmp_path, "doc.txt", text.encode("gb18030")), LIMIT)
    assert (loaded.text, loaded.encoding) == (text, "gb18030")


def test_big5_traditional_text_is_not_taken_for_gbk(tmp_path: Path) -> None:
    """BIG5 bytes also 'decode' as GB18030 without error; the plausible reading wins."""
    data = SHORT_TRADITIONAL.encode("big5")
    assert data.decode("gb18030") != SHORT_TRADITIONAL  # the trap is real
    assert decode_bytes(data) == (SHORT_TRADITIONAL, "big5")


def test_gbk_text_is_not_taken_for_big5() -> None:
    """And the other way round: GBK bytes that are also valid BIG5 stay GBK."""
    text = "社会工作专业队伍建设"
    data = text.encode("gbk")
    assert data.decode("big5") == "扦頗馱釬蚳珛勦斪膘扢"  # valid BIG5 too
    assert decode_bytes(data) == (text, "gb18030")


def test_short_gbk_text_that_is_also_valid_utf8_stays_chinese() -> None:
    """ "职业专业" in GBK is well-formed UTF-8 (Hebrew/Cyrillic letters); Chinese wins."""
    data = "职业专业".encode("gbk")
    data.decode("utf-8")
    assert decode_bytes(data) == ("职业专业", "gb18030")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("text", [SHORT_SIMPLIFIED, LONG_TRADITIONAL])
def test_utf16_file_with_bom_decodes_to_the_same_text(
    tmp_path: Path, codec: str, text: str
) -> None:
    bom = "\ufeff".encode(codec)
    loaded = load_file(write(tmp_path, "doc.md", bom + text.encode(codec)), LIMIT)
    assert (loaded.text, loaded.encoding, loaded.format) == (text, codec, "md")


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
def test_utf32_file_with_bom_decodes_to_the_same_text(tmp_path: Path, codec: str) -> None:
    bom = "\ufeff".encode(codec)
    loaded = load_file(write(tmp_path, "doc.txt", bom + LONG_SIMPLIFIED.encode(codec)), LIMIT)
    assert (loaded.text, loaded.encoding) == (LONG_SIMPLIFIED, codec)


def test_utf16_without_bom_is_recognised() -> None:
    assert decode_bytes(LONG_SIMPLIFIED.encode("utf-16-le")) == (LONG_SIMPLIFIED, "utf-16-le")


def test_newlines_are_normalised_and_nothing_else_changes() -> None:
    """CRLF and CR become LF; full-width forms and traditional characters stay as they are."""
    data = "第一行,ABC\r\n第二行 臺灣\r第三行①\n".encode("gb18030")
    assert decode_bytes(data)[0] == "第一行,ABC\n第二行 臺灣\n第三行①\n"


def test_zero_padding_after_the_text_is_dropped() -> None:
    data = LONG_SIMPLIFIED.encode("gb18030") + bytes(4096)
    assert decode_bytes(data) == (LONG_SIMPLIFIED, "gb18030")


def test_utf8_file_cut_off_mid_character_still_loads() -> None:
    """A download cut inside the last character keeps everything before it."""
    data = "社会工作服务".encode()[:-1]
    assert decode_bytes(data) == ("社会工作服", "utf-8")


def test_a_few_damaged_bytes_do_not_lose_a_long_utf8_file() -> None:
    good = (LONG_SIMPLIFIED * 5).encode()
    text, encoding = decode_bytes(good[:301] + b"\xff" + good[301:])
    assert encoding == "utf-8"
    assert 1 <= text.count("\ufffd") <= 3
    assert text.startswith(LONG_SIMPLIFIED[:50]) and text.endswith(LONG_SIMPLIFIED[-50:])


def test_non_chinese_legacy_encodings_fall_back_to_detection() -> None:
    """Longer Japanese or Korean text is not forced into GB18030."""
    japanese = (
        "社会福祉士の資格について説明します。社会福祉士は国家資格であり、"
        "試験に合格する必要があります。"
    )
    korean = (
        "사회복지사 자격에 대한 설명입니다. 사회복지사는 국가 자격증이며 시험에 합격해야 합니다."
    )
    assert decode_bytes(japanese.encode("shift_jis"))[0] == japanese
    assert decode_bytes(korean.encode("euc-kr"))[0] == korean


# --- empty, binary, oversized, unsupported -----------------------------------------------------


def test_empty_file_is_reported_as_empty(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "empty.txt", b""))
    assert err.code == "empty"
    assert err.message == "文件为空"
    assert str(err) == "empty: 文件为空"


@pytest.mark.parametrize(
    "data", [b"   \n\t\r\n  ", "\u3000\u3000\n".encode(), "\ufeff \n".encode("utf-16")]
)
def test_whitespace_only_file_is_reported_as_empty(tmp_path: Path, data: bytes) -> None:
    assert load_error(write(tmp_path, "blank.md", data)).code == "empty"


@pytest.mark.parametrize(("name", "code"), [("x.txt", "binary"), ("x.md", "binary")])
def test_random_binary_named_as_text_is_binary(tmp_path: Path, name: str, code: str) -> None:
    data = random.Random(7).randbytes(4096)
    err = load_error(write(tmp_path, name, data))
    assert err.code == code
    assert "二进制" in err.message


def test_binary_without_nul_bytes_is_still_binary(tmp_path: Path) -> None:
    data = bytes(b for b in random.Random(8).randbytes(8192) if b)
    assert load_error(write(tmp_path, "x.txt", data)).code == "binary"


def test_random_bytes_named_pdf_are_corrupt(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "x.pdf", random.Random(9).randbytes(4096)))
    assert err.code == "corrupt"
    assert "PDF" in err.message


def test_random_bytes_named_docx_are_corrupt(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "x.docx", random.Random(10).randbytes(4096)))
    assert err.code == "corrupt"
    assert err.message == "不是有效的 DOCX 文件(可能已损坏或扩展名不符)"


def test_oversized_file_is_refused_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size comes from stat: a sparse 63.2 MB file is refused and never opened."""
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(int(63.2 * MB))

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("an oversized file must not be read")

    monkeypatch.setattr(Path, "open", no_reading)
    monkeypatch.setattr(Path, "read_bytes", no_reading)
    monkeypatch.setattr("builtins.open", no_reading)
    err = load_error(path, LIMIT)
    assert err.code == "too_large"
    assert err.message == "文件超过 50 MB 上限(实际 63.2 MB)"


def test_small_limit_refuses_a_slightly_larger_file(tmp_path: Path) -> None:
    path = write(tmp_path, "doc.txt", SHORT_SIMPLIFIED.encode())
    assert load_file(path, len(SHORT_SIMPLIFIED.encode())).text == SHORT_SIMPLIFIED
    assert load_error(path, len(SHORT_SIMPLIFIED.encode()) - 1).code == "too_large"


@pytest.mark.parametrize("name", ["report.doc", "scan.jpg", "README", "table.xlsx"])
def test_unsupported_suffix_is_refused(tmp_path: Path, name: str) -> None:
    err = load_error(write(tmp_path, name, b"anything"))
    assert err.code == "unsupported_type"
    assert "不支持" in err.message


def test_suffix_match_ignores_case(tmp_path: Path) -> None:
    assert load_file(write(tmp_path, "DOC.TXT", b"hello"), LIMIT).format == "txt"


def test_missing_file_is_a_load_error(tmp_path: Path) -> None:
    assert load_error(tmp_path / "gone.txt").code == "unreadable"


def test_supported_suffixes_are_the_documented_ones() -> None:
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".html", ".htm", ".pdf", ".docx")


# --- HTML ---------------------------------------------------------------------------------------

HTML_PAGE = """<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>页面标题</title>
<style>body { color: red }</style>
<script>document.write("<p>脚本内容</p>");</script>
</head>
<body>
<h1> 关于加强社会工作的通知 </h1>
<p>各区民政局:<br>现将&lt;有关事项&gt;通知如下&amp;请遵照执行&#12290;</p>
<h2>一、总体要求</h2>
<div>坚持<b>以人民为中心</b>,推进社会工作。</div>
<ul><li>第一条</li><li>第二条</li></ul>
<table><tr><th>姓名</th><th>单位</th></tr><tr><td>张三</td><td>民政局</td></tr></table>
<!-- 注释不显示 -->
</body></html>
"""


def test_html_becomes_visible_text_with_markdown_headings(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, "page.html", HTML_PAGE.encode("gbk")), LIMIT)
    assert loaded.format == "html"
    assert loaded.encoding == "gb18030"  # the declared gbk, read with its superset
    assert loaded.text.split("\n") == [
        "# 关于加强社会工作的通知",
        "各区民政局:",
        "现将<有关事项>通知如下&请遵照执行。",
        "## 一、总体要求",
        "坚持以人民为中心,推进社会工作。",
        "第一条",
        "第二条",
        "姓名 | 单位",
        "张三 | 民政局",
    ]


def test_html_meta_charset_is_respected_for_traditional_text(tmp_path: Path) -> None:
    page = f'<html><head><meta charset="big5"></head><body><p>{SHORT_TRADITIONAL}</p></body>'
    loaded = load_file(write(tmp_path, "page.htm", page.encode("big5")), LIMIT)
    assert loaded.text == SHORT_TRADITIONAL
    assert loaded.format == "html"


def test_utf8_html_ignores_a_wrong_meta_charset(tmp_path: Path) -> None:
    page = '<meta charset="gb2312"><h3>社会工作</h3><p>服务站</p>'
    loaded = load_file(write(tmp_path, "page.html", page.encode()), LIMIT)
    assert (loaded.text, loaded.encoding) == ("### 社会工作\n服务站", "utf-8")


def test_html_without_visible_text_is_empty(tmp_path: Path) -> None:
    page = b"<html><head><title>t</title><script>var a = 1;</script></head><body> </body></html>"
    assert load_error(write(tmp_path, "page.html", page)).code == "empty"


# --- DOCX ---------------------------------------------------------------------------------------


def make_docx() -> bytes:
    document = docx.Document()
    document.add_heading("关于加强社会工作的通知", level=1)
    document.add_paragraph("各区民政局:现将有关事项通知如下。")
    document.add_heading("一、总体要求", level=2)
    table = document.add_table(rows=2, cols=3)
    rows = [["姓名", "单位", "电话"], ["张三", "民政局", ""]]
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    chinese_heading = document.styles.add_style("标题 3", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("(一)服务站建设", style=chinese_heading)
    document.add_paragraph("")
    document.add_paragraph("每个服务站至少配备3名社会工作者。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_paragraphs_tables_and_headings_in_body_order(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, "notice.docx", make_docx()), LIMIT)
    assert (loaded.format, loaded.encoding) == ("docx", "docx")
    assert loaded.text.split("\n") == [
        "# 关于加强社会工作的通知",
        "各区民政局:现将有关事项通知如下。",
        "## 一、总体要求",
        "姓名 | 单位 | 电话",
        "张三 | 民政局 | ",
        "### (一)服务站建设",
        "每个服务站至少配备3名社会工作者。",
    ]


def test_truncated_docx_is_corrupt(tmp_path: Path) -> None:
    data = make_docx()
    assert load_error(write(tmp_path, "cut.docx", data[: len(data) // 2])).code == "corrupt"


def test_zip_without_word_document_is_corrupt(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a word file")
    err = load_error(write(tmp_path, "fake.docx", buffer.getvalue()))
    assert err.code == "corrupt"
    assert "word/document.xml" in err.message


def test_old_word_doc_renamed_to_docx_is_explained(tmp_path: Path) -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)
    err = load_error(write(tmp_path, "old.docx", data))
    assert err.code == "corrupt"
    assert ".doc" in err.message


def test_zip_bomb_disguised_as_docx_is_refused(tmp_path: Path) -> None:
    """300 MB of zeros in word/document.xml: refused from the zip directory, never inflated."""
    path = tmp_path / "bomb.docx"
    write_zip_of_zeros(path, "word/document.xml", 300 * MB)
    assert path.stat().st_size < 2 * MB
    err = load_error(path)
    assert err.code == "zip_bomb"
    assert "300 MB" in err.message and "压缩炸弹" in err.message


def test_highly_compressed_member_is_refused(tmp_path: Path) -> None:
    """Under the total limit, but a 20 MB member compressed 1000:1 is still refused."""
    path = tmp_path / "ratio.docx"
    write_zip_of_zeros(path, "word/document.xml", 20 * MB)
    err = load_error(path)
    assert err.code == "zip_bomb"
    assert "压缩比" in err.message


# --- PDF ----------------------------------------------------------------------------------------


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF: text drawn with a CID font that a ToUnicode CMap maps back to Unicode.

    An empty page draws a filled rectangle and no text, like a scanned page without OCR.
    """
    chars = sorted({ch for page in pages for line in page for ch in line})
    cid = {ch: i + 1 for i, ch in enumerate(chars)}
    bfchar = "\n".join(f"<{cid[ch]:04X}> <{ord(ch):04X}>" for ch in chars)
    cmap = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{len(chars)} beginbfchar\n{bfchar}\nendbfchar\n"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode()
    kids = " ".join(f"{6 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /NotoSansCJKsc /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NotoSansCJKsc "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap),
    ]
    for i, page in enumerate(pages):
        if page:
            ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
            ops += ["<{}> Tj T*".format("".join(f"{cid[ch]:04X}" for ch in line)) for line in page]
            ops.append("ET")
        else:
            ops = ["0 0 1 rg", "72 72 200 200 re f"]
        content = "\n".join(ops).encode()
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (7 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_pdf_text_layer_is_extracted_page_by_page(tmp_path: Path) -> None:
    data = make_pdf([["关于加强社会工作的通知", "第一条 总则"], ["第二页:服务站建设"]])
    loaded = load_file(write(tmp_path, "notice.pdf", data), LIMIT)
    assert (loaded.format, loaded.encoding) == ("pdf", "pdf")
    lines = [line for line in loaded.text.split("\n") if line.strip()]
    assert lines == ["关于加强社会工作的通知", "第一条 总则", "第二页:服务站建设"]


def test_pdf_kangxi_radicals_are_mapped_back(tmp_path: Path) -> None:
    """A font whose ToUnicode says "⼀⼈⻓期" yields the text "一人长期"."""
    loaded = load_file(write(tmp_path, "radicals.pdf", make_pdf([["⼀⼈⻓期⼯作"]])), LIMIT)
    assert loaded.text.strip() == "一人长期工作"


def test_map_radicals_turns_radicals_into_ideographs() -> None:
    assert map_radicals("⼀⼈") == "一人"
    assert map_radicals("⼯作⽅案") == "工作方案"
    assert map_radicals("⻓期⻔诊⺠政⻳") == "长期门诊民政龟"
    assert map_radicals("社會工作,ABC①") == "社會工作,ABC①"  # nothing else changes


def test_pdf_without_text_layer_is_reported(tmp_path: Path) -> None:
    err = load_error(write(tmp_path, "scan.pdf", make_pdf([[], []])))
    assert err.code == "no_text_layer"
    assert err.message == "扫描版 PDF 没有文字层,无法提取文本"


def test_truncated_pdf_is_corrupt_or_loads_what_remains(tmp_path: Path) -> None:
    data = make_pdf([["关于加强社会工作的通知"]])
    for cut in (20, len(data) // 3, len(data) // 2):
        try:
            load_file(write(tmp_path, "cut.pdf", data[:cut]), LIMIT)
        except LoadError as err:
            assert err.code in {"corrupt", "no_text_layer"}


def encrypt(data: bytes, user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pdf_encrypted_with_empty_user_password_opens(tmp_path: Path) -> None:
    data = encrypt(make_pdf([["社会工作"]]), user_password="")
    assert load_file(write(tmp_path, "locked.pdf", data), LIMIT).text.strip() == "社会工作"


def test_pdf_with_a_password_is_a_clear_error(tmp_path: Path) -> None:
    data = encrypt(make_pdf([["社会工作"]]), user_password="secret")
    err = load_error(write(tmp_path, "locked.pdf", data))
    assert err.code == "encrypted"
    assert "密码" in err.message


# --- nothing but LoadError escapes --------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
@pytest.mark.parametrize("seed", range(5))
def test_garbage_of_any_kind_raises_only_load_error(tmp_path: Path, suffix: str, seed: int) -> None:
    """Random bytes, truncated and bit-flipped real files: a result or a LoadError, no crash."""
    rng = random.Random(seed)
    real = {
        ".pdf": make_pdf([["社会工作"]]),
        ".docx": make_docx(),
    }.get(suffix, HTML_PAGE.encode("gbk"))
    samples = [rng.randbytes(rng.randrange(1, 3000)), real[: rng.randrange(1, len(real))]]
    flipped = bytearray(real)
    for _ in range(20):
        flipped[rng.randrange(len(flipped))] = rng.randrange(256)
    samples.append(bytes(flipped))
    for i, data in enumerate(samples):
        path = write(tmp_path, f"g{i}{suffix}", data)
        try:
            loaded = load_file(path, LIMIT)
        except LoadError as err:
            assert err.code and err.message
        else:
            assert loaded.text.strip()


def test_load_error_survives_pickling() -> None:
    err = pickle.loads(pickle.dumps(LoadError("zip_bomb", "疑似压缩炸弹")))
    assert (err.code, err.message, str(err)) == (
        "zip_bomb",
        "疑似压缩炸弹",
        "zip_bomb: 疑似压缩炸弹",
    )


def test_load_error_string_is_code_and_message() -> None:
    err = LoadError("corrupt", "不是有效的 PDF 文件")
    assert (err.code, err.message, str(err)) == (
        "corrupt",
        "不是有效的 PDF 文件",
        "corrupt: 不是有效的 PDF 文件",
    )
