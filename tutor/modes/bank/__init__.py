"""The question bank seen by instructors: imports, the review queue, and drafts generated from the material."""
