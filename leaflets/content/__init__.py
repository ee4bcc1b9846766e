"""Condition content: data files, Markdown, translations, reading level, review dates."""
