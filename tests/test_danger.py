"""The danger layer: its phrase syntax, and the bundled lexicon against the danger test set.
Pure: no Telegram, no event loop."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.danger import DangerLexicon, parse_phrase, translit_key
from bot.matching import Matcher
from bot.quality import evaluate_danger, load_danger_set

DANGER_SET = Path(__file__).parent / "danger"


@pytest.fixture(scope="module")
def lexicon() -> DangerLexicon:
    return DangerLexicon(
        {
            "suicide": {
                "de": ["umbring* mich", "will nicht mehr leben", "selbstmord"],
                "ar": ["اقتل نفسي"],
            },
            "violence": {"de": ["schlägt mich"], "en": ["beat* me"]},
        }
    )


def test_words_match_in_any_order_and_with_other_words_between(lexicon):
    assert lexicon.detect("ich bringe mich heute um") == ()  # 'um' alone is not 'umbring*'
    assert lexicon.detect("mich umbringen") == ("suicide",)
    assert lexicon.detect("ich will mich einfach umbringen") == ("suicide",)
    assert lexicon.detect("mein mann schlägt mich jeden tag") == ("violence",)


def test_words_far_apart_do_not_make_a_phrase(lexicon):
    far = "er schlägt vor, dass wir morgen in die stadt fahren und dann zu mir und mich"
    assert lexicon.detect(far) == ()


def test_a_prefix_matches_inflections_and_a_long_word_forgives_a_typo(lexicon):
    assert lexicon.detect("he beats me") == ("violence",)
    assert lexicon.detect("he beaten me") == ("violence",)
    assert lexicon.detect("selbstmrod") == ("suicide",)  # swapped letters
    assert lexicon.detect("SELBSTMORD!!!") == ("suicide",)


def test_a_negation_never_switches_a_signal_off(lexicon):
    assert lexicon.detect("ich will nicht mehr leben") == ("suicide",)
    assert lexicon.detect("nein, ich will nicht mehr leben, wirklich nicht") == ("suicide",)


def test_arabic_proclitics_are_stripped_from_message_words(lexicon):
    assert lexicon.detect("وراح اقتل نفسي") == ("suicide",)
    assert lexicon.detect("بدي اقتل نفسي") == ("suicide",)


def test_signals_come_in_the_lexicon_order(lexicon):
    assert lexicon.detect("er schlägt mich, ich will nicht mehr leben") == ("suicide", "violence")


@pytest.mark.parametrize("bad", ["to*t", "*", "a*", "two words*but*", "!!", "a||b", "x|a-b"])
def test_bad_phrases_are_refused_with_a_reason(bad):
    with pytest.raises(ValueError):
        parse_phrase(bad)


# ---- the bundled lexicon --------------------------------------------------------------------


@pytest.fixture(scope="module")
def matcher(hagen) -> Matcher:
    return Matcher(hagen)


ISSUE_EXAMPLES = [
    "хочу покончить с собой",
    "убью себя",
    "хочу вмерти",
    "سأقتل نفسي",
    "بدي موت",
    "mein vater hat schmerzen in der brust",
    "сердечный приступ у отца",
    "людина втратила свідомість не дихає",
    "jemand bricht bei mir ein",
    "mein freund schlägt mich jeden tag",
    "I don't want to live anymore",
    "mein freund schlägt mich",
]


@pytest.mark.parametrize("text", ISSUE_EXAMPLES)
def test_the_reported_misses_are_caught(matcher, text):
    assert matcher.danger.detect(text), text


NEAR_MISSES = [
    "mein Kind hat Fieber",
    "ich bin schwanger",
    "schule für mein kind",
    "jeden Tag",
    "ich verstehe meinen brief nicht",
    "ich kann die miete nicht mehr zahlen",
    "my phone is dying, where can i charge it",
    "oglum 3 yasinda gece ates 39.5 cikti",  # 'ateş' is fever as well as fire
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_raise_no_alarm(matcher, text):
    assert matcher.danger.detect(text) == (), text


def test_the_danger_set_is_big_enough_in_every_language():
    items = load_danger_set(DANGER_SET)
    langs = {item.lang for item in items}
    assert len(langs) == 11
    for lang in langs:
        danger = [i for i in items if i.lang == lang and i.signal != "none"]
        everyday = [i for i in items if i.lang == lang and i.signal == "none"]
        assert len(danger) >= 40 and len(everyday) >= 40, lang


def test_every_danger_phrasing_is_caught_with_few_false_alarms(matcher):
    report = evaluate_danger(matcher, load_danger_set(DANGER_SET))
    total = report.total()
    missed = [f"[{i.lang}] {i.text}" for i in report.missed]
    assert not missed, "\n".join(missed)
    assert total.false_alarms <= 0.03 * total.everyday, report.false_alarms


def test_alternatives_in_one_slot():
    lexicon = DangerLexicon({"suicide": {"de": ["mich|sich umbring*|töt*|erhäng*"]}})
    assert lexicon.detect("er will sich erhängen") == ("suicide",)
    assert lexicon.detect("ich töte mich") == ("suicide",)
    assert lexicon.detect("ich töte die zeit") == ()


def test_kurdish_phrases_forgive_no_typo_but_others_do():
    # Without a Kurdish word list, 'bigirim' (I take) is not a typo of 'bimirim' (I die).
    lexicon = DangerLexicon({"suicide": {"ku": ["ez bimirim"], "de": ["selbstmord"]}})
    assert lexicon.detect("ez ê wê ji ku bigirim") == ()
    assert lexicon.detect("ez dixwazim bimirim") == ("suicide",)
    assert lexicon.detect("selbstmrod") == ("suicide",)


def test_an_alternative_never_matches_a_one_letter_word_by_accident(matcher):
    # a phrase once read "…|stalbishte v|dim": the space made 'v' a slot of its own
    assert matcher.danger.detect("kum koi lekar da otida v subota, mnogo me boli gurloto") == ()


def test_cyrillic_phrases_meet_latin_typing_in_any_common_transliteration():
    lexicon = DangerLexicon(
        {"suicide": {"ru": ["убью себя", "повеш*"]}, "fire": {"uk": ["пожежа"]}}
    )
    for typed in ("ubyu sebya", "ubju sebja", "ja ubiu sebia", "UB'YU SEBYA"):
        assert lexicon.detect(typed) == ("suicide",), typed
    assert lexicon.detect("zavtra poveshus") == ("suicide",)
    assert lexicon.detect("u nas pozhezha") == ("fire",)
    assert lexicon.detect("u nas pozhesha") == ("fire",)  # one typo in a long word
    assert lexicon.detect("sebastian bye") == ()  # a key alone, or far from a whole phrase, is not


def test_bulgarian_chat_latin_reads_digits_inside_words_as_letters():
    lexicon = DangerLexicon({"suicide": {"bg": ["изпи хапчета"]}, "child": {"bg": ["детето няма"]}})
    assert lexicon.detect("brat mi izpi hap4eta") == ("suicide",)  # 4 = ч
    assert lexicon.detect("deteto go nqma") == ("child",)  # q = я
    assert translit_key("6te") == translit_key("shte")  # 6 = ш
    assert translit_key("4") == "4"  # a number stays a number


def test_latin_typed_cyrillic_is_read_in_a_message_of_short_words_other_languages_know():
    lexicon = DangerLexicon({"suicide": {"bg": ["да не се събудя|събудиш вече"]}})
    # 'za da ne se' are ordinary Polish, Czech and Romanian words; the longer words are not
    assert lexicon.detect("kolko hap4eta za sun trqbvat za da ne se subudish veche") == ("suicide",)
    assert lexicon.detect("kolko hap4eta za sun trqbvat za da se subudish veche") == ()


def test_a_two_letter_latin_word_meets_only_a_two_letter_cyrillic_one():
    # 'бие' reduces to 'be': Kurmanji 'bê me' (without … we) is not 'бие ме' (beats me)
    lexicon = DangerLexicon({"violence": {"bg": ["бие ме"]}, "child": {"bg": ["детето не яде"]}})
    assert lexicon.detect("ez bê xanî me, 3 şev e li derve radizêm") == ()
    assert lexicon.detect("deteto ne qde ot vchera") == ("child",)


def test_a_life_in_danger_puts_112_first_whatever_else_the_message_raises(matcher):
    # suicide, medical and child at once: the first line is 112, not the police or a helpline
    result = matcher.match("اخوي بلع علبة حبوب كاملة وما عم يصحى!!", "ar")
    assert "medical" in result.danger
    assert result.matches[0].service_id == "notruf-112"
    for text in ("детето глътна хапчетата, не се събужда", "він не прокидається", "uyanmıyor"):
        assert "medical" in matcher.danger.detect(text), text


def test_a_figure_of_speech_silences_only_its_own_words(matcher):
    assert matcher.danger.detect("I'm dying to know what they build next to the station") == ()
    assert matcher.danger.detect("умираю от любопытства, кто купил магазин") == ()
    assert matcher.danger.detect("die Bürokratie bringt mich noch um, dritter Antrag") == ()
    assert matcher.danger.detect("Умирам от любопитство какво пише в писмото") == ()
    assert matcher.danger.detect("er hat die letzte Pizza gegessen, ich könnt ihn umbringen") == ()
    assert matcher.danger.detect("a man follows me on instagram, how do I block him?") == ()
    # the same words, not as the figure: an alarm
    assert matcher.danger.detect("I'm dying, I need to know where the hospital is")
    assert "violence" in matcher.danger.detect("ich bring ihn um, ich schwöre")
    assert "violence" in matcher.danger.detect("a man followed me home from the station")
    # the figure's words are silenced, the rest of the message is still read
    assert "suicide" in matcher.danger.detect(
        "die Bürokratie bringt mich noch um, ich will nicht mehr leben"
    )


def test_a_figure_of_one_word_is_refused():
    lexicon = DangerLexicon({"medical": {"en": ["im dying"]}}, figures={"en": ["dying"]})
    assert lexicon.detect("im dying") == ("medical",)


def test_an_event_long_over_is_history_unless_the_message_says_again(matcher):
    assert (
        matcher.danger.detect("Vater hatte letztes Jahr einen Schlaganfall, wie geht Pflegegrad?")
        == ()
    )
    assert (
        matcher.danger.detect("a fire at our neighbours last winter, must the landlord repaint?")
        == ()
    )
    # "again": the past event is happening now
    assert "medical" in matcher.danger.detect(
        "Vater hatte letztes Jahr einen Schlaganfall, jetzt hat er wieder einen Schlaganfall"
    )
    # only the event word near the marker is history: the rest of the message still counts
    assert "medical" in matcher.danger.detect(
        "last year he had a heart attack and now he has chest pain and cant breathe"
    )
    # violence is never history: a past beating is still a reason for the helplines
    assert "violence" in matcher.danger.detect("letztes Jahr hat er mich geschlagen")


def test_a_stroke_asked_about_for_paperwork_is_history_but_a_stroke_now_alarms(matcher):
    # Paperwork after a stroke: the disability card, the care level. My own wording.
    for text in (
        "Opa sitzt seit seinem Schlaganfall im Rollstuhl, wo gibt es den Behindertenausweis?",
        "my mum needs a care level since her stroke, who helps with the application",
        "dedem felç geçirdi, engelli kartı başvurusu nereye yapılır",
        "після інсульту батькові потрібна інвалідність, де оформити",
    ):
        assert "medical" not in matcher.danger.detect(text), text
    # The stroke happening now, or a symptom beside the paperwork, still raises the alarm.
    for text in (
        "mein Opa hat gerade einen Schlaganfall",
        "seit dem Schlaganfall Antrag gestellt, jetzt ist er bewusstlos",
        "bavê min sekte kir",  # Kurmanji: 'my father had a stroke', no word for it before
        "у тата інсульт, обличчя перекосило",
    ):
        assert "medical" in matcher.danger.detect(text), text


def test_a_polish_message_is_not_read_as_latin_typed_cyrillic(matcher):
    polish = "W zeszłym miesiącu było u nas włamanie, policja już była. Jakie dokumenty?"
    assert "violence" not in matcher.danger.detect(polish)  # była is not била (beat)
    assert matcher.danger.detect("mama ne dyshit") == ("medical",)
    assert "violence" in matcher.danger.detect("muzh menya b'et kazhdyi den")


def test_an_injury_by_a_partner_is_violence_in_any_language(matcher):
    for text in ("my husband broke my arm", "kocam kolumu kırdı", "زوجي كسر ايدي"):
        assert "violence" in matcher.danger.detect(text), text
    assert matcher.danger.detect("my son broke his arm at football, which hospital?") == ()


@pytest.mark.parametrize(
    "text, lang",
    [
        ("mein papa schlägt mich", "de"),
        ("my stepdad hits me", "en"),
        ("babam beni dövüyor", "tr"),
        ("أبي يضربني", "ar"),
        ("тато мене б'є", "uk"),
        ("отчим меня бьёт", "ru"),
        ("tata mă bate", "ro"),
        ("баща ми ме бие", "bg"),
        ("tata mnie bije", "pl"),
        ("بابام منو میزنه", "fa"),
        ("bavê min li min dixe", "ku"),
    ],
)
def test_a_child_hit_at_home_gets_the_police_then_the_childrens_helpline(matcher, text, lang):
    """Not the Hilfetelefon for women first: the one writing is a child."""
    result = matcher.match(text, lang)
    assert {"violence", "child"} <= set(result.danger)
    ids = [m.service_id for m in result.matches]
    assert ids[:2] == ["polizei-110", "nummer-gegen-kummer"]


def test_a_woman_hit_by_her_husband_keeps_the_hilfetelefon_first(matcher):
    for text, lang in (("mein mann schlägt mich", "de"), ("муж меня бьёт", "ru")):
        result = matcher.match(text, lang)
        assert result.danger == ("violence",)
        assert result.matches[0].service_id == "hilfetelefon-gewalt-gegen-frauen"


def test_a_balcony_on_fire_is_fire_and_a_light_that_is_on_is_not(matcher):
    for text in (
        "komşunun balkonu yanıyor",
        "балконът гори",
        "balkon dişewite",
        "arabamız yanıyor",
    ):
        assert "fire" in matcher.danger.detect(text), text
    assert "fire" in matcher.danger.detect("klatka schodowa pełna dymu")
    for text in ("balkon ışığı yanıyor", "kombi yanıyor mu", "в стаята гори лампа"):
        assert matcher.danger.detect(text) == (), text
    assert matcher.danger.detect("arabamın farı yanıyor mu") == ()  # a headlight that is on


def test_words_that_only_look_like_danger_in_another_sense_raise_nothing(matcher):
    # Romanian "pojar" is measles (Bulgarian and Russian "пожар" typed in Latin is fire);
    # Persian "حرف میزنن" is "they speak" (the verb is also "hit"); Levantine "عم" marks the
    # present tense ("عم اكتب", I am writing).
    for text in (
        "la gradinita cer hartie de la pojar",
        "بچه‌ها فارسی حرف میزنن ولی نوشتن بلد نیستن",
        "عم اكتب عن جارتنا، كبيرة بالعمر وما بتحكي ألماني",
        "annem 70 yaşında geliri yok",  # 'yok' (none), not a missing child
        "mein vermieter sagt ich soll mich beim amt melden",  # 'sagt' is not 'sägt' (saws)
        "der arzt hat gesagt mein arm ist gebrochen",
        "als der vermieter weg war waren alle froh",  # 'war' is not 'wär'
        "ich habe für alle medikamente schon gezahlt, reicht das",  # not 'gezählt'
        "die OP an der hand wurde abgesagt",  # not 'abgesägt'
        "urząd dał mi termin w marcu, żeby złożyć wniosek",  # 'żeby' (so that), not 'zęby'
        "se zbate rău cu datoriile, cine ajută",  # 'rău' (bad), not 'râu' (river)
    ):
        assert matcher.danger.detect(text) == (), text
    assert "fire" in matcher.danger.detect("pojar v kashtata pomosht")
    assert "suicide" in matcher.danger.detect("wenn ich tot wäre wären alle froh")
    assert "child" in matcher.danger.detect("شوهرم بچه رو میزنه")
    assert "violence" in matcher.danger.detect("عم يضرب مرته كل يوم")


def test_a_child_left_alone_or_lured_away_gets_the_police_before_the_helpline(matcher):
    for text, lang in (
        ("ребёнок соседей уже второй день один на балконе плачет, родителей не видно", "ru"),
        ("две малки деца плачат от вчера, родителите ги няма, никой не отваря", "bg"),
        ("the kids next door have been alone for 2 days, nobody opens the door", "en"),
    ):
        result = matcher.match(text, lang)
        assert "child" in result.danger, text
        assert result.matches[0].service_id == "polizei-110", text
    # ... but a child who swallowed something gets the ambulance first
    result = matcher.match("copilul a inghitit pastile de la bunica, nu stiu cate", "ro")
    assert result.matches[0].service_id == "notruf-112"


def test_a_car_left_running_in_a_shut_garage_is_danger_and_a_car_repair_is_not(matcher):
    for text in (
        "my sister is sitting in her car in the closed garage with the engine running",
        "kocam garajda oturuyor motor calisiyor, kapilari kilitlemis",
        "в гараже закрылся, машина заведена, не отвечает",
        "bratovched mi e v kolata v garaja s pusnat dvigatel i e zatvoril vratata",
    ):
        assert "suicide" in matcher.danger.detect(text), text
    for text in (
        "my car engine is running rough, where is a cheap garage",
        "arabamın motoru çalışmıyor, garaj nerede",
        "egzoz hortumu patladı, tamir nerede",
        "в гараже двигатель не работает",
        "колата не работи, има ли гараж",
        "السيارة مش شغالة، وين في كراج رخيص",
        "ماشینم تو گاراژ روشن نمیشه",
    ):
        assert matcher.danger.detect(text) == (), text


def test_everyday_words_near_a_new_danger_family_raise_nothing(matcher):
    # The eighth round's families (forced marriage, a letter left on the table, "won't be
    # there", "after me") were narrowed until these ordinary messages stayed quiet.
    for text in (
        "Müssen wir verheiratet sein, damit der Vater eingetragen werden kann?",
        "wir sind nicht verheiratet, wollen aber Kindergeld beantragen",
        "die Ausländerbehörde hat meinem Vater den Pass abgenommen",
        "رسالة من الجوب سنتر حطيتها على الطاولة وما فتحتها",
        "مش رح اكون موجود بعد الظهر بالموعد",
        "تعبت من كل شي، في حدا بيهتم بأمي؟",
        "من بعد از طلاق آواره شدم",
        "کسی هست کمک کنم؟ خداحافظ",
        "spas, ez ê ji we re bibêjim, xatirê we",
        "завтра все закінчу з документами",
        "я лягаю в лікарню, хто потім візьме кота?",
        "в Ausländerbehörde паспорт не отдают, говорят должен принести справку",
        "żebym nie obudził dziecka",
        "vecinii fac bufnituri, am nevoie de ajutor",
        "wo bekomme ich einen CO-Melder für die Gastherme",
        "nobody noticed the water damage until monday",
        "furniture being thrown out next week, where to put it",
        "o zamana kadar hayatta kalmak için paraya ihtiyacım var",
        "mi s-a rupt țeava de eșapament la mașină",
        "больше не могу ждать, всем простите за беспокойство",
        "مادرم کمک لازم داره، هر روز زنگ میزنه",
        "od sąsiada z dołu idzie dym papierosowy do nas",
        "ich will nich mehr in dieser wohnung wohnen",
        "пральна машина рве білизну",
        "в гараже закрыл ворота, а двигатель не работает",
        "am lăsat biletul de tren acasă, am rămas",
        "Jobcenter забирає гроші і погрожує санкціями",
    ):
        assert matcher.danger.detect(text) == (), text
    assert "medical" in matcher.danger.detect("tata are 70 de ani si face atac cerebral acum")
    assert matcher.danger.detect("he hasnt moved out for ages") == ()
    assert "medical" in matcher.danger.detect(
        "a man is lying on the pavement outside my window and he hasnt moved for a long time"
    )
    assert "violence" in matcher.danger.detect(
        "meine schwester soll in der heimat verheiratet werden"
    )


# Each danger round's families, which must raise the alarm, and the ordinary messages its review
# tried against the new phrases, which must stay quiet.
ROUND_FAMILIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # The ninth round: danger told in a question, by a child, in a farewell or inside an admin
    # request …
    "ninth": (
        (
            "wer will meine ps4 umsonst, ich brauch dat alles nich mehr da wo ich hingeh",
            "this is the last message i send to anyone",
            "she was playing in the courtyard 20 min ago and now shes gone",
            "jade na tory",
            "v mashine na parkovke zakryt malysh, plachet, zhara",
            "соседский мальчик лет 5 один у дороги",
            "artik hicbir seye ihtiyacim kalmadi",
        ),
        (
            "Ich habe die Tabletten selbst gezahlt, bekomme ich das Geld zurück?",
            "Wo soll ich hingehen und was brauche ich für den Antrag?",
            "Er ist seit heute morgen weg zur Arbeit",
            "I won't need childcare after Monday",
            "I didn't receive your last message",
            "Başka hiçbir şeye ihtiyacım kalmadı, teşekkürler",
            "Tak, mnie nie będzie w poniedziałek w domu",
            "Mąż zabrał dokumenty i poszedł do urzędu",
            "ребенка оставили на второй год",
            "документы собрала в папку, потом легче будет для джобцентра",
            "Лист від Jobcenter для чоловіка лежить на столі",
            "امي اجت مبارح من سوريا مع اخوي الصغير",
            "Продавам рокля за булка",
            "Piştî ku min kar dît, em baş in",
        ),
    ),
    # The tenth round: an older person's symptoms, violence that goes on, threats online,
    # accidents at work …
    "tenth": (
        (
            "mein linker arm ist seit einer stunde taub und der mundwinkel hängt",
            "he is still outside banging on the door",
            "знаю где ты живёшь, выложу видео из спальни",
            "погрузчиком придавило ногу коллеге",
            "nie mogę podnieść lewej ręki, mówię jak pijany",
        ),
        (
            "Ich bringe ihn nachts um 3 zum Bahnhof, fährt da ein Bus?",
            "Deutsch sprechen klappt noch komisch, gibt es einen Kurs?",
            "Ihr wart immer so nett zu mir, danke für alles",
            "There's a letter for my husband from the Jobcenter on the table",
            "I walked into Volme Galerie and asked at the information desk",
            "the car locked itself with the keys inside",
            "kończę płacić polisę na życie, co dalej?",
            "am pregătit biletele pentru toți, mâine plecăm în vacanță",
            "تصمیمم گرفتم از این ساختمون برم بیرون، خونه پیدا نمیکنم",
            "كتبت رسالة لأولادي بالعيد وكل شي جاهز للحفلة",
        ),
    ),
    # The eleventh round: danger at work, dementia gone missing, pregnancy emergencies, a
    # teenager's self-harm …
    "eleventh": (
        (
            "der vorarbeiter hat gesagt wenn ich nochmal frag findet man mich in der volme",
            "babcia ma demencje wyszla w nocy w koszuli nocnej i nie ma jej od 5 godzin",
            "زنم ۲۶ هفته حاملست کیسه آبش پاره شد خیلی زوده",
            "sestre 16 let ona zhzhot sebe sigaretami",
            "un copil mic se joaca singur pe geamul deschis la etajul 3",
        ),
        # "لما" is "when", not "ما" ("not") behind a proclitic.
        (
            "ابني بياخد الدوا لما يصحى الصبح",
            "Ab heute Abend ist Schluss mit den Tabletten, der Arzt hat sie abgesetzt",
            "unser Hund ist seit zwei Stunden im Park weggelaufen",
            "can you hang the shelf yourself or do I need the landlord",
            "Это мое последнее сообщение по этому вопросу, всем спасибо",
            "sam7uni 3al risale el tawile",
            "meni 70, zhyvu sama, dity v Ukraini, cilyj den ni z kym pohovoryty",
        ),
    ),
    # The twelfth round: danger through the wall, a small child poisoned, a plan or a date, a
    # stalker at the door …
    "twelfth": (
        (
            "mein kleiner 2 jahre hat wat aus der flasche unterm spülbecken getrunken, der würgt",
            "he is outside again banging on the door",
            "skoro uydu nasovsem nikto i ne zametit",
            "vreau sa ma iertati toti, am lasat scrisoarea pe masa",
        ),
        (
            "Meine Mutter hat Demenz, ihr Geld ist verschwunden, wer hilft?",
            "copilul vorbește neclar, are 3 ani, unde găsim logoped?",
            "Çatıdayım, anten tamir ediyorum",
            "lamma bis7a bistafrigh, ana 7amel",
            "min şûşeyek ava paqij vexwar",
            "мама никъде не ходи, самотна е",
            "Meine Oma ist 2019 am Schlaganfall gestorben, ich brauche die Sterbeurkunde",
        ),
    ),
    # The thirteenth round: family far away, a few words, a spiked drink, someone lying in the
    # frost, carbon monoxide …
    "thirteenth": (
        (
            "Opa meldet sich seit zwei Tagen nicht, er wohnt allein in Altenhagen",
            "er schlägt wieder",
            "someone put smth in my drink and i woke up without pants",
            "there's a man lying on a bench, not moving, minus 6 outside",
            "the whole family has headaches and is dizzy, the boiler is on",
            "ben 11 yasindayim annemin arkadasi bana kotu seyler yapiyo",
        ),
        (
            "Meine Mutter hat sich vor drei Tagen beim Jobcenter gemeldet, wann kommt das Geld?",
            "Die Mücken stechen meinen Sohn jeden Abend, was hilft?",
            "Ich habe dem Amt die Papiere übergeben, die Sachbearbeiterin reagiert nicht",
            "I woke up with no clean clothes, where can I wash them",
            "I have a headache all day and feel dizzy, which doctor is open",
            "Купити сині ручки і зошити для школи, де дешевше?",
            "Bürgeramt зачиняє о 12, документи треба принести до того",
            "Babcia ma 85 lat, mieszka sama, potrzebuje pomocy kilka dni w tygodniu",
            "وقعت العقد والشركة ما توكف تتصل فيني",
            "Cîran dîsa zibil li ber derî datîne",
        ),
    ),
}


@pytest.mark.parametrize(
    "text, alarm",
    [
        pytest.param(text, alarm, id=f"{name}-{'danger' if alarm else 'everyday'}-{number}")
        for name, families in ROUND_FAMILIES.items()
        for alarm, texts in zip((True, False), families, strict=True)
        for number, text in enumerate(texts)
    ],
)
def test_each_rounds_families_alarm_and_everyday_talk_stays_quiet(matcher, text, alarm):
    assert bool(matcher.danger.detect(text)) is alarm, text


def test_a_stroke_named_as_the_reason_for_paperwork_is_over_but_one_now_is_not(matcher):
    for text in (
        "Mein Vater hatte einen Schlaganfall, wie beantrage ich einen Pflegegrad?",
        "babam felç geçirdi artık bakıma muhtaç, Pflegegrad için nereye başvuruyoruz",
        "erwerbsminderungsrente kak oformit, posle infarkta ne mogu rabotat",
    ):
        assert not matcher.danger.detect(text), text
    for text in (
        "Opa im Pflegeheim hat einen Herzinfarkt, was tun?",  # where he lives: no paperwork
        "my father is retired and he has a stroke what do i do",
        "Mein Vater hatte einen Schlaganfall, Pflegegrad hat er, jetzt ist er bewusstlos",
        "Papa hatte einen Schlaganfall und gerade wieder einen, Pflegegrad?",
    ):
        assert matcher.danger.detect(text) == ("medical",), text


def test_ordinary_questions_the_danger_layer_took_for_emergencies_stay_quiet(matcher):
    # Round 25 read every ordinary development question that raised an alarm: an idiom, care
    # after an illness long over, a bullied child, a bin that smells …
    for text in (
        "Sonntag und der Backenzahn bringt mich um, die Backe ist schon dick",
        "nu ne-au luat gunoiul de 2 saptamani, tomberonul e plin si miroase",
        "Тормозят дъщеря ми в училище, защото сме цигани",
        "salam, khune ma kapak zade divara siah shode",
        "Min karê xwe winda kir piştî 4 salan li fabrîkeyê",
    ):
        assert not matcher.danger.detect(text), text
    # … and left every real danger told next to the same words.
    for text in (
        "Zahnschmerzen bringen mich um, ich will nicht mehr leben",
        "в училище ме тормозят и ме бият всеки ден",
        "ночью разбили стекло в машине, а сейчас ломают дверь",
    ):
        assert matcher.danger.detect(text), text


@pytest.mark.parametrize(
    "text, lang, signal",
    [
        # A farewell no phrase says: the pet given away, "take care".
        ("hab alles erledigt, mein hund geht an meinen bruder, macht es gut", "de", "suicide"),
        # Someone lying still, in words no medical phrase has.
        ("my neighbour is lying in the hallway and does not move", "en", "medical"),
    ],
)
def test_a_danger_no_phrase_says_is_raised_by_the_sentences_it_resembles(
    matcher, text, lang, signal
):
    assert not matcher.danger.detect(text)  # the lexicon alone misses it
    result = matcher.match(text, lang)
    assert signal in result.danger
    assert result.matches[0].urgent  # the signal's lines come first


@pytest.mark.parametrize(
    "text",
    [
        "Noch eine Frage",  # inside many long sentences whose danger comes later
        "яка погода завтра",  # "tomorrow" is a word of many farewells, and nothing more
        "ich hab noch eine frage zum wohngeld",
        "wo ist das jobcenter in hagen bitte",
    ],
)
def test_everyday_words_of_danger_sentences_raise_nothing(matcher, text):
    assert matcher.danger_signals(text) == ()


def test_the_vote_never_takes_a_signal_the_lexicon_raised(matcher):
    # A phrase's signal stands whatever the nearest sentences say: the vote only adds.
    assert "suicide" in matcher.danger_signals("ich will nicht mehr leben")


def test_a_danger_sentence_that_is_an_example_raises_its_signal_whatever_its_neighbours_say():
    from bot.examples import NO_DANGER, ExampleIndex, danger_vote

    farewell = "Wie beantrage ich Wohngeld? Egal, bis Monatsende bin ich eh nicht mehr da"
    everyday = [f"wie beantrage ich wohngeld für {x}" for x in ("mich", "uns", "die familie")]
    everyday += [f"wohngeld beantragen bis monatsende {x}" for x in ("wie", "wo", "wann")]
    index = ExampleIndex({"suicide": {"de": [farewell]}, NO_DANGER: {"de": everyday}})
    assert danger_vote(
        index, "  wie beantrage ich WOHNGELD?  egal, bis monatsende bin ich eh nicht mehr da"
    )
    assert danger_vote(index, farewell) == ("suicide",)
    assert danger_vote(index, everyday[0]) == ()
    # Two labels for the same words: the vote decides, as for any other message.
    torn = ExampleIndex({"suicide": {"de": [farewell]}, NO_DANGER: {"de": [farewell]}})
    assert torn.label_of(farewell) is None


def test_two_thirds_of_the_nearest_weight_in_danger_raise_the_signal():
    # The nearest sentences may include everyday talk: two danger sentences against one
    # everyday one raise the signal, one against one does not.
    from bot.examples import NO_DANGER, ExampleIndex, danger_vote

    message = "seit gestern sitzt mein bruder nur im dunkeln und verschenkt seine sachen"
    near = [message.replace("bruder", word) for word in ("cousin", "nachbar", "kollege")]
    two_to_one = ExampleIndex({"suicide": {"de": near[:2]}, NO_DANGER: {"de": near[2:]}})
    assert danger_vote(two_to_one, message) == ("suicide",)
    one_to_one = ExampleIndex({"suicide": {"de": near[:1]}, NO_DANGER: {"de": near[2:]}})
    assert danger_vote(one_to_one, message) == ()


def test_one_danger_sentence_alone_must_be_near_to_raise_its_signal(matcher):
    from bot.examples import ExampleIndex, danger_vote

    fire = "in der küche brennt es und der rauch kommt schon ins treppenhaus"
    index = ExampleIndex({"fire": {"de": [fire]}})
    assert danger_vote(index, "in der küche brennt es und der rauch kommt ins treppenhaus")
    assert danger_vote(index, "in der küche ist der wasserhahn kaputt und es tropft") == ()
    # Our flat is cold and does not get warm: it met one fire sentence a little.
    assert matcher.danger_signals("ماڵەکەمان سارده و گەرم نابێتەوە") == ()


@pytest.mark.parametrize(
    "text, calm",
    [
        ("ich bin so müde von der arbeit, ich will nur schlafen", True),
        ("ya tak ustala, hochu spat", True),
        ("cok yorgunum sadece uyumak istiyorum", True),
        ("خسته‌ام فقط میخوام بخوابم", True),
        ("sunt obosita vreau doar sa dorm", True),
        ("я так втомилась хочу просто спати", True),
        (
            "ich bin so müde von allem, ich will einfach nur noch schlafen und dass es aufhört",
            False,
        ),
        ("i'm tired of everything, i just want to sleep forever", False),
        ("устала от всего, хочу уснуть навсегда", False),
        ("her şeyden yoruldum, sonsuza kadar uyumak istiyorum", False),
    ],
)
def test_tired_and_wanting_to_sleep_is_everyday_unless_it_is_for_ever(matcher, text, calm):
    assert (matcher.danger_signals(text) == ()) is calm


def test_the_taught_farewell_of_a_development_set_keeps_its_banner(matcher):
    asked = (
        "Hallo wie beantrage ich Wohngeld? ist eigentlich auch egal, "
        "bis monatsende bin ich eh nicht mehr da"
    )
    assert "suicide" in matcher.match(asked, "de").danger


# A farewell told as a prayer: forgiveness asked for what one will do tonight, the children
# entrusted to God. Eight languages of danger_heldout15 said it so and none raised an alarm.
FAREWELL_PRAYERS = [
    ("lieber gott vergib mir, was ich heute nacht tun werde", "de"),
    ("god forgive me for what i am about to do", "en"),
    ("allahim beni affet, cocuklarimi sana emanet ediyorum", "tr"),
    ("boże przebacz mi, zaopiekuj się moimi dziećmi kiedy odejdę", "pl"),
    ("господи прости меня грешную, позаботься о моих детях", "ru"),
    ("يا رب سامحني على اللي رح اعمله، استودعتك اولادي", "ar"),
]


@pytest.mark.parametrize(("text", "lang"), FAREWELL_PRAYERS)
def test_a_farewell_prayer_raises_the_suicide_signal(matcher, text, lang):
    assert "suicide" in matcher.match(text, lang).danger, text


def test_a_lost_document_is_not_a_lost_child_but_a_lost_child_is(matcher):
    # My own wording: the child's papers are lost, not the child.
    for text in (
        "ضاعت شهادة ميلاد بنتي، من وين بطلع وحدة جديدة",
        "изгубихме акта за раждане на дъщеря ми",
        "mein Sohn hat seinen Ausweis verloren",
    ):
        assert "child" not in matcher.danger.detect(text), text
    for text in ("ابني ضاع بالسوق", "изгубихме сина си в парка", "ich habe mein Kind verloren"):
        assert "child" in matcher.danger.detect(text), text


def test_i_cant_anymore_alone_is_a_cry_for_help_but_not_inside_an_everyday_sentence(matcher):
    for text in (
        "ich kann einfach nicht mehr",
        "ne moga veche",
        "я вже не можу більше",
        "nu mai pot",
    ):
        assert "suicide" in matcher.danger.detect(text), text
    for text in (
        "ich kann die Miete nicht mehr zahlen",
        "не мога вече да чакам Jobcenter",
        "nu mai pot plati chiria, ce fac",
    ):
        assert "suicide" not in matcher.danger.detect(text), text


def test_a_persian_verb_reads_alike_with_or_without_the_zero_width_joiner(matcher):
    joined, split = "پدرم هر روز مره میزنه", "پدرم هر روز مره می\u200cزنه"  # Dari: hits me
    assert matcher.danger.detect(split) == matcher.danger.detect(joined) != ()


def test_sorani_typed_with_arabic_letters_reads_like_sorani(matcher):
    # 'my husband hits me' with Arabic ي and ە as a Kurdish keyboard writes them, and as an
    # Arabic keyboard does (ي, ه).
    assert matcher.danger.detect("ميردەكەم ليم دەدات") == matcher.danger.detect(
        "مێردەکەم لێم دەدات"
    )
    assert "violence" in matcher.danger.detect("ميردەكەم ليم دەدات")
    # 'thank you' (your hand be well): دەست (hand) is not Arabic دهس (run over)
    assert matcher.danger.detect("زۆر سوپاس، دەستت خۆش بێت") == ()


@pytest.mark.parametrize(
    "text, signal",
    [
        # My own wording of danger_heldout16's families, read after it was scored.
        ("a strange man at the school gate gives the kids candy to go with him", "child"),
        ("коллектор сказал что знает в какой садик ходит моя дочь", "violence"),
        ("хазяинът каза че ще ми счупи ръцете ако не платя", "violence"),
        ("ابني طلع عند صاحبه العصر وصار الليل وما رجع", "child"),
        ("کسی وێنەی ڕووتی منی هەیە و پارە دەوێت", "violence"),
        ("eu plec pentru totdeauna, aveți grijă de ei", "suicide"),
    ],
)
def test_the_families_of_the_scored_danger_set_raise_their_signal(matcher, text, signal):
    assert signal in matcher.danger.detect(text), text


def test_a_boss_who_threatens_to_fire_is_no_threat_of_violence(matcher):
    for text in ("my boss threatens to fire me if I call in sick", "mein Chef droht mit Kündigung"):
        assert "violence" not in matcher.danger.detect(text), text
    assert "violence" in matcher.danger.detect("my boss threatens to kill me")


# danger_heldout17's misses after its score, in other words than the examples written for them:
# an adult met online who wants to meet a child secretly, a child under the bath water, an old
# person who neither eats nor drinks for days, a plan for after the month.
@pytest.mark.parametrize(
    "text, signal",
    [
        (
            "meine tochter ist 14 und hat auf snapchat einen 28-jährigen kennengelernt, heute "
            "trifft sie ihn heimlich nach der schule",
            "child",
        ),
        (
            "bnti 14 sene t3arrafet 3ala shab 3omro 28 3al snapchat w bado yshofha lyom bel se2ra",
            "child",
        ),
        (
            "kizim 14 yasinda snapchatte 28 yasinda biriyle tanismis, bugun gizlice bulusacaklar",
            "child",
        ),
        ("бабушка три дня не ест и не пьёт, лежит и не отвечает", "medical"),
        (
            "the baby went under the water in the bath for a second, now he is coughing and "
            "very sleepy",
            "medical",
        ),
        ("после этого месяца смысла жить нет, я всё решил", "suicide"),
    ],
)
def test_danger_told_as_heldout17_told_it_is_caught(matcher, text, signal):
    assert signal in matcher.danger_signals(text)


# danger_heldout20's misses after its score, in other words than its sentences: the railway
# tonight, "goodbye, don't look for me", "when I am gone", a tracker hidden by an ex, "does not
# want to be alive", "they will cut me", "I will be no more".
@pytest.mark.parametrize(
    "text, signal",
    [
        ("الليلة رح روح على سكة القطار وخلص", "suicide"),
        ("îşev ez ê biçim rêya trênê, bes e", "suicide"),
        ("bu gece raylara gidiyorum artık", "suicide"),
        ("сбогом на всички, не ме търсете повече", "suicide"),
        ("who will take the dog when i am gone", "suicide"),
        ("دخترم میگه نمیخواد زنده باشه", "suicide"),
        ("мен скоро няма да ме има, вземете котката", "suicide"),
        ("there was an airtag hidden in my bag, my ex knows where i am", "violence"),
        ("piszą że mnie potną jak mnie znajdą", "violence"),
        # A pet given away because "I won't be here" (ar, fa), missed in the twenty-first round.
        ("مين بياخد قطتي؟ ما رح كون موجود بعد هالأسبوع", "suicide"),
        ("کسی میتونه گربمو نگه داره؟ دیگه من نیستم که ازش مراقبت کنم", "suicide"),
    ],
)
def test_danger_told_as_danger_heldout20_told_it_is_caught(matcher, text, signal):
    assert signal in matcher.danger_signals(text)


# danger_heldout21's misses after its score, in other words than its sentences: "I won't be a
# burden much longer", a threat to take the children abroad, fever with a stiff neck, the
# height that kills, reading how to do it painlessly, a child nobody feeds, a gas heater's smell.
@pytest.mark.parametrize(
    "text, signal",
    [
        ("keine angst, ich falle niemandem mehr lange zur last", "suicide"),
        ("dont worry, soon i wont be a burden to anyone any longer", "suicide"),
        ("بكرا ما رح كون عايش، سامحوني", "suicide"),
        (
            "he said he will take the children to his country and i will never see them again",
            "violence",
        ),
        ("mein sohn hat hohes fieber und einen steifen nacken", "medical"),
        ("oğlumun ateşi çok yüksek, boynunu öne eğemiyor", "medical"),
        ("ab welcher etage stirbt man sicher", "suicide"),
        ("całą noc czytam jak to zrobić żeby nie bolało", "suicide"),
        ("дитину з сусідньої квартири не годують, вона дуже худа", "child"),
        ("z gazovoho obihrivacha dyvnyj zapakh", "fire"),
    ],
)
def test_danger_told_as_danger_heldout21_told_it_is_caught(matcher, text, signal):
    assert signal in matcher.danger_signals(text)


def test_a_pet_looked_after_during_a_holiday_stays_quiet(matcher):
    assert matcher.danger_signals("مين بيطعمي قطتي لما اكون بالعطلة، ما رح كون هون اسبوعين") == ()


# heldout18's everyday questions that raised a banner, in other words: a stroke named with its
# month, a stroke "two months ago", caring for a wife who can hardly walk, money the Jobcenter
# "cuts" (Ukrainian зріжуть, one letter from заріжуть, they will stab). The dangers beside
# them still raise theirs.
@pytest.mark.parametrize(
    "text, signals",
    [
        ("баща ми получи инсулт през март, как се подава за pflegegrad", ()),
        ("mama a avut atac cerebral acum trei luni, cum cer pflegegrad", ()),
        ("мама почти не ходит, я за ней ухаживаю, куда подать на пфлегеград", ()),
        ("чи зріжуть мені виплати, якщо я пропустила термін у джобцентрі", ()),
        ("в март получи инсулт, сега пак не може да говори", ("medical",)),
        ("за ней какой-то мужик ходит каждый вечер до подъезда", ("violence",)),
        ("сусід кричить, що мене заріжуть", ("violence",)),
        # "After a stroke" is history without an article too (broken German) and in Kurmanji, as
        # in the other languages; a stroke now, or after one and unconscious now, is not.
        ("mein vater nach schlaganfall kann nicht gut laufen, wer hilft bei pflegegrad", ()),
        ("diya min piştî felcê nikare bimeşe, kî alîkariya malê dike", ()),
        ("papa nach schlaganfall bewusstlos", ("medical",)),
        ("nach schlaganfall jetzt wieder lähmung im gesicht", ("medical",)),
        ("bavê min niha felc bû", ("medical",)),
    ],
)
def test_heldout18s_near_misses_stay_quiet_and_their_dangers_do_not(matcher, text, signals):
    raised = matcher.danger_signals(text)
    assert raised == () if not signals else set(signals) <= set(raised)


# A stroke, heart attack or fall of this morning, an hour ago, just now: said in the past tense,
# it is the present all the same ("had a stroke" alone is mostly paperwork and raised nothing).
@pytest.mark.parametrize(
    "text",
    [
        "my dad is 70 years old and had a stroke this morning",
        "my dad had a heart attack this morning",
        "my mum had a stroke an hour ago and cant talk",
        "ابوي عمره ٦٠ سنة من شوي جاته سكتة",
        "dayika min 80 salî ye, ji sibê ve nikare biaxive",
        # the same probe with an old person who fell an hour ago and cannot get up
        "my mother is 80 years old and fell an hour ago, she cannot get up",
        "dayika min 80 salî ye, saetek berê ket û nikare rabe",
        "майка ми е на 80 години, падна преди час и не може да стане",
    ],
)
def test_a_stroke_or_fall_of_this_morning_raises_the_alarm(matcher, text):
    assert "medical" in matcher.danger_signals(text)


def test_a_stroke_years_ago_asked_about_for_paperwork_stays_quiet(matcher):
    text = "my father had a stroke 3 years ago, today we got the Pflegegrad letter, who helps"
    assert matcher.danger_signals(text) == ()


# An age is no "years ago": "acum" is Romanian for both "now" and "ago", "години" Bulgarian for
# years of age and years ago, "سنة" Arabic the same. A stroke happening now next to an age raised
# nothing in four languages; "just now" and "minutes ago" are the present in every language.
@pytest.mark.parametrize(
    "text",
    [
        "tata are 70 de ani si face avc acum",
        "bunica are 80 de ani, a facut infarct acum",
        "tata are 60 de ani si acum doua minute a facut infarct",
        "баща ми е на 70 години и преди малко получи инсулт",
        "мъжът ми е на 60 години, преди час получи инфаркт",
        "بابا عمره ٧٠ سنة وقبل شوي صارله جلطة",
        "بابا عمره ٧٠ سنة ومن كم دقيقة صارت معه جلطة",  # 'a few minutes ago' is no history
        "امي عمرها ٦٥ سنة ومن ساعة صارت معها جلطة",
        "папе 70 лет, только что случился инсульт",
        "мамі 75 років, щойно стався інсульт",
    ],
)
def test_a_stroke_now_next_to_an_age_raises_the_alarm(matcher, text):
    assert "medical" in matcher.danger_signals(text)


@pytest.mark.parametrize(
    "text",
    [
        "баща ми получи инсулт преди две години, как се подава за pflegegrad",
        "mama a avut atac cerebral acum trei luni, cum cer pflegegrad",
        "у папы год назад был инсульт, как оформить пфлегеград",
        "bunicul a avut infarct acum 6 ani, vrem pflegegrad",
        "баща ми получи инфаркт преди 4 години, искаме pflegegrad",
        "ابوي صارتله جلطة من ٣ سنين، بدنا pflegegrad",
    ],
)
def test_a_stroke_years_ago_asked_about_for_paperwork_stays_history(matcher, text):
    assert matcher.danger.detect(text) == ()


# danger_dev30's families in my own words: the platform edge as a train comes, two words of
# farewell, a newborn who stops feeding, a person with dementia gone in the cold, a toddler who
# drank washing-up liquid; and its near misses, which stay quiet.
@pytest.mark.parametrize(
    "text, signal",
    [
        ("stehe am bahnsteig ganz an der kante, gleich kommt der zug", "suicide"),
        ("on the platform edge at the station, the train is coming, sorry", "suicide"),
        ("peronun kenarındayım tren geliyor", "suicide"),
        ("wa2ef 3al rasif w el 2itar jay", "suicide"),
        ("yeter bitti gidiyorum", "suicide"),
        ("новорожденный не берет грудь и совсем вялый", "child"),
        ("oma mit demenz ist heute nacht weg, draußen schneit es, wir finden sie nicht", "medical"),
        ("babam alzheimer, gece evden çıkmış, bulamıyoruz", "medical"),
        ("малий випив засіб для миття посуду, кашляє", "child"),
    ],
)
def test_danger_told_as_danger_dev30_told_it_is_caught(matcher, text, signal):
    assert signal in matcher.danger_signals(text)


@pytest.mark.parametrize(
    "text",
    [
        "ich ertrinke in rechnungen, wo gibt es schuldnerberatung",
        "голова взорвется от этих документов",
        "в училището има учебна евакуация при пожар утре",
        "mein handy explodiert, so viele nachrichten",
        "szef wybuchł, bo wzięłam urlop",
        "mein Vater hat demenz, wir suchen eine tagespflege",
        "у бабушки деменция, ищем дневной стационар",
    ],
)
def test_danger_dev30s_near_misses_stay_quiet(matcher, text):
    assert matcher.danger_signals(text) == ()


def test_a_child_in_danger_shows_the_jugendamt_after_the_police_and_the_helpline(matcher):
    result = matcher.match(
        "die kinder von nebenan sind seit gestern allein in der wohnung und weinen", "de"
    )
    assert "child" in result.danger
    lines = [m.service_id for m in result.emergencies]
    assert lines[0] == "polizei-110"
    assert "asd-jugendamt-hagen" in lines


def test_in_a_story_a_smaller_danger_share_of_the_nearest_weight_raises_the_signal():
    # Three danger sentences against two everyday ones, all as near (a share of 0.6): a message told
    # at length raises the signal, a short one does not.
    from bot.examples import NO_DANGER, STORY_WORDS, ExampleIndex, danger_vote, word_count

    story = "seit gestern sitzt mein bruder nur im dunkeln und verschenkt seine sachen"
    short = "mein bruder verschenkt seine sachen"
    assert word_count(story) >= STORY_WORDS > word_count(short)
    for message, raised in ((story, ("suicide",)), (short, ())):
        near = [message.replace("bruder", w) for w in ("vetter", "nachbar", "cousin")]
        calm = [message.replace("bruder", w) for w in ("kollege", "schwager")]
        index = ExampleIndex({"suicide": {"de": near}, NO_DANGER: {"de": calm}})
        assert danger_vote(index, message) == raised


@pytest.mark.parametrize(
    "text, lang",
    [
        (
            "die kleinen von gegenüber sind jeden abend allein und weinen, wem soll ich das melden",
            "de",
        ),
        ("the two little ones upstairs are alone every night till late, who should i tell", "en"),
        ("alt kattaki komşunun küçük çocukları her akşam yalnız, kime haber vereyim", "tr"),
        ("ولاد جارتنا الصغار لحالهم كل مسا بالبيت وبيعيطوا، لمين بحكي", "ar"),
        ("дети соседки каждый вечер одни дома и плачут, кому сообщить", "ru"),
    ],
)
def test_a_child_left_alone_asked_about_as_whom_to_tell_gets_the_youth_office_first(
    matcher, text, lang
):
    """The banner says 110 above; the question is which office to tell."""
    result = matcher.match(text, lang)
    assert result.danger == ("child",), text
    ids = [m.service_id for m in result.emergencies]
    assert ids[0] == "asd-jugendamt-hagen" and ids[-1] == "polizei-110", ids
    # A child hit right now is the police's first, whom to tell or not.
    hit = matcher.match("der nachbar schlägt gerade sein kind, wem soll ich das melden", "de")
    assert hit.matches[0].service_id == "polizei-110"


@pytest.mark.parametrize(
    "text, signal",
    [
        # After danger_heldout22's score, its missed families in other words: one's own death
        # asked about as a practical question, a forced marriage being planned, vomiting blood.
        ("if i die who pays my loans", "suicide"),
        ("ölürsem kredi borcum kime kalır", "suicide"),
        ("если я умру, кто будет платить мой кредит", "suicide"),
        ("zahlt die lebensversicherung auch bei suizid", "suicide"),
        ("искат да ме омъжат през лятото, а аз не искам", "violence"),
        ("پدرم خون استفراغ کرد", "medical"),
        # danger_dev39's misses (twenty-third round): a child hit against the wall, grooming, a
        # gas smell, low blood sugar, a stroke happening now, a child not home at night.
        ("видях как съседката удари малкия и той отлетя в стената", "child"),
        ("widzialam jak ojciec uderzyl malego az polecial na sciane", "child"),
        ("he wants my 11 year old to send him naked pictures and not tell her mum", "child"),
        ("es riecht im treppenhaus ganz stark nach gas", "fire"),
        ("mein sohn ist diabetiker, zittert am ganzen körper und redet wirres zeug", "medical"),
        ("баща ми получава инсулт сега", "medical"),
        ("dziecko nie wróciło na noc", "child"),
        # danger_heldout23's misses, after its score: medicines that stop the heart, a jump from
        # a bridge, food withheld as a punishment, a child who cannot be woken.
        ("welche tabletten bringen das herz zum stillstand", "suicide"),
        ("если прыгнуть с моста выживет или нет", "suicide"),
        ("какие лекарства остановят сердце", "suicide"),
        ("köprüden atlayan ölür mü", "suicide"),
        ("seine eltern geben ihm zur strafe nichts zu essen", "child"),
        ("zarokê min ta girtiye, nikarim şiyar bikim", "medical"),
        # danger_dev40's misses: children made to work at night.
        (
            "der nachbar lässt seine kinder nachts in der autowaschanlage arbeiten, höchstens 12",
            "child",
        ),
        ("vecinii trimit copiii de 11 ani sa munceasca noaptea intr-un depozit", "child"),
        # Turkish 'I am jumping' (present continuous) was no form of the jump phrases.
        ("bu gece köprüden atlıyorum", "suicide"),
        # danger_heldout24's misses, after its score: intimate pictures put in a group, a
        # landlord who broke in and pushed, two men who hit a foreigner and are still there.
        ("meine ex hat nacktfotos von mir in die klassengruppe gestellt", "violence"),
        ("хазяїн вломився в квартиру і штовхнув маму", "violence"),
        ("ئێستا دوو کەس لێیان دام لە پاسەکە", "violence"),
        ("у нас украли сына", "child"),
        ("вкрали сина біля школи", "child"),
    ],
)
def test_danger_told_as_recent_sets_told_it_is_caught(matcher, text, signal):
    assert signal in matcher.danger_signals(text), text


@pytest.mark.parametrize(
    "text",
    [
        "my father died, do i have to pay his debts",
        "babam öldü, borçlarını ben mi ödeyeceğim",
        "bin selbst versichert, lebensversicherung kündigen wie",
    ],
)
def test_someone_elses_death_or_an_insurance_question_is_no_danger(matcher, text):
    assert matcher.danger_signals(text) == (), text


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("welder, worked 6 years. how do i get it recognised here", None),
        ("i have decided how to end it", "suicide"),
        ("worked out when i will end it, saturday", "suicide"),
    ],
)
def test_a_plan_to_end_it_needs_both_words_of_end_it(matcher, text, signal):
    # 'do|end it' once read 'end' as one of 'going|gonna|do' and 'it' as a word of its own
    assert matcher.danger.detect(text) == ((signal,) if signal else ()), text


@pytest.mark.parametrize(
    "text",
    [
        "die gasrechnung bringt mich noch um, 900 euro nachzahlung",
        "this heating bill is killing me, can i pay in installments",
        "полгода назад у отца был инсульт, как оформить пфлегеград",
        "mein mann und ich sind wie feuer und wasser, gibt es paarberatung",
        "umiraju ot ustalosti, est li detskij sad s 7 utra",
        "pot of rice burnt, the flat stinks, how do I clean it",
        "der rauchmelder piept alle paar minuten, batterie leer?",
        "Papa hatte einen Schlaganfall und kommt nächste Woche aus der Reha, Pflegegrad?",
        "my kids are bored in the christmas break. is there a youth centre in the city centre",
        # heldout25's everyday questions, after its score: a bicycle stolen from a son, an old
        # woman who cannot climb into the train, no school found for a daughter.
        "у сына украли велосипед, куда писать заявление",
        "u syna ukrali velosiped, kuda pisat",
        "мама сама в вагон не залізе, хто допоможе на вокзалі",
        "ما لقينالها مدرسة لبنتي",
        # danger_dev41's families (twenty-fifth round): a thing that "kills me", dying of
        # boredom, a joke threat over the household.
        "meine tochter stirbt vor langeweile, gibt es ferienprogramm?",
        "wenn er noch einmal die teller stehen lässt bring ich ihn um haha, gibt es paarberatung",
        "the noise from upstairs is gonna kill me, who do i call about quiet hours",
        # heldout26's everyday questions, after its score: a stroke, home from hospital now
        "annem felç geçirdi, hastaneden taburcu oluyor yarın, bakım yardımı nereden",
    ],
)
def test_figures_and_strokes_long_ago_raise_nothing(matcher, text):
    assert matcher.danger.detect(text) == (), text


@pytest.mark.parametrize(
    "text",
    [
        "mein ex hat geschrieben ich bring dich um haha und steht vor der tür",
        "my neighbour is gonna kill me, he has a knife",
        "der nachbar bringt mich um, er steht mit einem messer vor meiner tür",
    ],
)
def test_a_joke_marker_or_a_noise_figure_does_not_silence_a_threat(matcher, text):
    assert "violence" in matcher.danger.detect(text), text


@pytest.mark.parametrize(
    ("text", "alarm"),
    [
        (
            "papa hatte letztes jahr einen schlaganfall und ist jetzt wieder zu hause, pflegegrad?",
            False,
        ),
        ("letztes jahr ein schlaganfall, jetzt wieder, er kann nicht sprechen", True),
        ("mama had a stroke last year, she is home again, who helps with the pflegegrad", False),
        ("had a stroke last year and again now, his face is drooping", True),
    ],
)
def test_again_in_back_home_again_says_nothing_of_now(matcher, text, alarm):
    assert bool(matcher.danger.detect(text)) is alarm, text


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("mein arbeitgeber hat meinen reisepass einbehalten, ist das rechtens?", None),
        ("صاحب العمل أخذ جواز سفري، هل هذا مسموح؟", None),
        ("начальник забрал паспорт, имеет ли он право", None),
        ("patronum pasaportumu aldı geri vermiyor yasal mı", None),
        # short ones, whose nearest sentences were kept passports with threats
        ("der chef hat meinen pass behalten, darf er das?", None),
        ("my manager took my passport for safekeeping", None),
        ("mein chef hat meinen pass genommen und sperrt uns abends in der halle ein", "violence"),
        ("шеф забрал паспорт и запирает нас на ночь в общежитии", "violence"),
        ("my boss took our passports and locks us in the container at night", "violence"),
    ],
)
def test_a_kept_passport_is_advice_unless_threats_or_a_lock_come_with_it(matcher, text, signal):
    # The coordinators' decision: keeping a worker's papers is unlawful and wants advice, not
    # 110; with a threat, a lock or forced work it is violence.
    assert matcher.danger_signals(text) == ((signal,) if signal else ()), text


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        # danger_dev41's missed families (twenty-fifth round), in my own words
        ("اخويا قال هيموت نفسه النهارده ومش بيرد", "suicide"),
        ("جارتنا الكبيرة واقعة على الأرض ومش بترد", "medical"),
        ("dad called from poland drunk, says he is on the roof and this is the end", "suicide"),
        (
            "my daughter wrote to all her friends thank you for everything take care, now she "
            "locked her room and doesnt answer",
            "suicide",
        ),
        (
            "ich hab die tabletten meiner oma gezählt, die reichen. ich will nicht mehr aufwachen",
            "suicide",
        ),
    ],
)
def test_farewells_counted_pills_and_a_neighbour_on_the_floor_raise_their_signal(
    matcher, text, signal
):
    assert signal in matcher.danger.detect(text), text


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        # danger_heldout25's missed families, after its score, in my own words
        (
            "jeden monat kommen zwei männer in den kiosk und wollen schutzgeld, sonst zünden sie "
            "den laden an",
            "violence",
        ),
        ("found a post on my sons phone: soon you will be rid of me", "suicide"),
        ("erben meine kinder die schulden? ich will alles regeln bevor ich gehe", "suicide"),
        ("ребенок 40 температура, шея не гнется, пятна", "medical"),
    ],
)
def test_protection_money_a_teenagers_last_post_and_a_stiff_neck_with_fever_raise_their_signal(
    matcher, text, signal
):
    assert signal in matcher.danger.detect(text), text
