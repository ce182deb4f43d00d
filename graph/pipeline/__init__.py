"""Build: resolve names, run the extractors in workers, merge, validate, write build/."""
