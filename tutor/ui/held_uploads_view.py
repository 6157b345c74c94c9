"""The Library's "Held for review" section: uploads the PHI screen kept out of the library.

Each held file shows its findings by kind with masked excerpts (the identifier itself is
never shown again) and where they are, and three decisions: release with the identifiers
replaced by placeholders, release as it is (the instructor judges the flags false, with a
reason that is recorded), or discard. Excerpts come from uploads, so they are escaped.
"""

from __future__ import annotations

import streamlit as st

from tutor.content.phi_screen import KIND_LABELS
from tutor.domain import HeldFinding, HeldUpload
from tutor.ui.components import escape_markdown
from tutor.ui.errors import shown_errors

_FLASH = "library.held.flash"  # the outcome of the last decision, shown once after the rerun


def _findings(upload: HeldUpload) -> None:
    by_kind: dict[str, list[HeldFinding]] = {}
    for finding in upload.findings:
        by_kind.setdefault(finding.kind, []).append(finding)
    for kind in (k for k in KIND_LABELS if k in by_kind):
        found = by_kind[kind]
        lines = "\n".join(f"  - {f.where}: {escape_markdown(f.excerpt)}" for f in found[:20])
        more = f"\n  - … and {len(found) - 20} more" if len(found) > 20 else ""
        st.markdown(f"- **{escape_markdown(found[0].label)}** ({len(found)})\n{lines}{more}")


def _decision(services, actor, upload: HeldUpload) -> None:
    key = f"held-{upload.held_id}"
    left, right = st.columns(2)
    if left.button("Release with identifiers removed", key=f"{key}-redact", type="primary",
                   icon=":material/ink_eraser:",
                   help="Index the file with every flagged identifier replaced by a placeholder such as [PHONE]."):
        with shown_errors():
            report = services.release(actor, upload.held_id, redact=True)
            st.session_state[_FLASH] = (f"Released {upload.source} with identifiers removed "
                                        f"({report.chunks_added} passages indexed).")
            st.rerun()
    if right.button("Discard", key=f"{key}-discard", icon=":material/delete:"):
        with shown_errors():
            services.discard(actor, upload.held_id)
            st.session_state[_FLASH] = f"Discarded {upload.source}; its file was deleted."
            st.rerun()
    reason = st.text_input("Reason for releasing as it is", key=f"{key}-reason",
                           placeholder="e.g. the numbers are lab values, not identifiers")
    if st.button("Release as is", key=f"{key}-as-is", icon=":material/done:",
                 help="Index the file unchanged; your name and reason are recorded."):
        with shown_errors():
            report = services.release(actor, upload.held_id, redact=False, reason=reason)
            st.session_state[_FLASH] = f"Released {upload.source} as it is ({report.chunks_added} passages indexed)."
            st.rerun()


def held_uploads_section(services, actor) -> None:
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(escape_markdown(flash))
    held = services.held_uploads(actor)
    st.subheader(f"Held for review ({len(held)})")
    if not held:
        st.caption("No files are waiting for review. An upload that seems to contain patient identifiers "
                   "(phone numbers, record numbers, dates of birth, addresses …) is held here instead of being added.")
        return
    st.caption("These files seem to contain patient identifiers and are not in the library. "
               "Identifiers are shown masked.")
    for upload in held:
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(upload.source)}**")
            st.caption(f"Uploaded by {escape_markdown(upload.uploaded_by or 'the operator')} · "
                       f"{upload.held_at.replace('T', ' ')[:16]} UTC · {round(upload.size_bytes / 1024, 1)} KB")
            _findings(upload)
            _decision(services, actor, upload)
