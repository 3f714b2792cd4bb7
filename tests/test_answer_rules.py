"""Table-driven rules of question analysis and the evidence check, with cases from the real
documents and the seeds: what a question names, and what evidence must say to answer it."""

from __future__ import annotations

import pytest

from bot.extractive import names_a_neighbour_role, names_document
from bot.question import (
    QType,
    analyse,
    asks_when,
    document_named,
    kind_asked,
    place_variants,
    without_titles,
)
from bot.retrieve import formal_names
from bot.sentences import (
    defines,
    has_number,
    opens_list,
    states_asked_money,
    states_asked_unit,
    states_only_a_target,
    states_the_asked_change,
    states_the_asked_polarity,
)
from ingest.meta import is_adoption_record
from ingest.schema import Chunk, DocMeta


@pytest.mark.parametrize(
    ("question", "document"),
    [
        ("社区矫正法第二十五条怎么规定的?", "社区矫正法"),
        ("反家暴法第2条", "反家暴法"),
        ("北京市志愿服务条例规定志愿者每年服务多少小时?", "北京市志愿服务条例"),
        ("按重庆市志愿服务条例，哪些情况要签协议?", "重庆市志愿服务条例"),
        ("《中华人民共和国慈善法》对募捐怎么规定", "慈善法"),
        (
            "浙江省实施《中华人民共和国慈善法》办法对慈善奖怎么规定",
            "浙江省实施中华人民共和国慈善法办法",
        ),
        # Phrases that name no document: a wrong name would refuse good answers.
        ("江苏的《通知》对各级民政部门提出了哪些要求？", ""),
        ("雅安市雨城区建强社工人才队伍的“三步法”是哪三步？", ""),
        ("被家暴了想去法院申请保护令", ""),
        ("有什么办法", ""),
        # A law named as the question's source, without 《》.
        ("社会救助暂行办法规定，低保标准由谁来定？", "社会救助暂行办法"),
        ("按慈善法，慈善信托要向谁备案？", "慈善法"),
        ("依照未成年人保护法，学校要做哪些事？", "未成年人保护法"),
        ("工作方法中有哪些要注意的？", ""),
        ("依法办事有什么要求？", ""),
    ],
)
def test_the_document_a_question_names(question: str, document: str) -> None:
    assert document_named(analyse(question).search) == document


def _chunk(title: str, province: str = "", city: str = "") -> Chunk:
    meta = DocMeta(title=title, province=province, city=city)
    return Chunk("c", "d", "s", "text", "text", title, 0, 4, meta)


@pytest.mark.parametrize(
    ("named", "title", "province", "names"),
    [
        ("反家暴法", "中华人民共和国反家庭暴力法", "全国", True),
        ("社区矫正法", "中华人民共和国社区矫正法", "全国", True),
        ("重庆市志愿服务条例", "重庆市志愿服务条例", "重庆", True),
        ("北京市志愿服务条例", "重庆市志愿服务条例", "重庆", False),  # another place's
        ("北京市志愿服务条例", "北京市未成年人保护条例", "北京", False),  # another subject
        ("慈善法", "广州市慈善促进条例", "广东", False),
        # A document implementing the named law is another document.
        ("社区矫正法", "中华人民共和国社区矫正法实施办法", "全国", False),
        ("慈善法", "浙江省实施《中华人民共和国慈善法》办法", "浙江", False),
        ("社区矫正法实施办法", "中华人民共和国社区矫正法实施办法", "全国", True),
    ],
)
def test_a_named_document_is_matched_by_title_and_place(named, title, province, names) -> None:
    assert names_document(named, _chunk(title, province)) is names


@pytest.mark.parametrize(
    ("asked", "text", "neighbour_only"),
    [
        ("助理社会工作师", "社会工作师每年继续教育不少于90小时", True),
        ("社会工作师", "助理社会工作师继续教育不少于72小时", True),
        ("助理社会工作师", "助理社会工作师不少于72小时，社会工作师不少于90小时", False),
        ("志愿者", "志愿服务组织应当为志愿者购买保险", False),
        ("社会工作者", "慈善组织应当公开年度报告", False),  # no role named: not a near miss
    ],
)
def test_evidence_about_a_neighbouring_role_is_a_near_miss(asked, text, neighbour_only) -> None:
    assert names_a_neighbour_role(asked, text) is neighbour_only


@pytest.mark.parametrize(
    ("sentence", "states"),
    [
        ("年满十六周岁的社区矫正对象有就业意愿的", True),
        ("可以并处违法所得一倍以上三倍以下的罚款", True),
        ("居民会议每年至少召开一次", True),
        ("民政部门应当予以登记，并不得收取费用", False),
    ],
)
def test_a_sentence_states_a_quantity_when_a_number_has_its_unit(sentence, states) -> None:
    assert has_number(sentence) is states


@pytest.mark.parametrize(
    ("question", "sentence", "states"),
    [
        ("公告期不得少于多少天?", "公告期不得少于六十日", True),
        # A date asked (哪一天 reads 哪1天 once normalised): a day of the month answers it.
        ("每年哪一天是志愿者日？", "每年3月5日为本市志愿者日。", True),
        ("每年哪一天是志愿者日？", "志愿者日由市人民政府确定，共计三天。", False),
        ("一次批下来能管多长时间?", "批准一次的有效期为六个月", True),
        ("管理费用的比例是多少?", "管理费用不得超过当年总支出的百分之十", True),
        ("多大岁数可以优先就医?", "七十周岁以上老年人就医优先", True),
        ("补贴多少钱?", "补贴标准由省民政厅确定", False),
        ("任期几年?", "由全体十八周岁以上的居民参加", False),  # an age is no term of office
        ("黑龙江已经建了多少个乡镇（街道）社工站？", "全省已建立社工站164个", True),
        ("北京建成多少个社区社工站?", "北京市已有920家社会工作服务机构", False),
        ("江苏建成多少个乡镇(街道)社工站?", "重点围绕以下5个方面开展示范点建设", False),
        # A calendar date is no length of time; a length right after 每年 still is.
        ("居委会成员每届任期几年?", "2017年4月20日上海市人大常委会通过", False),
        ("志愿者每年至少要服务多少个小时?", "每年3月5日为本市志愿者日", False),
        ("多长时间内作出决定?", "本条例自2021年9月1日起施行", False),
        ("北京的文身店能给十几岁的孩子文身吗?", "不得向未成年人提供文身服务", True),
        ("社工证多久要再登记?", "每3年进行再登记", True),
        ("不计入家庭收入最长多久?", "期限不少于六个月、最长不超过十二个月", True),
        ("评估意见要在多少个工作日内提交?", "应当在五个工作日内提交", True),
        # What is counted stands next to its number, not elsewhere in the sentence.
        ("建成了多少个乡镇(街道)社工站?", "已建成101个乡镇(街道)社工站", True),
        ("持证社工有多少人?", "力争持证社工达到1万人", True),
        ("建成了多少个社工站?", "根据社工站建设实际,重点围绕以下五个方面开展", False),
        ("共有多少名孤儿和困境儿童?", "孤儿每人每月不低于1000元", False),
        # How often: a period with 每, not a length of time.
        ("居民会议多久开一次?", "居民会议每季度召开一次", True),
        ("救助金多长时间发一次?", "本条例自2020年11月1日起施行", False),
        ("慈善奖几年评一次?", "每年9月为慈善月", False),
        ("社工证多久登记一次?", "每3年进行再登记", True),
        # 次 counts an action, which may stand clauses before its number.
        ("一年要开几次居民会议?", "居民会议由居民委员会召集，每年至少召开一次", True),
        ("培训不少于多少学时?", "每年组织一次集中培训", False),
        ("培训不少于多少学时?", "每年参加继续教育不少于72小时", True),
        ("学校周边多少米以内不能开网吧?", "本条例自2023年6月1日起施行", False),
        ("学校周边多少米以内不能开网吧?", "学校周边200米范围内不得设立", True),
    ],
)
def test_the_kind_of_quantity_asked_must_be_stated(question, sentence, states) -> None:
    assert states_asked_unit(analyse(question).search, sentence) is states


@pytest.mark.parametrize(
    ("question", "sentence", "states"),
    [
        ("驻站社工每月工资多少?", "已投入1488万元建设乡镇(街道)社会工作服务站", False),
        ("中央财政对每个社工站补助多少钱?", "已投入1488万元建设社工站", False),
        ("山东投入了多少财政资金?", "接收社会捐赠款物价值3000万元", False),
        ("社工证补贴有多少?", "新增证书补贴,从200至600元不等", True),
        ("社工的薪酬是多少?", "月工资能涨将近400元", True),
        ("慈善活动支出有什么比例要求?", "年度管理费用不得超过当年总支出的百分之十", True),
    ],
)
def test_the_kind_of_money_asked_must_be_the_kind_stated(question, sentence, states) -> None:
    assert states_asked_money(analyse(question).search, sentence) is states


@pytest.mark.parametrize(
    ("question", "sentence", "only_target"),
    [
        (
            "甘肃现在一共有多少家社会工作服务机构?",
            "到2025年,力争社会工作服务机构达到380家以上",
            True,
        ),
        ("目前已经建了多少个社工站?", "截至2023年底已建成101个,力争到2025年全覆盖", False),
        ("到2025年要建多少家机构?", "到2025年,力争社会工作服务机构达到380家以上", False),
    ],
)
def test_a_goal_is_no_answer_to_how_things_stand_now(question, sentence, only_target) -> None:
    assert states_only_a_target(analyse(question).search, sentence) is only_target


@pytest.mark.parametrize(
    ("question", "places"),
    [
        ("恩施州的社工站覆盖率是多少?", ["恩施州"]),
        ("湖北宜昌西陵区怎么做的?", ["宜昌", "西陵区"]),
        ("黔西南州投入了多少钱", ["黔西南州"]),
        ("社工站要达到哪些要求?", []),
    ],
)
def test_places_below_the_province_come_from_the_gazetteer(question, places) -> None:
    assert analyse(question).places == places


def test_a_county_is_also_found_by_its_prefecture() -> None:
    assert "宜昌" in place_variants("西陵区") and "恩施" in place_variants("恩施州")


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("志愿服务条例里说的“志愿服务”指的是什么？", "志愿服务"),
        ("未成年人保护法对“学生欺凌”是怎么界定的？", "学生欺凌"),
        ("禁毒社会工作是一种什么样的工作？", "禁毒社会工作"),
        ("什么是社会工作?", "社会工作"),
        # Of several quoted terms, the one quoted last before the asking.
        ("不得离开所居住的“市、县”，这里的“市”指什么？", "市"),
        ("社工站要达到哪些要求?", ""),
    ],
)
def test_the_term_a_definition_question_asks_about(question: str, subject: str) -> None:
    assert analyse(question).subject == subject


@pytest.mark.parametrize(
    ("question", "titles", "not_content", "content"),
    [
        ("按社会救助暂行办法，临时救助由谁负责？", [], "暂行办法", "临时救助"),
        ("北京市志愿服务条例对志愿者注册有什么规定？", [], "北京市", "注册"),
        (
            "在山东省反家庭暴力条例和国家反家庭暴力法里，罚款有什么不同？",
            ["反家庭暴力法"],
            "国家",  # names the national side, like a province's name
            "罚款",
        ),
        ("国务院志愿服务条例关于服务记录怎么规定？", ["志愿服务条例"], "条例", "服务记录"),
    ],
)
def test_the_names_of_documents_asked_about_are_no_content(
    question: str, titles: list[str], not_content: str, content: str
) -> None:
    asked = without_titles(analyse(question), titles)
    assert not any(not_content in term for term in asked.focus), asked.focus
    assert content in asked.content and any(t in content for t in asked.focus)


@pytest.mark.parametrize(
    ("question", "sides"),
    [
        ("浙江省社会救助条例和国务院社会救助暂行办法的说法一样吗？", ["浙江", "全国"]),
        ("山东省条例和国家反家庭暴力法的罚款有什么不同？", ["山东", "全国"]),
        ("甘肃和黑龙江的持证社工目标分别是多少?", ["甘肃", "黑龙江"]),
        # A law (法) is national, whoever names it: only the national legislature makes 法.
        ("未成年人保护法和北京市的条例对网吧的规定有什么不同？", ["北京", "全国"]),
        ("北京和上海的做法有什么区别？", ["北京", "上海"]),  # 做法 is no law
        ("全国社会工作专业人才总量的目标是多少？", []),  # no region: national is no side
    ],
)
def test_national_rules_are_a_side_of_a_comparison_with_a_region(question, sides) -> None:
    assert analyse(question).provinces == sides


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        ("社区矫正对象被用上电子定位装置，一次最长能用多久？", QType.NUMBER),
        ("申请后几天内要作出决定？", QType.NUMBER),
        ("多大岁数可以优先就医？", QType.NUMBER),
        ("一年至少开几次会？", QType.NUMBER),
        # 一 is read as 1 when a question is normalised: "哪一年" is still asked.
        ("要求在哪一年之前完成全员轮训？", QType.NUMBER),
        # A vague quantity asks for none.
        ("北京的文身店能给十几岁的孩子文身吗？", QType.GENERAL),
        ("特困人员供养包括哪些内容？", QType.LIST),
        # 有什么 asks a list, unless what it asks for is a rule ("有什么特别要求").
        ("对老年志愿者有什么特殊要求？", QType.REQUIREMENT),
        ("社区社会组织有什么优惠政策？", QType.LIST),
        ("禁毒社会工作是一种什么样的工作？", QType.DEFINITION),
        # Asking what a term means makes a definition question, whatever else it asks.
        ("本条例所称“社区社会组织”是什么意思？有哪几类？", QType.DEFINITION),
        ("慈善法中的“慈善信托”指哪些信托？", QType.DEFINITION),
        # What follows a breach; "怎么处理" asks for a procedure as often as for a sanction.
        ("违反规定会受到什么处罚？", QType.CONSEQUENCE),
        ("不按时报送年度报告会有什么后果？", QType.CONSEQUENCE),
        ("慈善项目结束后剩余财产怎么处理？", QType.GENERAL),
        # A message asking several things is of the kind its first question asks.
        ("养老机构的床位要达到多少张？没达到会被怎么处理？", QType.NUMBER),
        ("低保家庭可以养车吗？被查到会怎样？", QType.CONSEQUENCE),
    ],
)
def test_the_kind_of_question(question: str, qtype: QType) -> None:
    assert analyse(question).qtype is qtype


@pytest.mark.parametrize(
    ("question", "sentence", "states"),
    [
        ("唐山工会社工每月工资能涨多少？", "每月工资不仅能涨将近400元", True),
        ("唐山工会社工的基本工资是多少？", "每月工资不仅能涨将近400元", False),
        ("加薪制度每人每年加多少？", "工资已提到了现在的平均年薪3.5万元", False),
        ("外来务工人员每年增长多快？", "每年以19.64%的速率增加", True),
        # "增加到145万人" states a level.
        ("人才总量要达到多少？", "社会工作专业人才总量增加到145万人", True),
        ("月工资是多少？", "月工资2000元，今年又涨了200元", True),
    ],
)
def test_a_change_is_no_answer_to_a_level_nor_a_level_to_a_change(question, sentence, states):
    assert states_the_asked_change(analyse(question).search, sentence) is states


@pytest.mark.parametrize(
    ("line", "record"),
    [
        ("2014年7月31日浙江省第十二届人民代表大会常务委员会第十一次会议通过", True),
        ("2017年6月7日国务院第175次常务会议通过", True),
        (
            "（2014年2月21日中华人民共和国国务院令第649号公布　"
            "根据2019年3月2日《国务院关于修改部分行政法规的决定》修订）",
            True,
        ),
        ("本条例自2023年6月1日起施行。", False),
        ("2019年12月28日，民政部发布通知，要求各地加快社工站建设。", False),
    ],
)
def test_an_adoption_record_is_told_from_a_rule(line: str, record: bool) -> None:
    """A line recording a text's adoption answers no question but when it was adopted."""
    assert is_adoption_record(line) is record


@pytest.mark.parametrize(
    ("question", "when"),
    [
        ("浙江省社会救助条例是什么时候通过的?", True),
        ("慈善法哪一年修正的?", True),
        ("骗取社会救助会有什么后果?", False),
        ("多长时间内作出决定?", False),
    ],
)
def test_a_question_asking_when(question: str, when: bool) -> None:
    assert asks_when(analyse(question).search) is when


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("浙江和广州对备案的时间要求分别是多少天?", QType.NUMBER),
        ("国务院条例和重庆市条例对志愿者的定义有什么不一样?", QType.DEFINITION),
        ("河南和北京的条例各有哪些规定?", QType.LIST),
        ("每个县至少要建几所寄宿制学校?", QType.NUMBER),
    ],
)
def test_what_each_side_of_a_comparison_is_asked(question: str, kind: QType) -> None:
    assert kind_asked(analyse(question).search) is kind


@pytest.mark.parametrize(
    ("question", "sentence", "states"),
    [
        (
            "没有公开募捐资格的慈善组织能不能上街募捐?",
            "具有公开募捐资格的慈善组织可以在公共场所募捐",
            False,
        ),
        (
            "没有公开募捐资格的组织怎么募捐?",
            "不具有公开募捐资格的组织可以与具有公开募捐资格的慈善组织合作",
            True,
        ),
        ("不具备登记条件的组织会怎样?", "具备登记条件的组织，民政部门应当予以登记", False),
        (
            "具有公开募捐资格的组织要公开什么?",
            "具有公开募捐资格的慈善组织应当定期公开募捐情况",
            True,
        ),
    ],
)
def test_a_rule_for_those_having_something_does_not_answer_about_those_lacking_it(
    question: str, sentence: str, states: bool
) -> None:
    assert states_the_asked_polarity(analyse(question).search, sentence) is states


@pytest.mark.parametrize(
    ("question", "added"),
    [
        ("我家吃低保，孩子上大学有补助吗?", ["最低生活保障", "未成年人", "儿童"]),
        ("居委会多久换届?", ["居民委员会"]),
        ("最低生活保障标准怎么定?", []),  # the formal name is there already
    ],
)
def test_everyday_words_are_searched_with_their_formal_names(question, added) -> None:
    search = analyse(question).search
    assert formal_names(search).split() == added


@pytest.mark.parametrize(
    ("sentence", "opens"),
    [
        ("有下列情形之一的，应当停止救助：", True),
        ("下一步我们要重点完成好以下四个方面的工作。", True),
        ("具体形式如下。", True),
        ("下一步要重點完成好以下四個方面的工作。", True),  # traditional script
        # "以下" of a quantity, or of a short name, announces nothing.
        ("处五百元以上一千元以下。", False),
        ("本办法所称社区矫正对象（以下简称矫正对象）。", False),
        ("按照下列规定执行，不得拖延。", False),
    ],
)
def test_a_sentence_opens_a_list_with_a_colon_or_by_announcing_it(sentence, opens) -> None:
    assert opens_list(sentence) is opens


@pytest.mark.parametrize(
    ("term", "text", "defined"),
    [
        ("家庭暴力", "本法所称家庭暴力，是指家庭成员之间以殴打…", True),
        ("禁毒社会工作", "禁毒社会工作是运用社会工作专业理念…", True),
        ("市", "前款规定的市是指直辖市的城市市区…", True),
        ("学校", "（二）学校，是指普通中小学、特殊教育学校…", True),
        ("社会工作专业人才", "加强队伍建设。社会工作专业人才是具有一定专业知识…", True),
        ("市", "直辖市是指…", False),  # 直辖市 is defined, not 市
        ("志愿者", "志愿者可以参与志愿服务组织的活动。", False),
    ],
)
def test_a_sentence_defines_a_term_only_where_the_term_itself_is_defined(term, text, defined):
    assert defines(term, text) is defined
