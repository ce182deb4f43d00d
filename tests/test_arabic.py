"""Tests for graph.arabic: one test per normalisation rule, on words from content/*.md."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.arabic import LATIN_ACRONYM, is_arabic, match_key, normalize, strip_article, tokens

# Titles and phrases taken from the seed articles.
SEED_PHRASES = [
    "التسويق الفيروسي",
    "التسويق عبر وسائل التواصل الاجتماعي (SMM)",
    "وسائل التواصل الاجتماعي",
    "إدارة علاقات العملاء المستهدفة",
    "مع أكثر من 80٪ من المستهلكين أفادوا بأن وسائل التواصل الاجتماعي",
    "## ما هو التسويق الفيروسي؟",
    "تحدي دلو الثلج (ALS Ice Bucket Challenge)",
]


def test_nfkc_folds_presentation_forms_and_fullwidth():
    assert normalize("\ufefb\ufee3\ufe8e") == normalize("لاما")  # lam-alef ligature, isolated forms
    assert normalize("ＳＭＭ") == "smm"


def test_removes_tashkeel():
    assert normalize("التَّسْوِيقُ الفَيْرُوسِيُّ") == "التسويق الفيروسي"
    assert normalize("أيضًا") == "ايضا"
    assert normalize("تمكّن") == "تمكن"


def test_removes_superscript_alef_and_quranic_marks():
    assert normalize("هٰذا") == "هذا"
    assert normalize("الكتاب\u06d6 هدى\u06da") == "الكتاب هدي"


def test_removes_tatweel():
    assert normalize("التـسويق الفيـــروسي") == "التسويق الفيروسي"


def test_unifies_alef_forms():
    assert normalize("أكثر إدارة آخر ٱلتسويق") == "اكثر اداره اخر التسويق"


def test_alef_maqsura_to_yeh():
    assert normalize("على إلى مدى") == "علي الي مدي"


def test_teh_marbuta_to_heh():
    assert normalize("إدارة العلامة التجارية") == "اداره العلامه التجاريه"


def test_hamza_on_waw_and_yeh():
    assert normalize("يؤدي نتائج وسائل") == "يودي نتايج وسايل"


def test_arabic_indic_and_persian_digits_to_ascii():
    assert normalize("عام ٢٠٢٢") == "عام 2022"
    assert normalize("۱۸ عامًا") == "18 عاما"
    assert normalize("80٪") == "80%"


def test_removes_zero_width_and_bidi_marks():
    assert normalize("\ufeffوسا\u200cئل\u200d \u200fالتواصل\u200e") == "وسايل التواصل"


def test_casefolds_latin():
    assert normalize("SMM CRM YouTube Straße") == "smm crm youtube strasse"


def test_maps_arabic_punctuation():
    assert normalize("ما هو التسويق الفيروسي؟") == "ما هو التسويق الفيروسي?"
    assert normalize("العملاء، الشركات؛ المستهلكين") == "العملاء, الشركات; المستهلكين"


def test_collapses_whitespace():
    assert normalize("  التسويق\t\n الفيروسي\u00a0\u2003SMM  ") == "التسويق الفيروسي smm"
    assert normalize("") == ""
    assert normalize(" \u200c\t") == ""


@pytest.mark.parametrize("phrase", SEED_PHRASES)
def test_normalize_is_idempotent_on_seed_phrases(phrase):
    once = normalize(phrase)
    assert normalize(once) == once


@given(st.text())
def test_normalize_never_raises_and_is_idempotent(text):
    once = normalize(text)
    assert isinstance(once, str)
    assert normalize(once) == once


@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x0600, max_codepoint=0x06FF) | st.sampled_from(" \u0301\u200c")
    )
)
def test_normalize_idempotent_on_arabic_block(text):
    assert normalize(normalize(text)) == normalize(text)


@pytest.mark.parametrize(
    ("word", "stripped"),
    [
        ("التسويق", "تسويق"),
        ("والتفاعل", "تفاعل"),
        ("بالاضافه", "اضافه"),
        ("فالتسويق", "تسويق"),
        ("كالتسويق", "تسويق"),
        ("للشركات", "شركات"),
        ("تسويق", "تسويق"),
        ("الي", "الي"),  # إلى: only one letter would remain
        ("ال", "ال"),
        ("الX", "الX"),
        ("ال5G", "ال5G"),
    ],
)
def test_strip_article(word, stripped):
    assert strip_article(word) == stripped


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("التسويق الفيروسي", "تسويق فيروسي"),
        ("التسويق الفيروسي", "التَّسويق الفيروسيّ"),  # diacritics
        ("التـسويق الفيروسي", "التسويق الفيروسي"),  # tatweel
        ("إدارة علاقات العملاء", "اداره علاقات عملاء"),  # alef forms, teh marbuta, article
        ("العلامة التجارية", "علامه تجاريه"),  # teh marbuta
        ("وسائل التواصل الاجتماعي", "وسايل التواصل الاجتماعى"),  # hamza on yeh, alef maqsura
        ("للتسويق الفيروسي", "تسويق فيروسي"),  # prefixed article
        ("التسويق عبر وسائل التواصل الاجتماعي (SMM)", "تسويق عبر وسائل تواصل اجتماعي smm"),
    ],
)
def test_match_key_equivalences(a, b):
    assert match_key(a) == match_key(b)


def test_match_key_value_and_distinct_names():
    assert match_key("التسويق الفيروسي") == "تسويق فيروسي"
    assert match_key("التسويق الفيروسي") != match_key("التسويق الشفهي")


@pytest.mark.parametrize("phrase", SEED_PHRASES)
def test_match_key_agrees_with_strip_article_per_token(phrase):
    assert match_key(phrase) == " ".join(strip_article(word) for word in tokens(phrase))


def test_tokens():
    assert tokens("إدارة علاقات العملاء (CRM)") == ["اداره", "علاقات", "العملاء", "crm"]
    assert tokens("B-to-C، eWOM؟ 80٪ word_of_mouth") == ["b", "to", "c", "ewom", "80", "word", "of", "mouth"]
    assert tokens("") == []
    assert tokens(" ، ؟ ") == []


def test_is_arabic():
    assert is_arabic("التسويق الفيروسي")
    assert is_arabic("SMM هو")
    assert is_arabic("\ufefb")  # presentation-form ligature
    assert is_arabic("پ")  # Arabic-script letter outside the Arabic alphabet
    assert not is_arabic("Viral marketing")
    assert not is_arabic("٢٠٢٢ ، ؟")  # Arabic-Indic digits and punctuation are not letters
    assert not is_arabic("\u064e\u0640")  # a lone fatha / tatweel
    assert not is_arabic("")


@pytest.mark.parametrize(
    "word", ["SMM", "CRM", "ROI", "ALS", "AI", "B2B", "B-to-C", "COVID-19", "KPIs", "3Vs", "eWOM", "iOS"]
)
def test_latin_acronym_accepts(word):
    assert LATIN_ACRONYM.fullmatch(word)


@pytest.mark.parametrize(
    "word",
    [
        "Facebook",
        "YouTube",
        "MySpace",
        "Instagram",
        "eBay",
        "the",
        "A",
        "I",
        "Vs",
        "Is",
        "2022",
        "3-to-4",
        "word-of-mouth",
        "B-to",
        "ABCDEFGHIJK",
        "smm",
        "",
    ],
)
def test_latin_acronym_rejects(word):
    assert not LATIN_ACRONYM.fullmatch(word)
    assert not LATIN_ACRONYM.findall(word)


def test_latin_acronym_in_running_text():
    text = "يقود المسوقون (SMM) من الأعمال إلى المستهلك (B-to-C) وأدوات CRM على Facebook و YouTube بـROI"
    assert LATIN_ACRONYM.findall(text) == ["SMM", "B-to-C", "CRM", "ROI"]
