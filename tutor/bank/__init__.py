"""The question bank: every question the course has, and which of them students may see."""
