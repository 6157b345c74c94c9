"""Question-bank formats: GIFT, Aiken, Moodle XML, CSV, the native YAML, and the dispatcher.

Each parser is checked on a realistic instructor file (tests/data/questions), on malformed
input (a bad question costs only itself; a file of another kind is MalformedDocument) and,
for the formats we export, on a lossless round trip of questions that use every field
and the characters each format treats as syntax.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tutor.content.questions.aiken import parse_aiken
from tutor.content.questions.csv_format import EXPORT_COLUMNS, dump_csv, parse_csv
from tutor.content.questions.formats import FORMATS, export_questions, parse_question_file
from tutor.content.questions.gift import dump_gift, parse_gift
from tutor.content.questions.model import Option, Question
from tutor.content.references import Reference
from tutor.content.questions.moodle_xml import html_to_text, parse_moodle_xml, topic_from_category
from tutor.content.questions.native import dump_native, parse_native
from tutor.errors import EmptyDocument, MalformedDocument, UnsupportedFileType

DATA = Path(__file__).parent.parent / "data" / "questions"
ONLY_SBA = "only single-best-answer multiple choice can be imported"


def _every_field() -> list[Question]:
    """Questions that use every field, format syntax in every text, unicode and multi-line text."""
    return [
        Question(
            id="cardio:hf-001",
            stem="A 68-year-old man {NYHA II} has EF = 30% ~ stable.\n\nWhich drug #1 reduces mortality: \\ or /?",
            options=(
                Option(text="Furosemide {loop}", explanation="Relieves congestion; no mortality benefit: see #3.\nSecond line."),
                Option(text="Sacubitril–valsartan", explanation="PARADIGM-HF: ↓ death = 20% ####"),
                Option(text="%50% Digoxin ~ 0.5 mg", explanation=""),
                Option(text="C:\\temp\\", explanation="Ends with a backslash \\"),
            ),
            answer="B",
            topic="Heart failure / HFrEF",
            system="Cardiovascular",
            discipline="Pharmacology",
            objective="Choose prognostic therapy: HFrEF\nover two lines",
            difficulty="hard",
            references=(
                Reference(source="cardiology/heart-failure.md", section="Management > Drugs", chunk_id="c-9f2"),
                Reference(source="notes#1;x.md"),
                Reference(source="cardiology/ecg.md", chunk_id="c-001"),
            ),
            tags=("heart failure", "hf;drugs", "c:\\path", "cœur 🫀"),
        ),
        Question(id="q-plain-002", stem="A question with only the required fields?", options=(Option(text="a"), Option(text="b"), Option(text="c")), answer="C"),
        Question(
            id="hf-six-003",
            stem="Six options, back in the first topic; é, ß, 中文.",
            options=tuple(Option(text=f"Option {n} = {n}", explanation=f"Why {n}: because") for n in range(6)),
            answer="F",
            topic="Heart failure / HFrEF",
            difficulty="easy",
        ),
    ]


def _problem_text(bank) -> str:
    return "\n".join(str(problem) for problem in bank.problems)


# -- round trips -------------------------------------------------------------------------------


def test_native_round_trip_is_lossless():
    questions = _every_field()
    assert parse_native(dump_native(questions).encode(), "bank.yaml").questions == questions


def test_gift_round_trip_is_lossless():
    questions = _every_field()
    bank = parse_gift(dump_gift(questions).encode(), "bank.gift")
    assert bank.problems == []
    assert bank.questions == questions


def test_csv_round_trip_is_lossless():
    questions = _every_field()
    bank = parse_csv(dump_csv(questions).encode(), "bank.csv")
    assert bank.problems == []
    assert bank.questions == questions


@pytest.mark.parametrize("fmt, extension", [("yaml", ".yaml"), ("gift", ".gift"), ("csv", ".csv")])
def test_export_then_import_through_the_dispatcher(fmt, extension):
    text, ext = export_questions(_every_field(), fmt)
    assert ext == extension
    assert parse_question_file(f"export{ext}", text.encode()).questions == _every_field()


# -- GIFT -------------------------------------------------------------------------------------------


def test_gift_sample_file_imports_categories_html_escapes_and_weights():
    bank = parse_gift((DATA / "sample.gift").read_bytes(), "sample.gift")
    by_id = {question.id: question for question in bank.questions}
    assert len(bank.questions) == 4
    html = bank.questions[0]  # title "HF mortality" is not a valid id -> hashed id
    assert html.id.startswith("q-") and html.topic == "Heart failure"
    assert html.stem == (
        "A 68-year-old man with heart failure and an ejection fraction of 30 % remains breathless on furosemide."
        "\n\nWhich drug reduces mortality?"
    )
    assert [option.text for option in html.options] == ["Digoxin", "Sacubitril/valsartan", "Amlodipine"]
    assert html.answer == "B"
    assert html.options[1].explanation == "PARADIGM-HF: fewer deaths & admissions.\n\nSee the ESC 2021 guideline."
    escaped = by_id["hf-002"]
    assert escaped.stem == "Target INR for a mechanical mitral valve: which range = safest? Dose ratio 1:2 {approx}."
    assert escaped.options[1].explanation == "Correct #1 choice for mitral mechanical valves."
    assert escaped.options[2].explanation == "Bleeding risk ~ doubles."
    weighted = by_id["weighted-003"]
    assert weighted.answer == "A" and weighted.stem.startswith("Which finding on examination is most specific for\nraised")
    assert by_id["af-rate-001"].topic == "Arrhythmia"
    assert len(bank.problems) == 1
    assert bank.problems[0].position == 4
    assert "AF true false" in bank.problems[0].label and "line 35" in bank.problems[0].label
    assert "true/false" in bank.problems[0].messages[0] and ONLY_SBA in bank.problems[0].messages[0]


@pytest.mark.parametrize(
    "answers, kind",
    [
        ("{T}", "true/false"),
        ("{FALSE#No.}", "true/false"),
        ("{=Paris =paris}", "short-answer"),
        ("{=heart -> pump =lung -> gas exchange =kidney -> filter}", "matching"),
        ("{#3.5:0.5}", "numerical"),
        ("{}", "essay"),
        ("{~a =b ~c} of October.", "missing-word"),
        ("{=a =b ~c}", "more than one option is marked right"),
        ("{~%50%a ~%50%b ~%-100%c}", "no option is worth 100%"),
        ("{~a ~b ~c}", "no option is marked right"),
    ],
)
def test_gift_unsupported_or_ambiguous_items_are_problems_and_the_rest_imports(answers, kind):
    text = f"::bad::Which item is it in this question? {answers}\n\n::good-1::A valid question stem here? {{=yes ~no ~maybe}}\n"
    bank = parse_gift(text.encode(), "mixed.gift")
    assert [question.id for question in bank.questions] == ["good-1"]
    assert len(bank.problems) == 1 and bank.problems[0].position == 1
    assert kind in bank.problems[0].messages[0]


def test_gift_unclosed_brace_costs_one_question():
    text = "::a::First question has an open brace {=yes ~no ~maybe\n\n::b::Second question is fine here? {=yes ~no ~maybe}\n"
    bank = parse_gift(text.encode(), "x.gift")
    assert [question.id for question in bank.questions] == ["b"]
    assert "no matching '}'" in bank.problems[0].messages[0]


def test_gift_validation_problems_name_the_question():
    bank = parse_gift(b"::short::Too short {=a ~b ~c}\n", "x.gift")
    assert bank.questions == []
    assert bank.problems[0].label == "short, line 1"
    assert any(message.startswith("stem:") for message in bank.problems[0].messages)


def test_gift_export_shape():
    text = dump_gift(_every_field())
    assert "$CATEGORY: $course$/top/Heart failure // HFrEF\n" in text
    assert "$CATEGORY: $course$/top\n" in text  # the topic-less question resets the category
    assert "::cardio\\:hf-001::[plain]A 68-year-old man \\{NYHA II\\} has EF \\= 30% \\~ stable.\\n\\nWhich" in text
    assert "\t=Sacubitril–valsartan#PARADIGM-HF\\: ↓ death \\= 20% \\#\\#\\#\\#\n" in text
    assert "\t~%0%%50% Digoxin \\~ 0.5 mg\n" in text  # explicit weight keeps the leading % literal
    assert "// @reference: cardiology/heart-failure.md#Management > Drugs#c-9f2\n" in text
    assert "// @objective: Choose prognostic therapy: HFrEF\\nover two lines\n" in text
    assert "\n\n\n" not in text.split("$CATEGORY")[1]  # one blank line between blocks


@pytest.mark.parametrize("text", [b"Just some notes about heart failure.\n\nAnd another paragraph.", b"# A Markdown file\n\nText"])
def test_a_file_that_is_not_gift_is_malformed(text):
    with pytest.raises(MalformedDocument, match="not a GIFT file"):
        parse_gift(text, "notes.gift")


def test_gift_with_only_comments_is_empty():
    with pytest.raises(EmptyDocument):
        parse_gift(b"// nothing here\n$CATEGORY: a/b\n", "x.gift")


# -- Aiken ---------------------------------------------------------------------------------------------


def test_aiken_sample_file():
    bank = parse_aiken((DATA / "sample.aiken.txt").read_bytes(), "sample.aiken.txt")
    assert len(bank.questions) == 3
    graves = bank.questions[0]
    assert graves.stem.split("\n") == [
        "A 24-year-old woman has palpitations, weight loss and a fine tremor.",
        "Her TSH is suppressed and free T4 raised.",
        "Which test best distinguishes Graves' disease from toxic nodular goitre?",
    ]
    assert graves.answer == "A" and len(graves.options) == 4
    assert graves.missing_explanations == ("A", "B", "C", "D")
    assert [option.text for option in bank.questions[1].options] == ["Metformin", "Gliclazide", "Insulin glargine"]
    assert bank.questions[1].answer == "A"  # "ANSWER: a"
    assert [(p.position, p.messages) for p in bank.problems] == [(3, ("ANSWER: E is not one of the options (A, B, C, D)",))]


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Which one of these is right?\nA. x\nB. y\nC. z\n", "no 'ANSWER: X' line"),
        ("Which one of these is right?\nA. x\nB. y\nC. z\nANSWER: D\n", "ANSWER: D is not one of the options (A, B, C)"),
        ("Which one of these is right?\nA. x\nB. y\nANSWER: A\n", "needs at least 3 options, has 2"),
        ("Which one of these is right?\nA. x\nC. y\nB. z\nANSWER: A\n", "options must be lettered A, B, C ... in order; found A, C, B"),
        ("Which one of these is right?\nA. x\nB. y\nC. z\nan extra line\nANSWER: A\n", "line 5: text after the options"),
    ],
)
def test_aiken_problems_cost_only_their_question(question, expected):
    good = "Which one of these is the good one?\nA. x\nB. y\nC. z\nANSWER: B\n"
    bank = parse_aiken(f"{question}\n{good}".encode(), "x.txt")
    assert [q.stem for q in bank.questions] == ["Which one of these is the good one?"]
    assert any(expected in message for message in bank.problems[0].messages), bank.problems


def test_aiken_reports_every_problem_of_a_question_at_once():
    bank = parse_aiken(b"Which one of these is right?\nA. x\nC. y\nANSWER: D\n", "x.txt")
    assert len(bank.problems[0].messages) == 3


def test_a_file_that_is_not_aiken_is_malformed():
    with pytest.raises(MalformedDocument, match="not an Aiken file"):
        parse_aiken(b"Some lecture notes.\nA. first point\nB. second point\n", "notes.aiken")


# -- Moodle XML -----------------------------------------------------------------------------------------


def test_moodle_xml_sample_file():
    bank = parse_moodle_xml((DATA / "sample_moodle.xml").read_bytes(), "sample_moodle.xml")
    assert [question.id for question in bank.questions][0] == "renal-k-001"  # from <idnumber>
    potassium = bank.questions[0]
    assert potassium.stem == (
        "A 71-year-old man on ramipril and spironolactone has these results:\n\n"
        "Test | Result\nK+ | 7.1 mmol/L\n\nHis ECG is shown.\n\nWhat is the first treatment?"
    )
    assert potassium.answer == "B" and potassium.options[0].text == "Insulin & dextrose"
    assert potassium.options[1].explanation == (
        "Stabilises the cardiac membrane within minutes.\n\nStabilise the myocardium first, then shift potassium."
    )
    assert potassium.options[2].explanation == ""
    assert potassium.topic == "Renal / Electrolytes" and potassium.tags == ("potassium", "emergency")
    auto = bank.questions[1]  # moodle_auto_format: line breaks kept, id hashed from the stem
    assert auto.stem == "A patient with diabetic ketoacidosis has pH 7.12.\nWhich anion gap is expected?"
    assert auto.id.startswith("q-") and auto.answer == "A"
    assert [(p.position, p.label) for p in bank.problems] == [(2, "Hyponatraemia correction"), (3, "Causes of SIADH")]
    assert "true/false" in bank.problems[0].messages[0] and ONLY_SBA in bank.problems[0].messages[0]
    assert "multiple-answer" in bank.problems[1].messages[0]


def _quiz(*answers: str) -> bytes:
    body = "".join(f'<answer fraction="{fraction}"><text>Option {n}</text></answer>' for n, fraction in enumerate(answers))
    return (
        '<?xml version="1.0"?><quiz><question type="multichoice"><name><text>q1</text></name>'
        f"<questiontext format=\"plain_text\"><text>Which option is the best one?</text></questiontext>{body}</question>"
        '<question type="multichoice"><name><text>q2</text></name><questiontext format="plain_text"><text>A valid question here?</text>'
        '</questiontext><answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer>'
        '<answer fraction="0"><text>c</text></answer></question></quiz>'
    ).encode()


@pytest.mark.parametrize(
    "fractions, expected",
    [(("100", "100", "0"), "more than one answer has fraction 100 (A, B)"), (("50", "50", "0"), "no answer has fraction 100"), (("100", "x", "0"), "not a number")],
)
def test_moodle_xml_key_problems_cost_only_their_question(fractions, expected):
    bank = parse_moodle_xml(_quiz(*fractions), "quiz.xml")
    assert [question.id for question in bank.questions] == ["q2"]
    assert expected in bank.problems[0].messages[0]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<quiz><question type="multichoice"><questiontext><text>&lol3;</text></questiontext></question></quiz>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="multichoice"><questiontext><text>&secret;</text></questiontext></question></quiz>"""


@pytest.mark.parametrize("attack", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_moodle_xml_rejects_entity_attacks_without_expanding_them(attack):
    with pytest.raises(MalformedDocument) as caught:
        parse_moodle_xml(attack, "evil.xml")
    assert "DTD" in caught.value.user_message
    assert "lollol" not in str(caught.value) and "root:" not in str(caught.value)


@pytest.mark.parametrize(
    "data, reason",
    [(b"A 68-year-old man, not XML", "not well-formed XML"), (b"<html><body><p>hi</p></body></html>", "root element is <html>")],
)
def test_a_file_that_is_not_moodle_xml_is_malformed(data, reason):
    with pytest.raises(MalformedDocument) as caught:
        parse_moodle_xml(data, "x.xml")
    assert reason in caught.value.user_message


def test_html_to_text_keeps_structure_and_unescapes():
    html = "<p>Na&lt;135 &amp; K&gt;5</p><ul><li>one</li><li>two</li></ul><script>alert(1)</script><p>a<br>b</p>"
    assert html_to_text(html) == "Na<135 & K>5\n\n- one\n- two\n\na\nb"


@pytest.mark.parametrize(
    "path, topic",
    [("$course$/top/Cardiology/Heart failure", "Heart failure"), ("a/b/topic", "topic"), ("$course$/top", None), ("top", None), ("$course$/top/A // B", "A / B")],
)
def test_category_paths_give_topics(path, topic):
    assert topic_from_category(path) == topic


# -- CSV -------------------------------------------------------------------------------------------------


def test_csv_sample_saved_from_excel():
    bank = parse_csv((DATA / "sample.csv").read_bytes(), "sample.csv")
    assert [question.id for question in bank.questions][:2] == ["resp-asthma-001", "resp-pe-002"]
    asthma = bank.questions[0]
    assert asthma.stem == 'A 19-year-old has wheeze at night.\nWhich is the "next step" after a SABA?'  # BOM gone, quotes undoubled
    assert asthma.answer == "A" and asthma.difficulty == "easy" and asthma.tags == ("asthma", "inhalers")
    assert asthma.references == (Reference(source="respiratory/asthma.md", section="Stepwise treatment"),)
    assert asthma.options[3] == Option(text="Montelukast", explanation="Add-on, not first.")
    assert bank.questions[1].answer == "B" and len(bank.questions[1].options) == 3  # "b", empty option_d
    assert bank.questions[2].id.startswith("q-") and bank.questions[2].topic == "Pneumonia"  # blank id, blank row skipped
    assert [(p.position, p.label, p.messages) for p in bank.problems] == [
        (3, "resp-bad-003, line 5", ("the row has 5 fields but the header has 17 (a missing separator?)",)),
        (6, "resp-bad-005, line 8", ("option_c is empty but option_d is filled",)),
    ]


def test_csv_export_has_anki_headers_and_no_header_row():
    text = dump_csv(_every_field())
    lines = text.split("\n")
    assert lines[:3] == ["#separator:Comma", "#html:false", "#notetype:Basic"]
    columns = next(csv.reader([lines[3].removeprefix("#columns:")]))
    assert lines[3].startswith("#columns:") and columns == list(EXPORT_COLUMNS)
    assert columns[:2] == ["Front", "Back"]  # Basic's field names, mapped by name
    assert lines[4] == f"#guid column:{columns.index('id') + 1}"
    assert lines[5] == f"#tags column:{columns.index('anki_tags') + 1}"
    rows = list(csv.reader(io.StringIO("\n".join(lines[6:]))))
    assert len(rows) == 3 and lines[6].startswith('"')  # Front is quoted, so Anki never takes it for a # comment
    front, back = rows[0][0], rows[0][1]
    assert front.endswith("\n\nA. Furosemide {loop}\nB. Sacubitril–valsartan\nC. %50% Digoxin ~ 0.5 mg\nD. C:\\temp\\")
    assert back.startswith("Answer: B. Sacubitril–valsartan\n\nA. Furosemide {loop}: Relieves congestion")
    assert rows[0][columns.index("anki_tags")].split() == [
        "heart_failure", "hf;drugs", "c:\\path", "cœur_🫀",
        "topic::Heart_failure_/_HFrEF", "system::Cardiovascular", "discipline::Pharmacology", "difficulty::hard",
    ]  # fmt: skip


def test_csv_semicolon_delimiter_is_detected_and_header_is_case_insensitive():
    data = "STEM;Answer;option_a;OPTION_B;Option C\nWhich is the best answer here?;C;x;y;z\n".encode("cp1252")
    bank = parse_csv(data, "x.csv")
    assert bank.problems == [] and bank.questions[0].answer == "C"


def test_csv_too_many_fields_is_a_row_problem():
    data = b"stem,answer,option_a,option_b,option_c\nWhich is the best answer here?,A,x,y,z,extra\nAnother valid question here?,B,x,y,z\n"
    bank = parse_csv(data, "x.csv")
    assert len(bank.questions) == 1
    assert bank.problems[0].messages == ("the row has 6 fields but the header has 5 (an unquoted separator inside a cell?)",)


@pytest.mark.parametrize(
    "header, reason",
    [("question,correct", "missing: stem, answer, option_a"), ("stem,answer,option_a,option_g", "at most 6 options"), ("stem,answer,option_a,stem", "twice: stem")],
)
def test_csv_header_problems_are_file_level(header, reason):
    with pytest.raises(MalformedDocument, match=reason):
        parse_csv(f"{header}\nx,y,z,w\n".encode(), "x.csv")


def test_a_gift_file_renamed_csv_is_malformed():
    with pytest.raises(MalformedDocument):
        parse_csv((DATA / "sample.gift").read_bytes(), "sample.csv")


# -- the dispatcher -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, fmt",
    [("sample.gift", "gift"), ("sample.aiken.txt", "aiken"), ("sample_moodle.xml", "moodle_xml"), ("sample.csv", "csv")],
)
def test_dispatcher_picks_the_parser(name, fmt):
    assert parse_question_file(name, (DATA / name).read_bytes()).format == fmt


def test_dispatcher_reads_gift_saved_as_txt_and_native_files():
    assert parse_question_file("Bank.TXT", (DATA / "sample.gift").read_bytes()).format == "gift"
    assert parse_question_file("bank.yml", dump_native(_every_field()).encode()).format == "yaml"
    json_bank = b'[{"id": "j1", "stem": "A JSON question stem?", "options": [{"text": "a"}, {"text": "b"}, {"text": "c"}], "answer": "A"}]'
    assert parse_question_file("bank.json", json_bank).questions[0].id == "j1"


def test_dispatcher_rejects_unknown_types_naming_the_accepted_ones():
    with pytest.raises(UnsupportedFileType) as caught:
        parse_question_file("bank.docx", b"PK\x03\x04")
    assert ".gift" in caught.value.user_message and ".csv" in caught.value.user_message and "Moodle XML" in caught.value.user_message


@pytest.mark.parametrize("data", [b"", b"  \n\n", b"\xef\xbb\xbf\n"])
def test_dispatcher_empty_file(data):
    with pytest.raises(EmptyDocument):
        parse_question_file("bank.gift", data)


def test_export_formats():
    assert {key for key, fmt in FORMATS.items() if fmt.exportable} == {"yaml", "gift", "csv"}
    with pytest.raises(ValueError, match="aiken"):
        export_questions(_every_field(), "aiken")  # type: ignore[arg-type]


def test_hidden_characters_are_removed_from_imported_questions():
    from tutor.content.questions.formats import parse_question_file

    aiken = "A man\u202e has chest pain\u200b. Which test first?\nA. ECG\u2066\nB. Chest X-ray\nC. D-dimer\nANSWER: A\n"
    [question] = parse_question_file("hidden.txt", aiken.encode()).questions
    assert question.stem == "A man has chest pain. Which test first?"
    assert question.options[0].text == "ECG"
