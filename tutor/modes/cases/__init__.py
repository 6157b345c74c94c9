"""Case discussion: the stage machine, matching free-text requests, rubric scoring, and case administration."""
