"""The case-file parser: valid files load; malformed ones report every problem, with lines."""

from __future__ import annotations

import pytest
import yaml

from tests.case_files import MINI_CASE_ID, MINI_CASE_YAML
from tutor.content.cases.parse import parse_case
from tutor.errors import CaseFileInvalid, MalformedDocument


def problems_of(text: str) -> tuple[str, ...]:
    with pytest.raises(CaseFileInvalid) as caught:
        parse_case(text.encode(), "case.yaml")
    assert "case.yaml: the case file has" in caught.value.user_message
    return caught.value.problems


def edited(change) -> str:
    document = yaml.safe_load(MINI_CASE_YAML)
    change(document)
    return yaml.safe_dump(document, sort_keys=False)


def test_the_mini_case_loads_with_its_stages_findings_and_rubric():
    case = parse_case(MINI_CASE_YAML.encode(), "mini.yaml")
    assert case.id == MINI_CASE_ID
    assert [s.kind for s in case.stages] == ["enquiry", "enquiry", "enquiry", "differential", "plan"]
    assert set(case.findings) == {"medications", "chest-pain", "observations", "potassium", "creatinine", "ecg"}
    assert case.rubric.differential[0].must_not_miss and case.differential_stage == 3
    assert case.stages[1].unlisted == "normal" and case.stages[0].unlisted == "not_available"


def test_the_content_hash_follows_the_content():
    case = parse_case(MINI_CASE_YAML.encode(), "mini.yaml")
    again = parse_case(MINI_CASE_YAML.encode(), "other-name.yaml")
    changed = parse_case(MINI_CASE_YAML.replace("Potassium 7.4", "Potassium 7.5").encode(), "mini.yaml")
    assert case.content_hash == again.content_hash != changed.content_hash


def test_text_that_is_not_yaml_names_the_line():
    with pytest.raises(MalformedDocument) as caught:
        parse_case(b"id: x\ntitle: [unclosed\nmodule: renal\n", "broken.yaml")
    assert "not valid YAML (line" in caught.value.user_message


@pytest.mark.parametrize("text", ["- just\n- a list\n", "a plain sentence\n", ""])
def test_a_file_that_is_not_one_case_is_refused(text):
    with pytest.raises(MalformedDocument, match="holds one case"):
        parse_case(text.encode(), "list.yaml")


def test_every_structural_problem_is_reported_at_once_with_its_line():
    def break_it(doc):
        del doc["title"]
        doc["stages"][0]["findings"][0]["key"] = "Bad Key"
        doc["stages"][4]["kind"] = "planning"
        doc["rubric"]["points"] = {"key_finding": -1}
        doc["difficulty"] = "brutal"

    found = problems_of(edited(break_it))
    assert len(found) == 5, found
    joined = "\n".join(found)
    for expected in ("title: Field required", "stages > 0 > findings > 0 > key: String should match pattern",
                     "stages > 4 > kind: Input should be 'enquiry', 'differential' or 'plan'",
                     "rubric > points > key_finding: Input should be greater than or equal to 0",
                     "difficulty: Input should be 'easy', 'medium' or 'hard'"):
        assert expected in joined
    assert all(problem.startswith("line ") for problem in found)
    line_of_bad_key = next(p for p in found if "Bad Key" in p or "findings > 0 > key" in p)
    text = edited(break_it).splitlines()
    line = int(line_of_bad_key.split(":")[0].removeprefix("line "))
    assert "Bad Key" in text[line - 1]


def test_every_cross_reference_problem_is_reported_at_once():
    def break_it(doc):
        doc["rubric"]["key_findings"].append("troponin")
        doc["rubric"]["differential"][0]["supported_by"].append("sodium")
        doc["rubric"]["differential"][1]["objective"] = "no-such-objective"
        doc["rubric"]["alternatives"][0]["synonyms"].append("AKI")  # already a synonym of Acute kidney injury
        doc["stages"][2]["findings"].append({"key": "ecg", "label": "ECG again", "text": "Same."})

    found = problems_of(edited(break_it))
    assert len(found) == 5, found
    joined = "\n".join(found)
    assert "rubric.key_findings: no finding has the key 'troponin'" in joined
    assert "no finding has the key 'sodium'" in joined
    assert "no objective has the id 'no-such-objective'" in joined
    assert "'AKI' is a synonym of both 'Acute kidney injury' and 'Myocardial infarction'" in joined
    assert "finding key 'ecg' is used more than once" in joined


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["stages"].pop(3), "exactly one stage of kind 'differential'"),
    (lambda d: d["stages"].insert(0, d["stages"].pop(3)), "must come after at least one enquiry stage"),
    (lambda d: d["stages"].insert(3, d["stages"].pop(4)), "the plan stage must come after the differential stage"),
    (lambda d: d["stages"][3].update(findings=[{"key": "x", "label": "X", "text": "x"}]), "only enquiry stages hold findings"),
    (lambda d: d["stages"][1].update(findings=[]), "an enquiry stage needs at least one finding"),
    (lambda d: d["rubric"].update(differential=[]), "rubric > differential: Tuple should have at least 1 item"),
    (lambda d: d.update(teaching_points=[{"text": "No reference."}]), "teaching_points > 0 > references: Field required"),
    (lambda d: d.update(surprise="field"), "surprise: Extra inputs are not permitted"),
])
def test_each_rule_of_the_format_is_enforced(change, message):
    assert any(message in problem for problem in problems_of(edited(change)))


def test_a_case_without_a_plan_stage_may_not_expect_next_steps():
    def no_plan(doc):
        doc["stages"].pop(4)

    assert any("need a stage of kind 'plan'" in p for p in problems_of(edited(no_plan)))
    ok = edited(lambda d: (d["stages"].pop(4), d["rubric"].pop("next_steps"), d["rubric"].pop("dangerous_actions")))
    assert parse_case(ok.encode(), "ok.yaml").stages[-1].kind == "differential"


def test_hidden_characters_are_removed_from_every_string():
    text = MINI_CASE_YAML.replace("Potassium 7.4 mmol/L.", "Potassium 7.4\u200b mmol/L.\u202e")
    case = parse_case(text.encode(), "mini.yaml")
    assert case.findings["potassium"].text == "Potassium 7.4 mmol/L."


def test_utf16_and_a_bom_are_read():
    case = parse_case(MINI_CASE_YAML.encode("utf-16"), "mini.yaml")
    assert case.id == MINI_CASE_ID
    assert parse_case(b"\xef\xbb\xbf" + MINI_CASE_YAML.encode(), "mini.yaml").id == MINI_CASE_ID
