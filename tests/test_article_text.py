"""The article text a build keeps: each block's unlinked runs, and the passages and runs of graph.parse.articletext."""

from __future__ import annotations

from graph.arabic import fold, fold_with_offsets
from graph.parse.articletext import record
from graph.parse.content import parse_article
from tests.conftest import article_text

BODY = """مقدمة فيها **تسويق** و*محتوى* بلا روابط.

نص قبل [رابط داخلي](/target) ثم `شفرة برمجية` ثم ![صورة](x.png) وبعدها
سطر ثانٍ من الفقرة نفسها.

## قسم أول

- عنصر قائمة عن [هدف](/goal).

## أسئلة شائعة

### ما هو السؤال الأول؟

جواب أول.

### ما هو السؤال الثاني؟

جواب ثانٍ.

## قسم بلا نص

### فرع

فقرة الفرع الأولى.

فقرة الفرع الثانية.
"""


def _article(write_article, tmp_path):
    path = write_article("a.md", article_text(title="عنوان", description="وصف المقالة.", body=BODY))
    article, problems = parse_article(path, tmp_path / "content")
    assert article is not None, problems
    return article


def test_unlinked_runs_leave_out_links_code_and_images_and_keep_their_lines(write_article, tmp_path):
    blocks = _article(write_article, tmp_path).blocks
    plain = next(b for b in blocks if b.text.startswith("مقدمة"))
    assert plain.plain == ()  # emphasis only: the whole text, on the block's line
    mixed = next(b for b in blocks if b.text.startswith("نص قبل"))
    assert mixed.plain == ((mixed.line, "نص قبل"), (mixed.line, "ثم"), (mixed.line, "ثم"), (mixed.line, "وبعدها"),
                           (mixed.line + 1, "سطر ثانٍ من الفقرة نفسها."))
    assert "رابط داخلي" in mixed.text and "شفرة برمجية" in mixed.text  # the searchable text keeps them
    item = next(b for b in blocks if b.kind == "list_item")
    assert item.plain == ((item.line, "عنصر قائمة عن"), (item.line, "."))


def test_passages_by_heading_and_runs_without_headings(write_article, tmp_path):
    found = record(_article(write_article, tmp_path))
    assert found["slug"] == "a" and found["path"] == "a.md"
    passages = [(heading, text.split("\n")[0][:12]) for _, heading, _, text, _ in found["passages"]]
    assert passages[0] == (None, "وصف المقالة.")  # the description, line 0
    assert found["passages"][0][2] == 0
    assert ("عنوان", "مقدمة فيها ت") in passages  # the text before any section is under the title
    assert ("ما هو السؤال الأول؟", "جواب أول.") in passages  # an FAQ answer under its question
    assert ("قسم بلا نص", "") in passages  # a heading with no text of its own is searchable too
    branch = next(p for p in found["passages"] if p[1] == "فرع")
    assert branch[3] == "فقرة الفرع الأولى.\nفقرة الفرع الثانية."
    assert branch[4] == [[len("فقرة الفرع الأولى.") + 1, branch[2] + 2]]  # where the second block starts
    names = [section[3] for section in found["sections"]]
    assert names == ["قسم أول", "أسئلة شائعة", "قسم بلا نص", "فرع"]
    texts = [text for _, text in found["runs"]]
    assert not any("قسم" in text or "السؤال" in text or "رابط" in text or "شفرة" in text for text in texts)
    assert "جواب أول." in texts and "عنوان" not in texts


def test_fold_keeps_offsets_unless_a_mark_goes():
    assert fold("إدارة العلاقات؟") == "اداره العلاقات?"
    assert fold_with_offsets("تسويق").removed == ()
    for text in ("التَّسويق", "ـالتـسويق", "بِدَلْوٍ من الماءِ", "a\u200fb\u200f\u200fc"):
        folded = fold_with_offsets(text)
        assert "".join(text[folded.place(i)] for i in range(len(folded.text))) == folded.text
        assert folded.text == fold(text)
    assert fold_with_offsets("ﻻ").place(0) is None  # NFKC changed it: no single place
