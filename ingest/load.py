"""Turn one file into text: robust loading for the ingest pipeline.

One broken, empty, huge or wrongly encoded file must never stop an ingest. Every failure is a
`LoadError` with a short machine `code` and a clear Chinese `message` for the staff report.

Supported: .txt/.md (encoding detected), .html/.htm (visible text, headings as markdown),
.pdf (text layer via pypdf) and .docx (body paragraphs and tables via python-docx).
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")

_FORMATS = {
    ".txt": "txt",
    ".md": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}

# A DOCX is a zip; these bound what opening it may inflate to.
ZIP_MAX_TOTAL_BYTES = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_MIN_MEMBER_BYTES = 10 * 1024 * 1024
ZIP_MAX_MEMBERS = 10_000


class LoadError(Exception):
    """A file that cannot be turned into text; `code` for machines, `message` for staff."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[LoadError], tuple[str, str]]:
        # Survives pickling, e.g. on its way back from a worker process.
        return (type(self), (self.code, self.message))


@dataclass(frozen=True)
class LoadedText:
    """The text of one file, the encoding it was read with and its format."""

    text: str
    encoding: str
    format: str


def format_size(n: float) -> str:
    """Human-readable size in the units the staff messages use: "63.2 MB", "12 KB", "800 字节"."""
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= factor:
            value = f"{n / factor:.1f}".removesuffix(".0")
            return f"{value} {unit}"
    return f"{int(n)} 字节"


def load_file(path: Path, max_bytes: int) -> LoadedText:
    """Read `path` as text, or raise `LoadError` naming why it cannot be used.

    The size is checked from `stat` before anything is read, so an oversized file never enters
    memory. Dispatch is by suffix (case-insensitive).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        shown = suffix or "(无扩展名)"
        supported = "、".join(SUPPORTED_SUFFIXES)
        raise LoadError("unsupported_type", f"不支持的文件类型 {shown}(支持 {supported})")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError("unreadable", f"无法读取文件({exc.strerror or exc})") from exc
    if not path.is_file():
        raise LoadError("unreadable", "不是普通文件")
    if size > max_bytes:
        raise LoadError(
            "too_large", f"文件超过 {format_size(max_bytes)} 上限(实际 {format_size(size)})"
        )
    if size == 0:
        raise LoadError("empty", "文件为空")
    data = _read_at_most(path, max_bytes)

    fmt = _FORMATS[suffix]
    if fmt in ("txt", "md"):
        text, encoding = decode_bytes(data)
    elif fmt == "html":
        text, encoding = _html_to_text(data)
    elif fmt == "pdf":
        text, encoding = _pdf_to_text(data), "pdf"
    else:
        text, encoding = _docx_to_text(data), "docx"
    if not text.strip():
        what = "只有空白字符" if fmt in ("txt", "md") else "没有可提取的文字"
        raise LoadError("empty", f"文件为空({what})")
    return LoadedText(text=text, encoding=encoding, format=fmt)


def _read_at_most(path: Path, max_bytes: int) -> bytes:
    """Read the file, refusing it if it grew past `max_bytes` since it was measured."""
    try:
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise LoadError("unreadable", f"无法读取文件({exc.strerror or exc})") from exc
    if len(data) > max_bytes:
        raise LoadError("too_large", f"文件超过 {format_size(max_bytes)} 上限(读取时仍在增长)")
    return data


# ---------------------------------------------------------------------------------------------
# Text decoding
# ---------------------------------------------------------------------------------------------

_BOMS = (
    # UTF-32 first: its little-endian BOM begins with the UTF-16 one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Control characters that text files legitimately contain.
_TEXT_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1b")
_CONTROL_BYTES = frozenset(b for b in range(32) if chr(b) not in _TEXT_CONTROLS) | {0x7F}
_BINARY_CONTROL_SHARE = 0.05
# Mean penalty per non-ASCII character (see `implausibility`) below which a reading is taken
# for real Chinese. Real text scores ~0.1 (99% of 10-character snippets of policy text score
# under 0.35); Shift-JIS or EUC-KR read as GB18030 scores ~1.
_CONFIDENT = 0.6
# Short data (under _SHORT_BYTES) is taken as Chinese up to this score.
_PLAUSIBLE = 1.0
_SHORT_BYTES = 64

_COMMON_SIMPLIFIED = (
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于"
    "着下自之年过发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还"
    "进好小部其些主样理心她本前开但因只从想实日军者意无力它与长把机十民第公此已工使情"
    "明性知全三又关点正业外将两高间由问很最重并物手应战向头文体政美相见被利什二等产或"
    "新己制身果加西斯月话合回特代内信表化老给世位次度门任常先海通教儿原东声提立及比员"
    "解水名真论处走义各入几口认条平系气题活尔更别打女变四神总何电数安少报才结反受目太"
    "量再感建务做接必场件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基"
    "眼书非则听白却界达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张该交"
    "规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每济"
    "车亲极林服快办议往元英士证近失转夫令准布始怎呢存未远叫台单影具罗字爱击流备兵连调"
    "深商算质团集百需价花党华城石级整府离况亚请技际约示复病息究线似官火断精满支视消越"
    "器容照须九增研写称企八功吗包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六引历"
    "首医局突专费号尽另周较注语仅考落青随选列武红响虽推势参希古众构房半节土投某案黑维"
    "革划敌致陈律足态护七兴派孩验责营星够章音跟志底站严巴例防族供效续施留讲型料终答紧"
    "黄绝奇察母京段依批群项故按河米围江织害斗双境客纪采举杀攻父苏密低朝友诉止细愿千值"
    "仍男钱破网热助倒育属坐帝限船脸职速刻乐否刚威毛状率甚独球般普怕弹校苦创假久错承印"
    "晚兰试股拿脑预谁益阳若哪微尼继送急血惊伤素药适波夜省初喜卫源食险待述陆习置居劳财"
    "环排福纳欢雷警获模充负云停木游龙树疑层冷洲冲射略范竟句室异激汉村哈策演简卡罪判担"
    "州静退既衣您宗积余痛检差富灵协角占配征修皮挥胜降阶审沉坚善妈刘读啊超免压银买皇养"
    "伊怀执副乱抗犯追帮宣佛岁航优怪香著田铁控税左右份穿艺背阵草脚概恶块顿敢守酒岛托央"
    "户烈洋哥索胡款靠评版宝座释景顾弟登货互付伯慢欧换闻危忙核暗姐介坏讨丽良序升监临亮"
    "露永呼味野架域沙掉括舰鱼杂误湾吉减编楚肯测败屋跑梦散温困剑渐封救贵枪缺楼县尚毫移"
    "娘朋画班智亦耳恩短掌恐遗固席松秘谢鲁遇康虑幸均销钟诗藏赶剧票损忽巨炮旧端探湖录叶"
    "春乡附吸予礼港雨呀板庭妇归睛饭额含顺输摇招婚脱补谓督毒油疗旅泽材灭逐莫笔亡鲜词圣"
    "择寻厂睡博勒烟授诺伦岸奥唐卖俄炸载洛健堂旁宫喝借君禁阴园谋宋避抓荣姑孙逃牙束跳顶"
    "玉镇雪午练迫爷篇肉嘴馆遍凡础洞卷坦牛宁纸诸训私庄祖丝翻暴森塔默握戏隐熟骨访弱蒙歌"
    "店鬼软典欲萨伙遭盘爸扩盖弄雄稳忘亿刺拥徒姆杨齐赛趣曲刀床迎冰虚玩析窗醒妻透购替塞"
    "努休虎扬途侵刑绿兄迅套贸毕唯谷轮库迹尤竞街促延震弃甲伟麻川申缓潜闪售灯针哲络抵朱"
    "埃抱鼓植纯夏忍页杰筑折郑贝尊吴秀混臣雅振染盛怒舞圆搞狂措姓残秋培迷诚宽宇猛摆梅毁"
    "伸摩盟末乃悲拍丁赵硬麦蒋操耶阻订彩抽赞魔纷沿喊违妹浪汇币丰蓝殊献桌啦瓦莱援译夺汽"
    "烧距裁偏符勇触课敬哭懂墙袭召罚侠厅拜巧侧韩冒债曼融惯享戴童犹乘挂奖绍厚纵障讯涉彻"
    "刊丈爆乌役描洗玛患妙镜唱烦签仙彼弗症仿倾牌陷鸟轰咱菜闭奋庆撤泪茶疾缘播朗杜奶季丹"
    "狗尾仪偷奔珠虫驻孔宜艾桥淡翼恨繁寒伴叹旦愈潮粮缩罢聚径恰挑袋灰捕徐珍幕映裂泰隔启"
    "尖忠累炎暂估泛荒偿横拒瑞忆孤鼻闹羊呆厉衡胞零穷舍码赫婆魂灾洪腿胆津俗辩胸晓劲贫仁"
    "偶辑邦恢赖圈摸仰润堆碰艇稍迟辆废净凶署壁御奉旋冬矿抬蛋晨伏吹鸡倍糊秦盾杯租骑乏隆"
    "诊奴摄丧污渡旗甘耐凭扎抢绪粗肩梁幻菲皆碎宙叔岩荡综爬荷悉蒂返井壮薄悄扫敏碍殖详迪"
    "矛霍允幅撒剩凯颗骂赏液番箱贴漫酸郎腰舒眉忧浮辛恋餐吓挺励辞艘键伍峰尺昨黎辈贯侦滑"
    "券崇扰宪绕趋慈乔阅汗枝拖墨胁插箭腊粉泥氏彭拔骗凤慧媒佩愤扑龄驱惜豪掩兼跃尸肃帕驶"
    "堡届欣惠册储飘桑闲惨洁踪勃宾频仇磨递邪撞拟滚奏巡颜剂绩贡疯坡瞧截燃焦殿伪柳锁逼颇"
    "昏劝呈搜勤戒驾漂饮曹朵仔柔俩孟腐幼践籍牧凉牲佳娜浓芳稿竹腹跌逻垂遵脉貌柏狱猜怜惑"
    "陶兽帐饰贷昌叙躺钢沟寄扶铺邓寿惧询汤盗肥尝匆辉奈扣廷澳嘛董迁凝慰厌脏腾幽怨鞋丢埋"
    "泉涌辖躲晋紫艰魏吾慌祝邮吐狠鉴姻殡葬抚薪酬岗聘惩彰档谐覆陵"
)
_COMMON_TRADITIONAL = (
    "這個們來爲國說時會對於過發後裏種經麼學現當沒動還進樣開從實軍無與長機關點業將兩間"
    "問並應戰頭體見產話內給門兒東聲員論處義幾認條氣題爾別變總電數報結務場計資許統區隊"
    "決馬書則聽卻達強難權設記類據邊張該規萬覺術領確傳師觀讓識帶導爭運飛風幹聯組濟車親"
    "極辦議證轉準遠臺單羅愛擊備連調質團價黨華級離況亞請際約復線斷滿視須寫稱嗎輕農裝廣"
    "顯標談喫圖歷醫專費號盡較語僅隨選紅響雖勢參衆構節維劃敵陳態護興驗責營夠嚴續講終緊"
    "黃絕羣項圍織鬥雙紀採舉殺蘇訴細願錢網熱屬臉職樂剛狀獨彈創錯蘭試腦預誰陽繼驚傷藥適"
    "衛險陸習勞財環納歡獲負雲遊龍樹層衝範異漢簡擔靜積餘檢靈協佔徵揮勝階審堅媽劉讀壓銀"
    "買養懷執亂幫歲優鐵稅藝陣腳惡塊頓島戶評寶釋顧貨歐換聞壞討麗監臨艦魚雜誤灣減編測敗"
    "夢溫劍漸貴槍樓縣畫遺祕謝魯慮銷鍾詩趕劇損舊錄葉鄉禮婦歸飯額順輸搖脫補謂療澤滅筆鮮"
    "詞聖擇尋廠煙諾倫奧賣載宮陰園謀榮孫頂鎮練爺館礎寧紙諸訓莊絲戲隱訪軟薩夥盤擴蓋穩億"
    "擁楊齊賽牀虛購揚綠貿畢輪庫跡競棄偉緩潛閃燈針絡純頁傑築鄭貝吳圓殘誠寬擺毀趙麥蔣訂"
    "贊紛違匯幣豐藍獻萊譯奪燒觸課牆襲罰俠廳側韓債慣猶掛獎紹縱訊徹烏瑪鏡煩籤傾鳥轟閉奮"
    "慶淚緣儀蟲駐橋嘆糧縮罷徑啓暫償橫憶鬧厲窮碼災膽辯曉勁貧輯賴潤遲輛廢淨兇礦雞騎診攝"
    "喪憑搶緒巖蕩綜壯掃礙詳凱顆罵賞貼憂戀嚇勵辭鍵峯輩貫偵擾憲繞趨喬閱脅臘騙鳳憤撲齡驅"
    "躍屍肅駛屆冊儲飄閒慘潔蹤賓頻遞擬滾顏劑績貢瘋僞鎖頗勸駕飲倆踐涼濃邏脈獄憐獸帳飾貸"
    "敘鋼溝鋪鄧壽懼詢湯盜嘗輝遷厭髒騰丟湧轄晉艱郵鑑殯撫崗懲檔諧為裡眾啟汙偽説衞閲敍"
)
_COMMON = frozenset(_COMMON_SIMPLIFIED + _COMMON_TRADITIONAL)
_PINYIN = frozenset("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode the bytes of a text file; return (text with "\\n" newlines, encoding name).

    Order: byte-order mark; binary sniffing; strict UTF-8; GB18030 against BIG5 by which
    reading looks like ordinary Chinese; charset-normalizer; finally a reading that needs only a
    handful of replaced bytes. Raises `LoadError` ("binary" or "undecodable").
    """
    text, encoding = _decode(data)
    text = text.removeprefix("\ufeff")  # a second BOM, left by concatenating files
    if _control_share(text) > _BINARY_CONTROL_SHARE:
        raise LoadError("binary", "文件是二进制数据,不是文本")
    return _normalize_newlines(text), encoding


def _decode(data: bytes) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding.removesuffix("-sig"))
            except UnicodeDecodeError as exc:
                raise LoadError(
                    "undecodable", f"文件以 {encoding} 字节序标记开头,但内容无法按该编码解码"
                ) from exc
            return text, encoding

    if b"\x00" in data[:65536]:
        sniffed = _sniff_utf16(data)
        if sniffed is not None:
            return sniffed
        data = data.rstrip(b"\x00")  # zero padding after the text, left by a crash or a tool
        if b"\x00" in data[:65536]:
            raise LoadError("binary", "文件是二进制数据,不是文本")
    sample = data[:65536]
    if sum(b in _CONTROL_BYTES for b in sample) > _BINARY_CONTROL_SHARE * len(sample):
        raise LoadError("binary", "文件是二进制数据,不是文本")

    utf8 = _strict_utf8(data)
    if utf8 is not None and (utf8.isascii() or max(utf8) >= "\u0800"):
        return utf8, "utf-8"
    candidates = _chinese_candidates(data)
    # Valid UTF-8 with only two-byte sequences (Latin, Greek, Cyrillic, C1 controls) still loses
    # to a GB18030/BIG5 reading that is ordinary Chinese: a few GBK characters, say "职业"
    # (D6B0 D2B5), happen to be well-formed UTF-8 too.
    if utf8 is not None and not (
        candidates and candidates[0][0] <= _CONFIDENT and candidates[0][0] < implausibility(utf8)
    ):
        return utf8, "utf-8"
    # Short data gives the statistics little to go on; a mediocre Chinese reading of it beats
    # charset-normalizer's guess, which on a few bytes is often Korean or Cyrillic.
    limit = _PLAUSIBLE if len(data) < _SHORT_BYTES else _CONFIDENT
    if candidates and candidates[0][0] <= limit:
        return candidates[0][2], candidates[0][1]

    lenient = _decode_with_few_errors(data, ("utf-8",))
    if lenient is not None:
        return lenient

    from charset_normalizer import from_bytes  # imported lazily: it is rarely needed

    best = from_bytes(data).best()
    if best is not None and best.encoding:
        return str(best), best.encoding
    if candidates:
        return candidates[0][2], candidates[0][1]
    lenient = _decode_with_few_errors(data, ("gb18030", "big5"))
    if lenient is not None:
        return lenient
    raise LoadError("undecodable", "无法识别文件编码(不是 UTF-8、GB18030、BIG5 等常见编码)")


def _strict_utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A file cut off in the middle of its last character is still UTF-8.
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            try:
                return data[: exc.start].decode("utf-8")
            except UnicodeDecodeError:
                pass
    return None


def _chinese_candidates(data: bytes) -> list[tuple[float, str, str]]:
    """(implausibility, encoding, text) of each strict GB18030/BIG5 reading, best first."""
    candidates: list[tuple[float, str, str]] = []
    for encoding in ("gb18030", "big5", "cp950"):
        if encoding == "cp950" and any(c[1] == "big5" for c in candidates):
            continue  # cp950 only extends big5; it is needed only where big5 failed
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append((implausibility(text), encoding, text))
    # A stable sort keeps GB18030 first on a tie: this is a mainland corpus.
    candidates.sort(key=lambda c: c[0])
    return candidates


def _decode_with_few_errors(data: bytes, encodings: tuple[str, ...]) -> tuple[str, str] | None:
    """A reading in which only a handful of bytes (at most 1 in 500) are damaged."""
    for encoding in encodings:
        text = data.decode(encoding, errors="replace")
        damaged = text.count("\ufffd")
        if damaged <= max(4, len(data) // 500) and implausibility(text) <= _CONFIDENT:
            return text, encoding
    return None


def _sniff_utf16(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a byte-order mark: the zero high bytes of ASCII fall on one side only."""
    if len(data) % 2:
        return None
    even_zeros = data[0::2].count(0)
    odd_zeros = data[1::2].count(0)
    # Some CJK characters have a zero low byte too (U+4E00 "一"), so only mostly one side.
    if odd_zeros > 4 * even_zeros:
        encoding = "utf-16-le"
    elif even_zeros > 4 * odd_zeros:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    if "\x00" in text or _control_share(text) > _BINARY_CONTROL_SHARE:
        return None
    if implausibility(text) > _CONFIDENT:
        return None
    return text, encoding


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    sample = text[:65536]
    controls = sum(
        1 for ch in sample if ch not in _TEXT_CONTROLS and unicodedata.category(ch) == "Cc"
    )
    return controls / len(sample)


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def implausibility(text: str) -> float:
    """How unlike ordinary Chinese a decoded text is: mean penalty per non-ASCII character.

    0 for frequent characters and common punctuation, 1 for other unified ideographs, more for
    what a wrong GB18030/BIG5 reading produces: private-use, kana, bopomofo, Greek, box drawing,
    rare extension ideographs. Pure-ASCII text scores 0.
    """
    total = 0.0
    count = 0
    for ch in text[:100_000]:
        if ch < "\x80" or ch.isspace():
            continue
        count += 1
        total += _penalty(ch)
    return total / count if count else 0.0


def _penalty(ch: str) -> float:
    if ch in _COMMON:
        return 0.0
    cp = ord(ch)
    if 0x4E00 <= cp <= 0x9FFF:
        return 1.0
    if 0x3000 <= cp <= 0x303F or 0xFF01 <= cp <= 0xFF5E or 0x2010 <= cp <= 0x2027:
        return 0.0  # CJK and full-width punctuation, dashes, quotes, ellipsis
    if 0x2460 <= cp <= 0x24FF or 0x2160 <= cp <= 0x217F or 0x3220 <= cp <= 0x324F:
        return 0.5  # ①, Ⅳ, ㈠: numbering in official documents
    if 0xE000 <= cp <= 0xF8FF:
        return 5.0  # private use: a GB18030 reading of BIG5 punctuation lands here
    if 0x3100 <= cp <= 0x312F:
        return 4.0  # bopomofo: a BIG5 reading of GB punctuation lands here
    if 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF or cp > 0xFFFF:
        return 3.0
    if 0x3040 <= cp <= 0x30FF or 0x0370 <= cp <= 0x04FF or 0x2500 <= cp <= 0x259F:
        return 3.0  # kana, Greek, Cyrillic, box drawing
    if 0xFE10 <= cp <= 0xFE4F:
        return 3.0  # vertical forms
    if ch in _PINYIN:
        return 0.5  # GB2312 has a row of them: pinyin in Chinese text
    if 0xA0 <= cp <= 0xFF:
        return 2.0
    return 1.5


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
# Declared charsets that real pages exceed: decode with the superset.
_CHARSET_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "cp950"}
_SKIPPED_TAGS = frozenset({"script", "style", "head", "noscript", "template", "svg"})
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "li",
        "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot",
        "tr", "ul", "caption",
    }
)  # fmt: skip
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_CELLS = frozenset({"td", "th"})
_HTML_SPACES = re.compile(r"[ \t\n\r\f]+")


def _html_to_text(data: bytes) -> tuple[str, str]:
    html, encoding = _decode_html(data)
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception as exc:  # html.parser is lenient; this is a last-resort guard
        raise LoadError("corrupt", f"HTML 解析失败({exc})") from exc
    return parser.text(), encoding


def _decode_html(data: bytes) -> tuple[str, str]:
    """Decode HTML: a BOM or valid UTF-8 wins, else the `<meta charset>`, else detection."""
    if not any(data.startswith(bom) for bom, _ in _BOMS):
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        match = _META_CHARSET.search(data[:8192])
        if match:
            try:
                declared = codecs.lookup(match.group(1).decode("ascii")).name
            except (LookupError, UnicodeDecodeError):
                declared = None
            if declared:
                encoding = _CHARSET_SUPERSETS.get(declared, declared)
                try:
                    text = data.decode(encoding)
                except UnicodeDecodeError:
                    pass
                else:
                    return _normalize_newlines(text), encoding
    return decode_bytes(data)


class _TextExtractor(HTMLParser):
    """Visible text; blocks on their own lines, headings as markdown, cells joined by " | "."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skip: dict[str, int] = dict.fromkeys(_SKIPPED_TAGS, 0)
        self._pre = 0
        self._cell_open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip[tag] += 1
        elif tag == "body":
            self._skip["head"] = 0  # an unclosed <head> ends where <body> begins
        elif tag in _HEADINGS:
            self._parts.append("\n" + "#" * _HEADINGS[tag] + " ")
        elif tag in _CELLS:
            if self._cell_open:
                self._parts.append(" | ")
            self._cell_open = True
        elif tag in _BLOCK_TAGS:
            if tag == "tr":
                self._cell_open = False
            if tag == "pre":
                self._pre += 1
            self._parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIPPED_TAGS:  # a self-closed <script/> opens nothing
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip[tag] = max(0, self._skip[tag] - 1)
        elif tag in _HEADINGS or tag in _BLOCK_TAGS:
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
            if tag in ("tr", "table"):
                self._cell_open = False
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if any(self._skip.values()):
            return
        if self._pre:
            self._parts.append(_normalize_newlines(data))
            return
        data = _HTML_SPACES.sub(" ", data)
        if data.startswith(" ") and (not self._parts or self._parts[-1].endswith((" ", "\n"))):
            data = data[1:]  # spaces collapse across element boundaries too
        if data:
            self._parts.append(data)

    def text(self) -> str:
        lines = (line.strip() for line in "".join(self._parts).split("\n"))
        return "\n".join(line for line in lines if line and line.strip("#").strip())


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------

# CJK Radicals Supplement characters that stand for a whole character (after Unicode's
# EquivalentUnifiedIdeograph.txt); PDF fonts map simplified characters to these.
_RADICAL_SUPPLEMENT = {
    "⺠": "民", "⻄": "西", "⻅": "见", "⻆": "角", "⻉": "贝", "⻋": "车", "⻓": "长",
    "⻔": "门", "⻘": "青", "⻙": "韦", "⻚": "页", "⻛": "风", "⻜": "飞", "⻝": "食",
    "⻢": "马", "⻣": "骨", "⻤": "鬼", "⻥": "鱼", "⻦": "鸟", "⻧": "卤", "⻨": "麦",
    "⻩": "黄", "⻪": "黾", "⻬": "齐", "⻮": "齿", "⻰": "龙",
}  # fmt: skip


def _radical_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x2E80, 0x2FE0):
        ch = chr(cp)
        mapped = unicodedata.normalize("NFKC", ch)
        if mapped != ch:
            table[cp] = mapped
    for radical, ideograph in _RADICAL_SUPPLEMENT.items():
        table[ord(radical)] = ideograph
    return table


_RADICALS = _radical_table()


def map_radicals(text: str) -> str:
    """Kangxi radicals (U+2F00–U+2FDF) and whole-character CJK radical supplements → ideographs.

    PDF fonts often map common characters to look-alike radicals ("⼀⼈" for "一人"), which
    breaks search; only those code points change.
    """
    return text.translate(_RADICALS)


def _pdf_to_text(data: bytes) -> str:
    from pypdf import PdfReader  # imported lazily: only PDFs need it
    from pypdf.errors import DependencyError, FileNotDecryptedError

    if b"%PDF-" not in data[:1024]:
        raise LoadError("corrupt", "不是有效的 PDF 文件(缺少 PDF 文件头,可能已损坏或扩展名不符)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except DependencyError as exc:
                raise LoadError(
                    "encrypted", "PDF 已加密,当前环境缺少解密所需的组件,请提供未加密的版本"
                ) from exc
            if not unlocked:
                raise LoadError("encrypted", "PDF 设有打开密码,无法读取,请提供未加密的版本")
        pages = reader.pages
        if len(pages) == 0:
            raise LoadError("corrupt", "PDF 中没有任何页面")
        texts = []
        for number, page in enumerate(pages, start=1):
            try:
                texts.append(page.extract_text() or "")
            except LoadError:
                raise
            except Exception as exc:
                raise LoadError("corrupt", f"PDF 第 {number} 页无法解析({_short(exc)})") from exc
    except LoadError:
        raise
    except FileNotDecryptedError as exc:
        raise LoadError("encrypted", "PDF 设有打开密码,无法读取,请提供未加密的版本") from exc
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise LoadError("corrupt", f"PDF 文件已损坏,无法解析({_short(exc)})") from exc
    text = _normalize_newlines(map_radicals("\n".join(texts)))
    if not text.strip():
        raise LoadError("no_text_layer", "扫描版 PDF 没有文字层,无法提取文本")
    return text


def _short(exc: BaseException) -> str:
    detail = str(exc).strip() or type(exc).__name__
    return detail if len(detail) <= 120 else detail[:117] + "..."


# ---------------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------------

_NOT_DOCX = "不是有效的 DOCX 文件(可能已损坏或扩展名不符)"
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.I)


def _docx_to_text(data: bytes) -> str:
    _check_zip(data)
    import docx  # imported lazily: only DOCX files need it

    try:
        document = docx.Document(io.BytesIO(data))
        lines = []
        for block in document.iter_inner_content():
            if isinstance(block, docx.table.Table):
                lines.extend(_table_lines(block))
            else:
                line = _paragraph_line(block)
                if line:
                    lines.append(line)
    except LoadError:
        raise
    except Exception as exc:  # python-docx / lxml raise many kinds on damaged files
        raise LoadError("corrupt", f"{_NOT_DOCX}:{_short(exc)}") from exc
    return _normalize_newlines("\n".join(lines))


def _check_zip(data: bytes) -> None:
    """Refuse what is not a Word zip, and zips that would inflate far beyond their size."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise LoadError("corrupt", "这是旧版 Word(.doc)文件而不是 DOCX,请在 Word 中另存为 .docx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise LoadError("corrupt", _NOT_DOCX) from exc
    if len(members) > ZIP_MAX_MEMBERS:
        raise LoadError("zip_bomb", f"DOCX 内含 {len(members)} 个文件,疑似压缩炸弹")
    total = sum(m.file_size for m in members)
    if total > ZIP_MAX_TOTAL_BYTES:
        raise LoadError(
            "zip_bomb",
            f"DOCX 解压后共 {format_size(total)},超过 {format_size(ZIP_MAX_TOTAL_BYTES)} 上限,"
            "疑似压缩炸弹",
        )
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > ZIP_RATIO_MIN_MEMBER_BYTES and ratio > ZIP_MAX_RATIO:
            raise LoadError(
                "zip_bomb",
                f"DOCX 中的 {m.filename} 压缩比 {ratio:.0f}:1(解压后 {format_size(m.file_size)}),"
                "疑似压缩炸弹",
            )
    if "word/document.xml" not in {m.filename for m in members}:
        raise LoadError("corrupt", f"{_NOT_DOCX}:缺少 word/document.xml")


def _paragraph_line(paragraph) -> str:
    text = paragraph.text.strip()
    if not text:
        return ""
    level = _heading_level(paragraph)
    return f"{'#' * level} {text}" if level else text


def _heading_level(paragraph) -> int:
    """1–6 for a heading (by style name or outline level), else 0."""
    style = paragraph.style
    name = (style.name or "") if style is not None else ""
    match = _HEADING_STYLE.match(name.strip())
    if match:
        return min(int(match.group(1)), 6)
    for element in (paragraph._p, style.element if style is not None else None):
        level = _outline_level(element)
        if level is not None:
            return level
    return 0


def _outline_level(element) -> int | None:
    """Word's outline level (0–8 headings, 9 body text) from a paragraph or style element."""
    if element is None:
        return None
    from docx.oxml.ns import qn

    ppr = element.find(qn("w:pPr"))
    node = ppr.find(qn("w:outlineLvl")) if ppr is not None else None
    if node is None:
        return None
    try:
        value = int(node.get(qn("w:val")))
    except (TypeError, ValueError):
        return None
    return min(value + 1, 6) if 0 <= value <= 8 else 0


def _table_lines(table) -> list[str]:
    lines = []
    for row in table.rows:
        cells = []
        previous = None
        for cell in row.cells:
            if previous is not None and cell._tc is previous:
                continue  # a merged cell repeats across the columns it spans
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            lines.append(" | ".join(cells))
    return lines
