"""Apply the typesetting rules of a language that the stylesheets cannot express."""

from __future__ import annotations

import re

from markupsafe import Markup

#: Single-letter words that must not end a line, per language: Polish
#: typesetting binds the prepositions and conjunctions a, i, o, u, w, z to
#: the next word, and Czech and Slovak do the same with their own (k, s, v,
#: z, o, u, a, i). Upper case at the start of a sentence too.
SINGLE_LETTER_WORDS = {
    "pl": "aiouwz",
    "cs": "aikosuvz",
    "sk": "aikosuvz",
}

NO_BREAK_SPACE = "\u00a0"
# Tags are left alone; only the text between them is changed.
_TAG = re.compile(r"(<[^>]*>)")


def bind_single_letters(value: object, lang: str) -> object:
    """Bind the single-letter words of *lang* to the next word with a no-break space.

    *value* is plain text or HTML (Markup, as the content's Markdown and the
    templates give it); in HTML only text outside tags changes, so attributes
    and addresses stay as written. A language without the rule gets *value* back.
    """
    letters = SINGLE_LETTER_WORDS.get(lang.replace("-", "_").split("_")[0].lower())
    if not letters or value is None:
        return value
    letters += letters.upper()
    # A letter with no letter, digit or word-joining mark before it, then spaces.
    word = re.compile(rf"(?<![\w.\-'’])([{letters}])[ \t\n]+")
    if isinstance(value, Markup):
        pieces = _TAG.split(str(value))
        return Markup(
            "".join(
                piece if index % 2 else word.sub(rf"\1{NO_BREAK_SPACE}", piece)
                for index, piece in enumerate(pieces)
            )
        )
    return word.sub(rf"\1{NO_BREAK_SPACE}", str(value))
