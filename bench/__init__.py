"""Benchmarks for marketing-kg: synthetic corpora, build timing (and later serving)."""
