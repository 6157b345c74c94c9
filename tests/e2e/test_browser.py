"""End to end in Chromium: an instructor adds material, a student finds and asks about it."""

from __future__ import annotations

import re

from tests.e2e.conftest import INSTRUCTOR, STUDENT, sign_in, sign_out, wait_for_app_run
from tests.factories import make_pdf

MARKDOWN = b"""---
title: Anaphylaxis
module: Immunology
---
# Anaphylaxis
## Emergency treatment
Give intramuscular adrenaline 0.5 mg into the anterolateral thigh and repeat after five minutes if needed.
"""


def test_instructor_uploads_a_pdf_and_markdown_and_a_student_finds_them(page, shot, tmp_path):
    pdf = tmp_path / "gout.pdf"
    pdf.write_bytes(make_pdf(
        [("Gout", "Gout is an inflammatory arthritis caused by urate crystals."),
         ("Acute flare", "Colchicine or an NSAID settles an acute gout flare; do not start allopurinol during it.")],
        title="Gout",
    ))
    markdown = tmp_path / "anaphylaxis.md"
    markdown.write_bytes(MARKDOWN)
    sign_in(page, INSTRUCTOR)
    shot(page, "01-home")

    page.get_by_role("link", name="Library").click()
    page.get_by_text("Add course material").wait_for()
    page.get_by_label(re.compile("^Add course material")).get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(pdf), str(markdown)])
    page.get_by_text("anaphylaxis.md").first.wait_for()
    page.get_by_role("button", name="Add to library").click()
    page.get_by_text(re.compile(r"passages indexed in")).wait_for()
    shot(page, "02-library-uploaded")
    page.get_by_text("Documents (5)").wait_for()  # the table itself is a canvas

    sign_out(page)
    sign_in(page, STUDENT)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Search the curriculum").click()  # Home links there too
    wait_for_app_run(page)  # a key press during the page switch's run can be dropped
    box = page.get_by_label("Question or keywords")
    box.fill("what settles an acute flare of gout?")
    box.press("Enter")
    page.get_by_text("gout.pdf · Acute flare · p. 2").wait_for()
    shot(page, "03-search-pdf")
    wait_for_app_run(page)

    box.fill("adrenaline dose for anaphylaxis")
    box.press("Enter")
    page.get_by_text("anaphylaxis.md · Anaphylaxis > Emergency treatment").wait_for()
    shot(page, "04-search-markdown")


def test_student_asks_and_opens_a_citation(page, shot):
    sign_in(page, STUDENT)
    page.get_by_role("link", name="Ask the tutor").click()
    page.get_by_placeholder("Ask about the course material…").fill("What is the emergency treatment for a high potassium?")
    page.keyboard.press("Enter")
    page.get_by_text("Calcium gluconate stabilises the cardiac membrane [1]").wait_for()
    shot(page, "05-ask-answer")
    page.get_by_text("[1] renal/hyperkalaemia.md").click()
    page.get_by_text("insulin with glucose shifts potassium into cells").first.wait_for()
    shot(page, "06-ask-citation-open")
    page.keyboard.press("Escape")
    page.get_by_text(re.compile(r"Check it: \d supporting sentence")).click()
    page.locator("blockquote").first.wait_for()
    page.wait_for_timeout(400)  # let the expander finish opening before the screenshot
    shot(page, "07-ask-quotes")
