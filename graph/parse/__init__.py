"""Read articles: front matter, markdown blocks, the outline, the text kept for search."""
