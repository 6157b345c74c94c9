"""The grounded tutor: retrieval, the model, claim-level support, and the Socratic hint ladder."""
