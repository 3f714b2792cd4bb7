"""Turn a follow-up ("那黑龙江呢?") and the turns before it into a standalone question."""

from __future__ import annotations

import re

from bot.question import analyse, focus_terms, years_in
from ingest.normalize import normalize
from ingest.regions import provinces_in

MAX_HISTORY_TURNS = 6  # the conversation a follow-up may refer back to
_FOLLOW_UP = re.compile(r"^(那|那么|这个|那个|这|它|该|其|此|还有|另外|再|同样)")
# "北京呢?", "到2023年呢?": a phrase and 呢, nothing asked of its own.
_BARE_NE = re.compile(r"^[^,，。]{1,10}呢\W*$")


def bounded(history: list[dict]) -> list[dict]:
    """The last turns of a conversation, at most MAX_HISTORY_TURNS messages."""
    return [m for m in history if m.get("role") in ("user", "assistant")][-MAX_HISTORY_TURNS:]


def last_user_question(history: list[dict]) -> str:
    """The most recent question the user asked before this one."""
    for message in reversed(history):
        if message.get("role") == "user" and str(message.get("content", "")).strip():
            return str(message["content"]).strip()
    return ""


def depends_on_history(question: str) -> bool:
    """Whether a question leans on the conversation: it opens with a pointing word ("那…",
    "它的…", "这个…"), is a bare "X呢?", or names nothing of its own ("要多久?").

    A question with its own subject stands alone, however short: "北京有多少持证社工?",
    "什么是社会工作?"."""
    search = normalize(question).strip()
    if _FOLLOW_UP.match(search) or _BARE_NE.match(search):
        return True
    asked = analyse(search)
    return not asked.focus and not asked.provinces and not asked.places


def condense_by_rules(question: str, history: list[dict]) -> str:
    """A standalone question by rules: swap the region, or carry the earlier topic along."""
    previous = last_user_question(bounded(history))
    question = question.strip()
    if not previous or not depends_on_history(question):
        return question
    rest = re.sub(r"[那么呢吗\W]", "", normalize(question))
    swapped = normalize(previous)
    # "那黑龙江呢?" after "甘肃的持证社工目标是多少?": the same question about another region
    # (or, "那到2023年呢?", another year).
    for find in (provinces_in, years_in):
        new, old = find(question), find(previous)
        for name in new:
            rest = rest.replace(name, "")
        for o, n in zip(old, new, strict=False):
            swapped = swapped.replace(o, n)
    if swapped != normalize(previous) and len(re.sub(r"[到年的]", "", rest)) <= 4:
        return swapped
    # "这个补贴要什么条件?": the earlier question's topic says what "这个" refers to; its
    # question words ("有什么内容") would only blur what is asked now.
    topic = "".join(focus_terms(normalize(previous), []))
    return f"{topic} {question}"
