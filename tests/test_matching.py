"""Normalisation and matching, pure: no Telegram, no event loop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time as clock
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.examples import ExampleIndex
from bot.matching import ANSWER_MIN, MAX_MATCHES, Matcher, _doubted, guess_language
from bot.quality import evaluate, load_questions
from bot.termindex import _index_forms
from bot.textnorm import fold, latin, raw_tokens, surface


@pytest.fixture(scope="module")
def matcher(hagen):
    return Matcher(hagen)


@pytest.fixture(scope="module")
def needs_only(hagen):
    """The matcher without the examples' vote: what the needs and names alone make of a text.
    The danger vote keeps its everyday sentences (the examples' questions among them), as in
    the bot: without them, a few danger sentences outvote nothing."""
    matcher = Matcher(hagen)
    matcher.examples = ExampleIndex({})
    return matcher


def first(matcher, text, lang=None):
    result = matcher.match(text, lang)
    return result.matches[0].service_id if result.matches else None


# ---- normalisation --------------------------------------------------------------------------


def test_turkish_dotted_and_dotless_i_fold_together():
    assert fold("KİRA") == fold("kira") == fold("KIRA")
    assert latin(fold("ışık")) == "isik"


def test_diacritics_and_umlauts_are_optional():
    assert latin("Bürgeramt") == "burgeramt"
    assert latin("mulțumesc") == "multumesc"


def test_cyrillic_is_compared_in_latin_letters():
    assert latin("житло") == "zhitlo"
    assert surface("курсы") == "kursy"


def test_arabic_stays_in_its_script_but_hamza_and_ya_forms_are_unified():
    assert surface("أطفال") == surface("اطفال")
    assert surface("مستشفى") == surface("مستشفي")
    assert surface("الساعة") != surface("الصحة")


def test_inflections_meet_through_stemming():
    # (surface form, stem key): a question word meets a term word by the stem key
    assert _index_forms("wohnungen", "de")[1] == _index_forms("wohnung", "de")[1] is not None
    assert _index_forms("курсы", "ru")[1] == _index_forms("курсов", "ru")[1] is not None


def test_only_arabic_terms_lose_the_article():
    assert _index_forms("المستشفى", "ar")[0] == _index_forms("مستشفى", "ar")[0]
    # Persian 'الکل' (alcohol) is one word: it must not become 'کل' (all, whole)
    assert _index_forms("الکل", "fa")[0] != _index_forms("کل", "fa")[0]


# ---- matching -------------------------------------------------------------------------------


def test_resident_asks_in_turkish_and_gets_housing_benefit(matcher):
    result = matcher.match("kira yardımı nasıl alırım", "tr")
    assert result.decision == "answer"
    assert result.matches[0].service_id == "wohngeld-hagen"


def test_typos_and_missing_umlauts_still_find_the_service(matcher):
    assert first(matcher, "schuldnerberatug") in {
        "schuldnerberatung-diakonie",
        "schuldnerberatung-stadt-hagen",
    }
    assert first(matcher, "buergeramt termin") == "buergeramt-hagen"
    assert first(matcher, "auslanderbehorde") == "auslaenderbehoerde-hagen"


def test_cyrillic_typed_in_latin_letters_is_understood(matcher):
    assert first(matcher, "kursy nemetskogo") == "vhs-hagen"


def test_arabic_typed_in_latin_letters_is_understood(matcher):
    assert first(matcher, "mustashfa") == "klinikum-hagen"


def test_german_word_inside_a_turkish_sentence(matcher):
    assert first(matcher, "anmeldung yapmam lazım adres kaydı", "tr") == "buergeramt-hagen"


def test_german_compound_contains_the_keyword(matcher):
    assert first(matcher, "Schuldnerberatungsstelle") in {
        "schuldnerberatung-diakonie",
        "schuldnerberatung-stadt-hagen",
    }


def test_a_long_story_is_matched_on_its_substance(matcher):
    story = (
        "Guten Tag. Wir wohnen seit drei Jahren in Altenhagen. Seit dem Winter ist Schimmel "
        "im Kinderzimmer und die Heizung ist kaputt. Der Vermieter antwortet nicht mehr. "
        "Was können wir tun?"
    )
    assert first(matcher, story) == "mieterverein-hagen"


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Mein Mann schlägt mich", "de"),
        ("kocam beni dövüyor", "tr"),
        ("زوجي يضربني", "ar"),
        ("чоловік б'є мене", "uk"),
        ("муж бьет меня", "ru"),
        ("my husband hits me", "en"),
        ("sotul ma bate", "ro"),
        ("мъжът ми ме бие", "bg"),
        ("maz mnie bije", "pl"),
        ("شوهرم مرا کتک می زند", "fa"),
        ("mere min li min dixe", "ku"),
    ],
)
def test_violence_gets_emergency_entries_first_in_every_language(matcher, text, lang):
    result = matcher.match(text, lang)
    assert result.decision == "answer"
    assert result.emergencies
    assert result.matches[0].urgent


@pytest.mark.parametrize(
    "text",
    [
        "ich will nicht mehr leben",
        "i want to kill myself",
        "intihar etmek istiyorum",
        "хочу померти",
    ],
)
def test_suicidal_thoughts_get_the_crisis_line(matcher, text):
    result = matcher.match(text)
    assert result.matches[0].urgent
    assert (
        "telefonseelsorge" in [m.service_id for m in result.emergencies]
        or result.matches[0].service_id == "notruf-112"
    )


def test_a_medical_emergency_gets_112_and_the_place_asked_for_follows(matcher):
    result = matcher.match("my father has chest pain, where is the hospital", "en")
    ids = [m.service_id for m in result.matches]
    assert result.danger == ("medical",)
    assert ids[0] == "notruf-112"
    assert "klinikum-hagen" in ids[:3]


def test_asking_where_the_emergency_room_is_is_no_alarm(matcher):
    result = matcher.match("where is the hospital emergency room", "en")
    assert result.matches[0].service_id == "klinikum-hagen"


def test_an_emergency_category_label_alone_is_not_an_emergency(matcher):
    # 'Acîl' is the Kurdish label of the emergency category; Turkish 'acil servis' means the
    # hospital's emergency department, which is an ordinary place to be sent to.
    result = matcher.match("hastane acil servis", "tr")
    assert "klinikum-hagen" in [m.service_id for m in result.matches[:3]]


@pytest.mark.parametrize(
    "text", ["hallo", "Merhaba!", "danke schön", "спасибо", "شكرا", "thanks", "dziękuję"]
)
def test_greetings_and_thanks_get_the_help_text_not_a_service(matcher, text):
    result = matcher.match(text)
    assert result.decision == "greeting"
    assert result.matches == ()


def test_a_greeting_with_a_question_is_a_question(matcher):
    assert matcher.match("Hallo, ich brauche einen Deutschkurs").decision == "answer"


@pytest.mark.parametrize(
    "text",
    [
        "wie wird das wetter morgen",
        "yarın hava nasıl olacak",
        "كم الساعة الآن",
        "яка погода завтра",
    ],
)
def test_out_of_scope_questions_are_not_answered_confidently(matcher, text):
    assert matcher.match(text).decision in ("escalate", "suggest")


@pytest.mark.parametrize("text", ["", "   ", "?!?!", "😀😀", "1234"])
def test_empty_or_symbol_only_input_escalates_without_error(matcher, text):
    assert matcher.match(text).decision == "escalate"


def test_a_ten_thousand_character_message_is_handled(matcher):
    text = ("Ich suche einen Deutschkurs. " + "bla " * 3000)[:10_000]
    started = clock.perf_counter()
    result = matcher.match(text)
    assert result.matches[0].service_id == "vhs-hagen"
    assert (
        clock.perf_counter() - started < 5
    )  # generous: a guard against pathological cost, not a timing test


def test_at_most_five_matches_best_first(matcher):
    result = matcher.match("beratung hilfe geld schulden miete wohnung essen")
    assert len(result.matches) <= MAX_MATCHES
    scores = [m.score for m in result.matches]
    # Best first; a second need's best service may come second even if it scores less.
    assert scores[0] == max(scores)
    assert all(0 <= s <= 100 for s in scores)


def test_language_guess_uses_script_and_keywords(matcher):
    assert matcher.match("kira yardımı").lang == "tr"
    assert matcher.match("زوجي يضربني").lang == "ar"
    assert matcher.match("шوهرم").lang in ("ar", "fa")
    assert matcher.match("житлова допомога").lang == "uk"
    assert guess_language("hello there") in ("de", "en")
    assert matcher.match("anything", "pl").lang == "pl"


def test_the_labelled_question_set_meets_the_quality_bars(matcher):
    questions = load_questions(Path(__file__).parent / "questions.yaml")
    assert len(questions) >= 150
    assert len({q.lang for q in questions}) >= 8
    report = evaluate(matcher, questions)
    total = report.total()
    assert report.rate(total.top3, total.in_scope) >= 0.85
    assert report.rate(total.false_answers, total.out_of_scope) <= 0.15
    assert report.emergencies > 0 and report.emergencies_first == report.emergencies


def test_every_question_set_expects_only_entries_the_directory_has(hagen):
    """A set that expects a removed entry counts a miss the bot cannot avoid."""
    known = {s.id for s in hagen.services}
    root = Path(__file__).parent
    sets = [root / "questions.yaml", *sorted(p for p in root.glob("dev*") if p.is_dir())]
    sets += sorted(p for p in root.glob("heldout*") if p.is_dir())
    for path in sets:
        for question in load_questions(path):
            assert set(question.expect) <= known | {"out", "greeting"}, (path, question.text)


# ---- the reported failures: false friends, common words, plain needs --------------------------


@pytest.mark.parametrize(
    "text, lang, wrong",
    [
        ("مكتب العمل", "ar", "stadtbuecherei-hagen"),  # office, not library (مكتبة)
        ("مكتب الأجانب", "ar", "stadtbuecherei-hagen"),
        ("schule für mein kind", "de", "schuldnerberatung-diakonie"),  # school, not debts
        ("schule für mein kind", "de", "kinderschutzbund-kleiderladen"),  # not 'schuhe'
        ("ich suche arbeit", "de", "gesundheitsamt-hagen"),  # 'suche' is not 'sucht'
    ],
)
def test_distinct_words_are_not_merged(matcher, text, lang, wrong):
    result = matcher.match(text, lang)
    assert wrong not in [m.service_id for m in result.matches[:3]]


def test_a_language_typed_in_latin_letters_is_not_read_as_a_latin_one(matcher):
    # Bulgarian in Latin letters: 'buzata' (the lip) is not Romanian 'abuzată' (abused).
    result = matcher.match("zub me boli uzhasno, subota e, buzata mi se podu", "bg")
    assert "sexual-violence" not in dict(result.needs)
    # German under a Ukrainian Telegram is German.
    result = matcher.match("ich suche eine wohnung", "uk")
    assert result.needs[0][0] == "flat-search"
    # … and under a Kurdish or Romanian one, written in Latin letters too.
    text = "Mein Sohn 12 Jahre, neu aus Irak gekommen, welche Schule? Er spricht kein Deutsch"
    for lang in ("ku", "ro"):
        first = matcher.match(text, lang).matches[0].service_id
        assert first == "ki-seiteneinsteigerberatung-hagen", lang


@pytest.mark.parametrize(
    "text, lang, wrong",
    [
        ("kiz kardesim okula gitmiyor", "tr", "child-supplement"),  # kız (girl), not KiZ
        ("it is cheap but good", "en", "education-participation"),  # but, not BuT
        ("where can i eat for free", "en", "residence-permit"),  # eat, not eAT
    ],
)
def test_an_official_abbreviation_is_not_an_ordinary_word_of_another_language(
    matcher, text, lang, wrong
):
    assert wrong not in dict(matcher.match(text, lang).needs)


@pytest.mark.parametrize(
    "text, lang, need",
    [("KiZ beantragen", "tr", "child-supplement"), ("BuT antrag", "en", "education-participation")],
)
def test_an_official_abbreviation_written_as_on_the_letter_counts(matcher, text, lang, need):
    assert matcher.match(text, lang).needs[0][0] == need


def test_an_emergency_need_is_never_met_by_a_typo(matcher):
    # Persian in Latin letters: 'begiram' (I learn) is one letter from 'bemiram' (I die).
    result = matcher.match("man 15 salame, ye ja mikham ke music yad begiram, majani bashe", "fa")
    assert "suicidal-thoughts" not in dict(result.needs)
    assert "telefonseelsorge" not in [m.service_id for m in result.matches]


@pytest.mark.parametrize(
    "text, lang",
    [
        ("gibt es in hagen einen guten friseur", "de"),
        ("хороший парикмахер в хагене", "ru"),
        ("بهاغن في حلاق منيح؟", "ar"),
        ("is there a good hairdresser in hagen", "en"),
    ],
)
def test_the_city_name_alone_suggests_nothing(matcher, text, lang):
    # Need phrases such as "new in Hagen" once made every question naming the city suggest
    # the migration service or the Jobcenter.
    assert matcher.match(text, lang).decision == "escalate"


def test_a_german_separable_verb_is_read_as_one_word():
    from bot.termindex import separable_verbs

    skip = frozenset({"wie", "der", "die", "ich", "mich"})
    assert separable_verbs("Wie melde ich meine Tochter an der Grundschule an?", skip) == [
        "anmelden"
    ]
    assert separable_verbs("ich ziehe nächste Woche um, was nun", skip) == ["umziehen"]
    assert separable_verbs("der Vermieter stellt die Heizung nicht an", skip) == ["anstellen"]
    assert separable_verbs("wo ist das Amt an der Ecke", skip) == []  # 'an' inside the clause


def test_common_words_carry_no_match_and_raise_no_alarm(matcher):
    result = matcher.match("ich verstehe meinen brief nicht", "de")
    assert result.danger == ()
    assert result.matches[0].service_id != "notruf-112"
    assert not matcher.match("mein freund kommt jeden tag", "de").danger
    # 'jeden' is German, not Polish 'jedzenie' (food)
    assert "warenkorb-caritas" not in [
        m.service_id for m in matcher.match("jeden tag", "de").matches[:3]
    ]


@pytest.mark.parametrize(
    "text, lang, expected",
    [
        ("integrationskurs anmelden", "de", "vhs-hagen"),
        ("ich suche arbeit", "de", "jobcenter-hagen"),
        ("iş arıyorum", "tr", "jobcenter-hagen"),
        ("ищу работу", "ru", "jobcenter-hagen"),
        ("stromsperre angedroht", "de", "verbraucherzentrale-hagen"),
        ("цвіль у квартирі", "uk", "mieterverein-hagen"),
        ("gıda yardımı", "tr", "warenkorb-caritas"),
        ("ich suche eine wohnung", "de", "wohngeld-hagen"),
        ("مكتب العمل", "ar", "jobcenter-hagen"),
    ],
)
def test_plain_needs_are_understood(matcher, text, lang, expected):
    result = matcher.match(text, lang)
    assert result.decision in ("answer", "suggest")
    assert expected in [m.service_id for m in result.matches[:3]]


def test_german_official_words_count_in_every_language(matcher):
    for text, lang in [
        ("Mahnung geldim", "tr"),
        ("отримала Mahnung", "uk"),
        ("وصلني Mahnung", "ar"),
    ]:
        ids = [m.service_id for m in matcher.match(text, lang).matches[:3]]
        assert "schuldnerberatung-diakonie" in ids or "schuldnerberatung-stadt-hagen" in ids, text


def test_a_question_with_two_needs_gets_both(matcher):
    result = matcher.match("hilfe mit miete und essen", "de")
    ids = [m.service_id for m in result.matches[:3]]
    food = {
        "warenkorb-caritas",
        "suppenkueche-hagen",
        "luthers-waschsalon",
        "kinderschutzbund-hagen",
    }
    assert food & set(ids)
    assert {"wohngeld-hagen", "mieterverein-hagen", "wohnraumsicherung-hagen"} & set(ids)


def test_a_need_no_service_serves_is_recognised_but_not_answered(matcher):
    result = matcher.match("tierarzt zu teuer", "de")
    assert result.decision == "escalate"
    assert result.needs and result.needs[0][0] == "pet-help"


def test_a_script_other_than_the_chosen_language_is_read_as_what_it_is(matcher):
    result = matcher.match("أين المستشفى", "en")
    assert result.matches[0].service_id == "klinikum-hagen"


def test_one_huge_word_costs_little(matcher):
    started = clock.perf_counter()
    matcher.match("a" * 4096 + " wohngeld", "de")
    assert clock.perf_counter() - started < 2  # a guard against pathological cost only


def test_apostrophes_do_not_split_words():
    assert raw_tokens("I don't want") == ["i", "dont", "want"]


def test_a_phrase_that_says_not_needs_a_question_that_says_not(matcher):
    # "will nicht in die Schule" is school refusal; without the "nicht" it is a change of school
    refusing = matcher.match("meine tochter will nicht mehr in die schule", "de")
    assert refusing.matches[0].service_id == "schulpsychologische-beratung-hagen"
    changing = matcher.match("meine tochter will in die schule in altenhagen wechseln", "de")
    assert "school-problems" not in dict(changing.needs)
    # the negation may be joined to a conjunction, as in Arabic "وما"
    sleeping = matcher.match("وصلت عالمحطة بالليل وما عندي وين نام", "ar")
    assert "homelessness" in dict(sleeping.needs)


def test_a_service_named_in_passing_comes_after_the_one_asked_about(matcher):
    # the Jobcenter sends residents to the integration course; the course is booked elsewhere
    for text, lang in (
        ("Das Jobcenter sagt, ich muss einen Integrationskurs machen, wo melde ich mich an?", "de"),
        ("Jobcenter integrationskurs yapmam lazım diyor, nereye kayıt olacağım", "tr"),
    ):
        asked = [m.service_id for m in matcher.match(text, lang).matches]
        assert asked[0] == "vhs-hagen" and "jobcenter-hagen" in asked[1:3], text
    # named and asked about
    assert matcher.match("wo ist das jobcenter", "de").matches[0].service_id == "jobcenter-hagen"


def test_german_office_words_spelled_by_ear_in_cyrillic(matcher):
    # Vorsorgevollmacht and Patientenverfügung as a Russian speaker hears them
    heard = matcher.match("где помогут составить форзоргефольмахт и патиентенферфюгунг", "ru")
    assert heard.matches[0].service_id == "skf-hagen"
    assert heard.decision == "answer"
    # Egyptian Arabic writes German g as ج: "the Bürgergeld", "the Kindergeld"
    assert "citizens-income" in dict(matcher.match("عايز اقدم على البورجرجلد", "ar").needs)
    assert "child-benefit" in dict(matcher.match("الكيندرجلد مقطوع من ٣ شهور", "ar").needs)
    # the sound alone is not enough: "инвалидной" sounds like "Anwältin" but looks nothing like it
    assert "legal-advice" not in dict(
        matcher.match("вокзал, я на инвалидной коляске, нужна помощь", "ru").needs
    )


def test_violence_in_a_family_with_children_puts_the_police_first(matcher):
    for text, lang in (
        ("kocam yine dövdü şimdi kapıda bağırıyor çocuklar ağlıyor yardım edin", "tr"),
        ("у соседей опять бьют ребенка, он кричит прямо сейчас", "ru"),
    ):
        result = matcher.match(text, lang)
        assert {"violence", "child"} <= set(result.danger), text
        assert result.matches[0].service_id == "polizei-110", text


def test_an_age_alone_is_no_phrase(matcher):
    # "ich bin 15" was a phrase of the children's helpline: every question with a 15 met it
    asked = matcher.match("are there free things for teenagers to do? my boy is 15", "en")
    assert "kids-helpline" not in dict(asked.needs)


@pytest.mark.parametrize(
    "text, lang, first",
    [
        # The hospital is where the baby was born; the birth certificate is the question.
        (
            "wir waren mit unserer tochter im krankenhaus, jetzt brauchen wir eine geburtsurkunde",
            "de",
            "standesamt-hagen",
        ),
        # Someone to talk to, about nightmares after the war: the centre for refugees' trauma.
        (
            "seit dem krieg habe ich albträume und brauche jemanden zum reden",
            "de",
            "psz-gefluechtete-diakonie-hagen",
        ),
        # A Mahnung is the form, the electricity debt is the need: the energy debt advice, the
        # Jobcenter's loan (how tests/dev9 labels it first) or the default supplier, who must
        # offer instalments after a cut-off warning - not the debt counselling.
        (
            "Mahnung vom Stromanbieter 480 € und jetzt steht da Sperrandrohung",
            "de",
            ("verbraucherzentrale-hagen", "jobcenter-hagen", "mark-e-grundversorger-hagen"),
        ),
        ("متأخر بالاجار ٣ شهور وصاحب البيت بعتلي Mahnung تانية", "ar", "wohnraumsicherung-hagen"),
        # ... and a Mahnung alone goes to the debt counselling.
        (
            "ich habe eine mahnung bekommen und kann nicht zahlen",
            "de",
            "schuldnerberatung-diakonie",
        ),
        # "Which office is it?" with the matter named: the office for that matter, not the
        # city's information line.
        (
            "das jobcenter sagt für elterngeld sind sie nicht zuständig, wer macht das dann",
            "de",
            "versorgungsamt-elterngeld",
        ),
        ("после развода хочу вернуть девичью фамилию, куда с этим идти", "ru", "standesamt-hagen"),
    ],
)
def test_a_specific_need_comes_before_a_broad_one(needs_only, text, lang, first):
    """What the needs alone make of it (the examples may vote otherwise, and are tested so)."""
    expected = first if isinstance(first, tuple) else (first,)
    assert needs_only.match(text, lang).matches[0].service_id in expected


def test_a_benefit_said_on_the_way_yields_to_what_it_makes_one_eligible_for(matcher):
    result = matcher.match(
        "Schulausflug kostet 120 Euro, wir kriegen Bürgergeld, wer zahlt das", "de"
    )
    assert result.matches[0].service_id == "bildung-teilhabe-hagen"
    assert matcher.match("Bürgergeld beantragen", "de").matches[0].service_id == "jobcenter-hagen"


def test_a_broad_need_asked_alone_is_answered(matcher):
    result = matcher.match("wo ist das nächste krankenhaus", "de")
    assert result.decision == "answer"
    assert result.matches[0].service_id in {"klinikum-hagen", "st-josefs-hospital-hagen"}


@pytest.mark.parametrize(
    "text, lang, wrong_need",
    [
        # 'corki' is Polish 'córki' (daughter's) typed without accents, not a typo of 'korki'.
        ("wlasciciel chce mieszkanie dla corki", "pl", "homework-help"),
        # Kurdish has no word list: 'herin' (let us go) is a word of the entries' Kurdish texts,
        # not a typo of 'eroîn'.
        ("keça min nexweş e, em herin ku?", "ku", "addiction"),
    ],
)
def test_ordinary_words_are_not_read_as_typos(matcher, text, lang, wrong_need):
    assert wrong_need not in dict(matcher.match(text, lang).needs)


def test_a_hint_offers_its_need_but_never_answers_alone(matcher):
    """'~sofa' in the furniture phrases: a sofa is also what a child fell off."""
    asked = matcher.match("sofa", "de")
    assert asked.decision == "suggest"
    assert asked.matches[0].service_id == "werkhof-moebel-und-mehr"
    story = matcher.match("hinter dem schrank ist schimmel und der vermieter macht nichts", "de")
    assert story.matches[0].service_id == "mieterverein-hagen"


def test_a_story_its_first_need_tells_little_of_gets_buttons_not_cards(matcher):
    """'duschen' is one word of a long story about a mother who needs care: the shower is not
    what the resident asks for, so the bot asks back instead of answering with its card."""
    story = (
        "Hallo, heute war ein langer Tag, ich war mit meiner Mutter im Krankenhaus, sie ist 80 "
        "und kann seit dem Sturz nicht mehr allein duschen oder einkaufen, ich arbeite Vollzeit "
        "und weiß nicht weiter"
    )
    assert matcher.match(story, "de").decision == "suggest"
    asked = matcher.match("wo kann ich duschen", "de")
    assert asked.decision == "answer"
    assert asked.matches[0].service_id == "luthers-waschsalon"


def test_kurmanji_endings_are_cut_where_four_letters_stay():
    from bot.textnorm import stem

    assert stem("zarokan", "ku") == "zarok"  # children (plural)
    assert stem("doktorek", "ku") == "doktor"  # a doctor
    assert stem("parêzerekan", "ku") == "parezer"  # the lawyers
    assert stem("kirin", "ku") == "kirin"  # 'kir' would be too short to tell words apart


def test_ukrainian_case_endings_are_cut_alike_in_cyrillic_and_latin_letters():
    from bot.textnorm import stem

    # "a certificate for the social ticket" meets the phrase "social ticket"
    assert stem("соціального", "uk") == stem("соціальний", "uk") == stem("sotsialnogo", "uk")
    assert stem("квартирі", "uk") == stem("квартира", "uk") == stem("kvartira", "uk")
    assert stem("документів", "uk") == stem("документи", "uk")
    assert stem("мати", "uk") == "mati"  # 'mat' would be too short to tell words apart


def test_answers_do_not_depend_on_the_process_hash_seed():
    """Sets of strings are walked in a different order in every process; an answer must not
    depend on it (an Arabic word's variants once did: a typo score came from the first one)."""
    questions = [
        {
            "text": "وصلنا لالمانيا من ست شهور وما منعرف من وين نبلش، في مكتب بيساعد الاجانب؟",
            "lang": "ar",
        },
        {"text": "بدي مساعدة بالجوب سنتر، اجتني رسالة ما فهمت شي منها", "lang": "ar"},
        {"text": "hilfe mit miete und essen", "lang": "de"},
    ]
    batch = "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions)
    outputs = []
    for seed in ("1", "2"):  # these two walked the variants of 'لالمانيا' in different orders
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "ask", "--json", "--batch", "-"],
            input=batch,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).parent.parent,
        )
        outputs.append(done.stdout)
    assert outputs[0] and outputs[0] == outputs[1]


def test_stranded_at_the_station_is_not_the_same_as_having_no_home(matcher):
    # The Bahnhofsmission helps travellers stranded at the station; someone who has lost their
    # flat goes to the homelessness advice first.
    for text, lang in (
        ("am bahnhof gestrandet, kein geld und kein zug mehr", "de"),
        ("stuck at hagen hbf, missed the last train, phone almost dead", "en"),
        ("застряг на вокзалі, потяг скасували, грошей нема", "uk"),
    ):
        assert matcher.match(text, lang).matches[0].service_id == "bahnhofsmission-hagen", text
    for text, lang in (
        ("pennen seit 3 wochen bei nem kumpel auf der couch, meine wohnung is weg", "de"),
        ("od tygodnia śpię w aucie, nie mam gdzie się podziać", "pl"),
    ):
        first = matcher.match(text, lang).matches[0].service_id
        assert first == "wohnungslosenberatung-diakonie-hagen", text


def test_the_health_check_before_school_is_not_the_school_registration(matcher):
    # The child health service (KJGD) does the Schuleingangsuntersuchung; the school office
    # registers the child. Both were one need, and the registration won every tie.
    for text, lang in (
        ("Brief vom Gesundheitsamt wegen Einschulungsuntersuchung, der Termin passt nicht", "de"),
        ("gesundheitsamttan okul öncesi muayene mektubu geldi, randevu değiştirebilir miyim", "tr"),
        ("пришло письмо на медосмотр перед школой, это обязательно?", "ru"),
    ):
        first = matcher.match(text, lang).matches[0].service_id
        assert first == "kinder-jugendgesundheitsdienst-hagen", text
    first = matcher.match("wo melde ich mein kind für die erste klasse an", "de").matches[0]
    assert first.service_id == "schulanmeldung-grundschule-hagen"


def test_persian_words_are_not_read_with_arabic_proclitics(matcher):
    # Arabic 'ك' (like) is stripped before a word; Persian 'کنم' (I do) is then 'نم' (damp),
    # and every "I don't know what to do" met the mould need.
    result = matcher.match("نمی‌دونم چیکار کنم", "fa")
    assert "mould-repairs" not in dict(result.needs)
    assert "mieterverein-hagen" not in [m.service_id for m in result.matches]
    assert "mould-repairs" in dict(matcher.match("دیوار خونه نم داره", "fa").needs)
    # Arabic keeps them: 'والمكتبة' is the library.
    assert matcher.match("وين المكتبة", "ar").matches[0].service_id == "stadtbuecherei-hagen"


def test_someone_without_health_insurance_finds_the_free_doctors(matcher):
    # Luthers Waschsalon's volunteer doctors treat homeless and uninsured people; before it
    # served the need, "no insurance, where is a doctor" had no place to go.
    for text, lang in (
        ("nie mam ubezpieczenia, boli mnie od tygodnia, gdzie lekarz za darmo", "pl"),
        ("بیمه ندارم دکتر میخوام", "fa"),
    ):
        assert matcher.match(text, lang).matches[0].service_id == "luthers-waschsalon", text


def test_a_phrase_listed_alike_in_many_languages_is_one_piece_of_evidence():
    """ "kita" stands in eleven languages' lists; it names the Kita need once. Two different
    question words of a need do earn the bonus for a need named twice."""
    from bot.matching import EXTRA_TERM_BONUS, _best_with_bonus

    owners = np.array([0, 0, 0, 1, 1])
    values = np.array([100.0, 100.0, 100.0, 100.0, 100.0])
    words = np.array([7, 7, 7, 7, 9], dtype=np.uint64)
    scores = _best_with_bonus(owners, values, words, 2)
    assert scores[0] == 100
    assert scores[1] == 100 + EXTRA_TERM_BONUS


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Wie mach ich die Steuererklärung bei Elster, hab nen Minijob nebenbei", "de"),
        ("how to file a tax return as a student with a minijob", "en"),
    ],
)
def test_a_minijob_in_passing_does_not_answer_with_the_jobcenter(matcher, text, lang):
    assert matcher.match(text, lang).decision != "answer"


@pytest.mark.parametrize(
    "text, lang",
    [("ich suche einen minijob", "de"), ("szukam minijob", "pl"), ("بدي ميني جوب", "ar")],
)
def test_a_minijob_sought_is_job_search(matcher, text, lang):
    result = matcher.match(text, lang)
    assert result.decision == "answer"
    assert result.matches[0].service_id in {"jobcenter-hagen", "agentur-fuer-arbeit-hagen"}


def test_a_street_of_the_directory_named_in_a_question_ranks_places_there_first(matcher):
    from bot.streets import StreetIndex, street_keys

    assert street_keys("Ecke Spichernstraße / Friedensstraße") == {"spichern", "friedens"}
    assert street_keys("Boeler Straße 91") == {"boeler"}
    streets = StreetIndex({"boeler", "rathaus"})
    assert streets.named("wohne an der boeler strasse") == {"boeler"}
    assert streets.named("boelerstr. 12") == {"boeler"}
    assert streets.named("beim rathaus") == set()  # the word alone is no street
    for text, lang in (
        ("billige Kinderkleidung, ich wohne an der Boeler Straße", "de"),
        ("gde deshevaja odezhda dlja detej, rjadom s Boeler Strasse?", "ru"),
    ):
        assert matcher.match(text, lang).matches[0].service_id == "kleiderkammer-altenhagen"


def test_a_notice_for_the_landlords_own_use_goes_to_the_tenants_association_first(matcher):
    # Eigenbedarf is a question of tenancy law (is the notice valid?); a notice for rent
    # arrears is one of keeping the flat (the city's Wohnraumsicherung).
    own_use = matcher.match("Kündigung wegen Eigenbedarf, ist das rechtens?", "de")
    assert own_use.matches[0].service_id == "mieterverein-hagen"
    arrears = matcher.match("Vermieter hat uns gekündigt wegen Mietschulden, was tun?", "de")
    assert arrears.matches[0].service_id == "wohnraumsicherung-hagen"


def test_an_office_that_sent_the_resident_away_is_not_the_first_answer(matcher, needs_only):
    # "They said it's not them": the office named as the one that sent them away yields the
    # first place to the next one …
    text = "Jobcenter ji min Meldebescheinigung dixwaze. Ez çûm Ausländerbehörde, gotin ne li vir e"
    assert matcher.sent_away(text)
    assert matcher.match(text, "ku").matches[0].service_id == "buergeramt-hagen"
    # (Told without being sent away, the needs name the office gone to first; the examples know
    # that a Meldebescheinigung is the Bürgeramt's.)
    asked = "Jobcenter ji min Meldebescheinigung dixwaze. Ez çûm Ausländerbehörde"
    assert needs_only.match(asked, "ku").matches[0].service_id == "auslaenderbehoerde-hagen"
    # … but a place named for what is asked, which serves it, stays first.
    elterngeld = "Jobcenter sagt Elterngeld ist nicht ihre Sache, wo beantrage ich das?"
    assert matcher.sent_away(elterngeld)
    assert matcher.match(elterngeld, "de").matches[0].service_id == "versorgungsamt-elterngeld"
    # Said as written, word after word: "not" somewhere and "responsible" elsewhere is not it.
    assert not matcher.sent_away("Ich weiß nicht, ob das Amt dafür zuständig ist")


def test_the_place_asked_for_stays_first_when_the_office_that_sent_the_resident_away_ties(
    matcher,
):
    # The Bürgeramt's name is a phrase of its own need, which ties with the birth certificate's
    # at the top; the registry office, first, serves one of the two and is not the office that
    # said no.
    text = "rebenok rodilsja v AKH, v Bürgeramt skazali ne k nim. kuda za Geburtsurkunde?"
    assert matcher.sent_away(text)
    assert matcher.match(text, "ru").matches[0].service_id == "standesamt-hagen"


def test_the_examples_do_not_bring_back_the_one_office_that_sent_the_resident_away(matcher):
    # Funeral costs: the needs put the Sozialamt first; the examples, which know the Jobcenter
    # from many questions like it, voted it back to the front although it had said no.
    text = "توفي زوجي الشهر الماضي، وما عنا مصاري للدفن. الجوب سنتر قال مو شغلتهم. مين بيدفع؟"
    assert matcher.sent_away(text)
    assert matcher.match(text, "ar").matches[0].service_id == "sozialhilfe-grundsicherung-hagen"


def test_a_question_whether_an_office_may_do_what_it_did_is_one_for_advice(matcher, needs_only):
    # "Is that legal?" about the Jobcenter's cut: the unemployment advice first, not the office …
    text = "пришел Bescheid с джобцентра, урезали деньги на 30 процентов, это вообще законно?"
    assert matcher.contests(text)
    assert matcher.match(text, "ru").matches[0].service_id == "erwerbslosenberatung-diakonie"
    # … while for the needs the same cut told without the question names the Jobcenter first
    # (the examples may still prefer the advice, as for most cuts told).
    told = "пришел Bescheid с джобцентра, урезали деньги на 30 процентов"
    assert not matcher.contests(told)
    assert needs_only.match(told, "ru").matches[0].service_id == "jobcenter-hagen"


def test_a_place_that_did_not_help_yields_to_the_next_that_serves_the_need(matcher, needs_only):
    # "All full at the Diakonie's debt advice, is there another place?": the city's debt advice
    # first, the named one after it …
    text = "Bei der Schuldnerberatung der Diakonie ist alles voll. Gibt es eine andere Stelle?"
    assert matcher.asks_elsewhere(text)
    first = [m.service_id for m in matcher.match(text, "de").matches[:2]]
    assert first == ["schuldnerberatung-stadt-hagen", "schuldnerberatung-diakonie"]
    # … while for the needs the same place told without asking for another stays first.
    told = "Bei der Schuldnerberatung der Diakonie ist alles voll."
    assert not matcher.asks_elsewhere(told)
    assert needs_only.match(told, "de").matches[0].service_id == "schuldnerberatung-diakonie"
    # Said as written, word after word: "another appointment" asks for the same place.
    assert not matcher.asks_elsewhere("Kann ich beim Bürgeramt einen anderen Termin bekommen?")
    # The next place is offered even when it scores lower than the one named: the question was
    # understood, so it never ends in "nothing found".
    meal = matcher.match("die Tafel hat eine Warteliste, wo gibt es sonst Essen?", "de")
    assert meal.decision in ("answer", "suggest")
    assert meal.matches[0].service_id == "suppenkueche-hagen"


def test_an_emergency_word_met_by_its_stem_must_look_like_it(matcher):
    # Russian 'скоро' (soon) and 'скорая' (ambulance) share the stem 'скор': "I'll come soon"
    # is no call for an ambulance, while the ambulance in another case still is.
    soon = matcher.match("скоро приду", "ru")
    assert soon.decision != "answer" or soon.matches[0].service_id != "notruf-112"
    ambulance = matcher.match("как вызвать скорую помощь", "ru")
    assert ambulance.matches[0].service_id == "notruf-112"


def test_the_nearest_examples_vote_for_their_place_in_any_script():
    index = ExampleIndex(
        {
            "buergeramt-hagen": {"ru": ["где взять справку о прописке, джобцентр просит"]},
            "jobcenter-hagen": {"de": ["jobcenter will kontoauszüge von drei monaten sehen"]},
        }
    )
    assert index.vote("gde vzyat spravku o propiske dlya jobcentra") == "buergeramt-hagen"
    assert index.vote("jobcenter fragt nach kontoauszügen, muss ich die geben") == (
        "jobcenter-hagen"
    )
    # A few words are contained in too many examples to say which they are like.
    assert index.vote("spravka propiska") is None
    assert index.vote("wie spät ist es heute abend") is None  # like neither example


def test_the_vote_reorders_the_cards(hagen, needs_only):
    story = "Bei der Schuldnerberatung der Diakonie ist alles voll, ich warte seit Monaten"
    plain = [m.service_id for m in needs_only.match(story, "de").matches]
    second = plain[1]
    voted = Matcher(replace(hagen, examples={second: {"de": [story]}}))
    moved = voted.match(story, "de")
    assert [m.service_id for m in moved.matches] == [second, plain[0], *plain[2:]]
    # Moved first with a lower score than the card it passed: offered, as a button at most.
    if moved.matches[0].score < ANSWER_MIN:
        assert moved.decision == "suggest"


def test_a_story_the_vote_reads_otherwise_is_offered_not_answered(hagen, needs_only):
    story = (
        "Wir haben seit zwei Wochen kein warmes Wasser und die Heizung ist auch kaputt, der "
        "Vermieter geht nicht ans Telefon"
    )
    short = "ich suche einen minijob"
    plain = {text: needs_only.match(text, "de") for text in (story, short)}
    assert [r.decision for r in plain.values()] == ["answer", "answer"]
    examples = {"heb-hagen": {"de": [story + " seit gestern", short + " bitte"]}}
    voted = Matcher(replace(hagen, examples=examples))
    told = voted.match(story, "de")
    cards = [m.service_id for m in plain[story].matches[:2]]
    # The examples agree it is another place than any card: the cards become buttons, the
    # voted place first.
    assert told.decision == "suggest"
    assert [m.service_id for m in told.matches[:3]] == ["heb-hagen", *cards]
    # Split between two such places, the vote is less sure: its place comes third.
    split = {**examples, "luthers-waschsalon": {"de": [story + " seit heute"]}}
    doubted = Matcher(replace(hagen, examples=split)).match(story, "de")
    assert doubted.decision == "suggest"
    assert [m.service_id for m in doubted.matches[:2]] == cards
    assert doubted.matches[2].service_id in {"heb-hagen", "luthers-waschsalon"}
    # A few words with a clear need keep their answer; the voted place is no card (it scores
    # too little to be shown with the answer's cards).
    asked = voted.match(short, "de")
    assert asked.decision == "answer"
    assert asked.matches[0] == plain[short].matches[0]
    assert asked.matches[2].service_id == "heb-hagen" and asked.matches[2].score < ANSWER_MIN - 10


def test_with_nothing_found_the_voted_place_alone_is_offered(hagen, needs_only):
    text = "mein wellensittich hat seit gestern keine lust mehr zu singen, was kann ich tun"
    assert needs_only.match(text, "de").decision == "escalate"
    voted = Matcher(replace(hagen, examples={"heb-hagen": {"de": [text + " bitte"]}}))
    result = voted.match(text, "de")
    assert result.decision == "suggest"
    assert [m.service_id for m in result.matches] == ["heb-hagen"]


def test_a_split_vote_doubts_the_first_card_and_a_named_place_only_when_hardly_voted_for():
    ballot = [("jobcenter-hagen", 1.0), ("mbe-awo-hagen", 3.0)]  # the first card has 25 %
    assert _doubted("jobcenter-hagen", ballot, named=set())
    assert not _doubted("jobcenter-hagen", ballot, named={"jobcenter-hagen"})
    hardly = [("jobcenter-hagen", 1.0), ("mbe-awo-hagen", 9.0)]  # 10 %
    assert _doubted("jobcenter-hagen", hardly, named={"jobcenter-hagen"})
    agreed = [("jobcenter-hagen", 3.0), ("mbe-awo-hagen", 1.0)]
    assert not _doubted("jobcenter-hagen", agreed, named=set())
    assert not _doubted("jobcenter-hagen", [], named=set())  # no neighbours, no doubt


@pytest.mark.parametrize(
    ("text", "lang", "child"),
    [
        ("hab seit gestern 39,5 fieber, samstag, praxis zu", "de", False),
        ("i have a high fever and my gp is closed, its sunday night", "en", False),
        ("kocamın ateşi 39 pazar günü doktor yok", "tr", False),
        ("у меня температура 39 суббота вечер врач не работает", "ru", False),
        ("تب دارم ۳۹ درجه جمعه شب دکتر بسته", "fa", False),
        ("ta min heye 39 yekşem e doktor girtî ye", "ku", False),
        ("в мене температура 39 неділя лікар не працює", "uk", False),
        ("mam 39 stopni goraczki, sobota, lekarz zamkniety", "pl", False),
        ("am febra 39 duminica si medicul e inchis", "ro", False),
        ("имам температура 39 неделя лекарят не работи", "bg", False),
        ("hab seit gestern 39,5 fieber, samstag, kinderarzt zu", "de", True),
        ("zarokê min ta heye 39 yekşem e doktor girtî ye", "ku", True),
        ("fetita are febra 39 duminica si medicul e inchis", "ro", True),
        ("my son has a high fever and the gp is closed, its sunday night", "en", True),
        ("oğlumun ateşi 39 pazar günü doktor yok", "tr", True),
        ("у ребёнка температура 39 суббота вечер врач не работает", "ru", True),
    ],
)
def test_the_childrens_emergency_practice_comes_first_only_for_a_child(matcher, text, lang, child):
    ids = [m.service_id for m in matcher.match(text, lang).matches]
    assert "kinder-notfallpraxis" in ids[:3], (text, ids)
    assert (ids[0] == "kinder-notfallpraxis") == child, (text, ids)


def test_the_verb_sucht_is_not_the_noun_addiction(matcher):
    # German "sucht" is both "is looking for" and "addiction"; only the noun's compounds and
    # "suchtproblem" name the addiction need.
    result = matcher.match("meine tochter sucht eine wohnung in altenhagen", "de")
    assert "addiction" not in dict(result.needs)
    assert "flat-search" in dict(result.needs)
    assert matcher.match("mein bruder hat ein suchtproblem", "de").needs[0][0] == "addiction"


def test_a_word_that_is_a_places_name_names_the_place_not_a_need(matcher):
    # "бейбилотсен" is the Babylotsen's name written by ear; its "лотсен" also meets the need
    # of a guide who goes along to offices, which the Babylotsen do not serve.
    result = matcher.match("какво правят бейбилотсен", "bg")
    assert result.matches[0].service_id == "babylotsen-hagen"
    assert "accompaniment" not in dict(result.needs)
    # A need's own word, met as closely as a name found in it, still names the need.
    wbs = matcher.match("Wohnberechtigungsschein", "de")
    assert "social-housing" in dict(wbs.needs)
    assert wbs.matches[0].service_id == "wohngeld-hagen"
