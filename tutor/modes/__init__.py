"""Use cases: ask (grounded tutor); quiz and case discussion come next."""
