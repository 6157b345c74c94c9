"""The Library's Clinical cases tab: upload case files (every problem listed), see and manage the cases."""

from __future__ import annotations

import streamlit as st

from tutor.ui.components import escape_markdown
from tutor.ui.errors import shown_errors

_RESULTS = {"added": "added", "updated": "updated (new version; sessions in progress keep theirs)",
            "unchanged": "unchanged", "kept_upload": "kept (an uploaded version takes precedence)"}


def case_library_tab(services, actor) -> None:
    limit = services.settings.max_upload_mb
    with st.form("case-upload", clear_on_submit=True):
        files = st.file_uploader(
            f"Add clinical cases (YAML case files, up to {limit} MB each)", type=["yaml", "yml"],
            accept_multiple_files=True, max_upload_size=limit,
            help="Check a file first with `tutor cases validate FILE`; the format is in content/cases/README.md.",
        )
        submitted = st.form_submit_button("Add cases", type="primary", icon=":material/upload:")
    if submitted:
        if not files:
            st.warning("Choose one or more case files first.")
        else:
            with shown_errors():
                for outcome in services.case_files.upload(actor, [(f.name, f.getvalue()) for f in files]):
                    if outcome.ok:
                        st.success(f"{escape_markdown(outcome.file)}: **{escape_markdown(outcome.title or '')}** "
                                   f"{_RESULTS[outcome.result]}.", icon=":material/check_circle:")
                    else:
                        problems = "\n".join(f"- {escape_markdown(p)}" for p in outcome.problems)
                        st.error(f"{escape_markdown(outcome.file)} was not added: fix "
                                 f"{'this problem' if len(outcome.problems) == 1 else f'these {len(outcome.problems)} problems'}"
                                 f" and upload it again.\n\n{problems}", icon=":material/error:")
    entries = services.case_files.catalogue(actor)
    st.subheader(f"Cases ({len(entries)})")
    if not entries:
        st.info("No cases yet. Upload a case file above.")
        return
    st.dataframe(
        [{"Title": e.title, "Module": e.module, "Difficulty": e.difficulty, "Origin": e.origin, "Version": e.version,
          "Offered to students": e.status == "active", "Updated": e.updated_at} for e in entries],
        column_config={"Updated": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")}, hide_index=True,
    )
    by_label = {f"{e.title} ({e.id})": e for e in entries}
    left, right = st.columns(2)
    choice = left.selectbox("Case", list(by_label), key="case-manage")
    entry = by_label[choice]
    right.download_button("Download its case file", services.case_files.yaml_text(actor, entry.id) or "",
                          file_name=f"{entry.id}.yaml", mime="application/yaml", icon=":material/download:")
    withdraw = entry.status == "active"
    if right.button("Withdraw from students" if withdraw else "Offer to students again",
                    icon=":material/visibility_off:" if withdraw else ":material/visibility:"):
        with shown_errors():
            services.case_files.set_status(actor, entry.id, "withdrawn" if withdraw else "active")
            st.rerun()
