"""The read model's article text: full-text search and internal-link suggestions."""
