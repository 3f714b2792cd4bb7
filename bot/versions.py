"""Versions of a rule over time: which indexed documents are repealed by which, and which
evidence sentences state the same thing in another version of a document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ingest.meta import doc_kind, repealed_names, section_label
from ingest.normalize import compact
from ingest.schema import DocMeta


@dataclass(frozen=True)
class Repeal:
    """A document's repeal: the document that repeals or replaces it."""

    by_doc_id: str
    by: DocMeta

    @property
    def note(self) -> str:
        """What a citation of the repealed document says: "已被《X》(2021-09-01)废止"."""
        when = f"({self.by.date})" if self.by.date else ""
        return f"已被{section_label(self.by)}{when}废止或替代"


def _title_key(title: str) -> str:
    return compact(title.removeprefix("中华人民共和国"))


def repeal_map(metas: Mapping[str, DocMeta]) -> dict[str, Repeal]:
    """doc_id of each indexed document that another indexed document repeals -> that repeal.

    A repealed document is found by its document number, else by its exact title (a draft's
    "（试行）" included, so a regulation never repeals itself); it must be older when both
    documents are dated."""
    by_number: dict[str, list[str]] = {}
    by_title: dict[str, list[str]] = {}
    for doc_id, meta in metas.items():
        if meta.doc_number:
            by_number.setdefault(meta.doc_number, []).append(doc_id)
        by_title.setdefault(_title_key(meta.title), []).append(doc_id)
    found: dict[str, Repeal] = {}
    for new_id, new in metas.items():
        for title, number in repealed_names(new):
            targets = by_number.get(number, []) if number else []
            targets = targets or by_title.get(_title_key(title), [])
            for old_id in targets:
                old = metas[old_id]
                if old_id != new_id and not (old.date and new.date and old.date >= new.date):
                    found[old_id] = Repeal(new_id, new)
    return found


def same_lineage(a: DocMeta, b: DocMeta) -> bool:
    """Whether two documents could be versions of one rule: the same body (a known issuer),
    for the same province and city, issuing the same kind of document (a notice after a
    notice, a regulation after a regulation: a law and its implementing rules are not versions
    of each other), on different dates."""
    return (
        bool(a.issuer and a.date and b.date)
        and (a.issuer, a.province, a.city) == (b.issuer, b.province, b.city)
        and doc_kind(a.title) is doc_kind(b.title)
        and a.date != b.date
    )


def year_of(meta: DocMeta) -> str:
    """The year of a document's date ("2021"), or "" when it has none."""
    return meta.date[:4] if meta.date[:4].isdigit() else ""
