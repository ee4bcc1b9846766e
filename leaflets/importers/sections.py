"""Map an article's headings to our section keys, in five languages, and arrange its blocks."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..content.model import SECTION_KEYS
from .model import Block, Page, Removal
from .to_markdown import escape_inline

_ALL = frozenset({"en", "it", "es", "fr", "de"})


def _langs(*codes: str) -> frozenset[str]:
    return frozenset(codes)


#: Heading patterns: (section key, languages that use the words, pattern on normalized text).
#: Headings are lower-cased, stripped of accents and punctuation before matching, so
#: "¿Qué es…?" is "que es…" and "Symptômes" is "symptomes".
HEADING_PATTERNS: tuple[tuple[str, frozenset[str], str], ...] = (
    ("what_it_is", _langs("en", "fr", "de"), r"\bdefinition\b"),
    ("what_it_is", _langs("it"), r"\bdefinizione\b"),
    ("what_it_is", _langs("es"), r"\bdefinicion\b"),
    ("what_it_is", _langs("en"), r"\boverview\b"),
    ("what_it_is", _langs("it"), r"\b(panoramica|descrizione|introduzione)\b"),
    ("what_it_is", _langs("es"), r"\b(descripcion|introduccion)\b"),
    ("what_it_is", _langs("fr"), r"\b(presentation|introduction)\b"),
    ("what_it_is", _langs("de"), r"\b(uberblick|einfuhrung|allgemeines)\b"),
    ("symptoms", _langs("en"), r"\bsymptoms?\b"),
    ("symptoms", _langs("fr", "de"), r"\bsymptome\b"),
    ("symptoms", _langs("fr"), r"\bsymptomes\b"),
    ("symptoms", _langs("de"), r"\bsymptomatik\b"),
    ("symptoms", _langs("it"), r"\bsintom[io]\b"),
    ("symptoms", _langs("es"), r"\bsintomas?\b"),
    ("symptoms", _langs("it", "es"), r"\bsintomatolog"),
    ("symptoms", _langs("en"), r"\bsigns?\b"),
    ("symptoms", _langs("it"), r"\b(segni|manifestazioni|quadro clinico)\b"),
    ("symptoms", _langs("es"), r"\bsignos\b"),
    ("symptoms", _langs("fr"), r"\bsignes\b"),
    ("symptoms", _langs("de"), r"\b(anzeichen|beschwerden)\b"),
    ("causes", _langs("en", "fr", "it"), r"\bcause\b"),
    ("causes", _langs("en", "fr"), r"\bcauses\b"),
    ("causes", _langs("it", "es"), r"\bcausa\b"),
    ("causes", _langs("es"), r"\bcausas\b"),
    ("causes", _langs("de"), r"\bursache"),
    ("causes", _langs("en"), r"\ba?etiolog"),
    ("causes", _langs("es", "fr"), r"\betiolog"),
    ("causes", _langs("it"), r"\beziolog"),
    ("causes", _langs("de"), r"\b(atiolog|entstehung)"),
    ("causes", _langs("en"), r"\brisk factors?\b"),
    ("causes", _langs("it"), r"\bfattori di rischio\b"),
    ("causes", _langs("es"), r"\bfactores de riesgo\b"),
    ("causes", _langs("fr"), r"\bfacteurs de risque\b"),
    ("causes", _langs("de"), r"\brisikofaktoren\b"),
    ("diagnosis", _ALL, r"\bdiagnos"),
    ("diagnosis", _langs("en"), r"\btests\b"),
    ("diagnosis", _langs("it"), r"\besami\b"),
    ("diagnosis", _langs("es"), r"\bpruebas\b"),
    ("diagnosis", _langs("fr"), r"\bexamens\b"),
    ("diagnosis", _langs("de"), r"\buntersuchung"),
    ("treatment", _langs("en"), r"\b(treat(ment|ments|ed|ing)?|management|surgery)\b"),
    ("treatment", _langs("en"), r"\btherap(y|ies)\b"),
    ("treatment", _langs("fr", "de"), r"\btherapie[sn]?\b"),
    ("treatment", _langs("it", "es"), r"\bterap"),
    ("treatment", _langs("it"), r"\btrattament"),
    ("treatment", _langs("it", "es"), r"\bcur[ae]\b"),
    ("treatment", _langs("es"), r"\btratamiento"),
    ("treatment", _langs("fr"), r"\btraitement"),
    ("treatment", _langs("de"), r"\bbehandlung"),
    ("living_with", _langs("en"), r"\b(living with|self ?care|lifestyle|(daily|everyday) life)\b"),
    ("living_with", _langs("it"), r"\b((con)?vivere con|stile di vita|vita quotidiana)\b"),
    ("living_with", _langs("es"), r"\b(vivir con|estilo de vida|vida diaria)\b"),
    ("living_with", _langs("fr"), r"\b(vivre avec|mode de vie|vie quotidienne)\b"),
    ("living_with", _langs("de"), r"\b(leben mit|lebensstil|alltag|selbsthilfe)\b"),
    ("get_help", _langs("en"), r"\bwhen (to|should you) (see|call|contact|get|seek)\b"),
    ("get_help", _langs("en"), r"\b(get|getting|seek|seeking) (medical )?help\b"),
    ("get_help", _langs("it"), r"\bquando (rivolgersi|chiamare|andare|consultare|contattare)\b"),
    ("get_help", _langs("es"), r"\bcuando (acudir|consultar|llamar|ir)\b"),
    ("get_help", _langs("fr"), r"\bquand (consulter|appeler|faut il consulter)\b"),
    ("get_help", _langs("de"), r"\bwann (zum arzt|sollte|sollten|muss)\b"),
    ("specialist", _langs("en"), r"\bspecialists?\b"),
    ("specialist", _langs("it"), r"\bspecialist[ai]\b"),
    ("specialist", _langs("fr"), r"\bspecialistes?\b"),
    ("specialist", _langs("es"), r"\bespecialista"),
    ("specialist", _langs("de"), r"\bfacharzt"),
    ("specialist", _langs("en"), r"\b(which|what) doctor\b|\bwho treats\b"),
    ("specialist", _langs("it"), r"\bquale medico\b"),
    ("specialist", _langs("es"), r"\bque medico\b"),
    ("specialist", _langs("fr"), r"\bquel medecin\b"),
    ("specialist", _langs("de"), r"\bwelche[rnms]? arzt\b"),
)
#: "What is …?" questions name the definition only when nothing else matches
#: ("What is the treatment?" is about treatment).
QUESTION_PATTERNS: tuple[tuple[str, frozenset[str], str], ...] = (
    ("what_it_is", _langs("en"), r"^what (is|are)\b"),
    ("what_it_is", _langs("it"), r"^(che )?cos(a|') ?(e|sono)\b"),
    ("what_it_is", _langs("es"), r"^que (es|son)\b"),
    ("what_it_is", _langs("fr"), r"^(qu'est ce (que|qu)|que sont|c'est quoi)\b"),
    ("what_it_is", _langs("de"), r"^was (ist|sind)\b"),
)
_COMPILED = [(key, langs, re.compile(pattern)) for key, langs, pattern in HEADING_PATTERNS]
_QUESTIONS = [(key, langs, re.compile(pattern)) for key, langs, pattern in QUESTION_PATTERNS]

#: Medical specialties recognised in a "which specialist" answer, by word stems.
SPECIALTIES: tuple[tuple[str, str], ...] = (
    ("neurosurgery", r"\b(neurosurg|neurochirurg|neurocirug)"),
    ("neurology", r"\bneurolog"),
    ("cardiology", r"\b(cardiolog|kardiolog)"),
    ("dermatology", r"\bdermatolog"),
    ("ophthalmology", r"\b(ophthalmolog|ophtalmolog|oftalmolog|oculist|augenarzt)"),
    ("otolaryngology", r"\b(otolaryngolog|otorinolaringoiatr|otorrinolaringolog|oto rhino)"),
    ("orthopaedics", r"\b(orthop|ortoped)"),
    ("gastroenterology", r"\bgastroenterolog"),
    ("endocrinology", r"\b(endocrinolog|endokrinolog)"),
    ("rheumatology", r"\b(rheumatolog|reumatolog|rhumatolog)"),
    ("urology", r"\burolog"),
    ("gynaecology", r"\b(gyn(a)?ecolog|ginecolog|gynakolog)"),
    ("paediatrics", r"\b(paediatr|pediatr|kinderarzt)"),
    ("psychiatry", r"\b(psychiatr|psichiatr|psiquiatr)"),
    ("oncology", r"\b(oncolog|onkolog)"),
    ("pulmonology", r"\b(pulmonolog|pneumolog|neumolog)"),
    ("nephrology", r"\b(nephrolog|nefrolog)"),
)
#: The specialty written when the page names none; the report flags it.
DEFAULT_SPECIALTY = "general"
#: The summary written when the page has no definition to take it from.
SUMMARY_PLACEHOLDER = "TODO: say in one or two plain sentences what this condition is."
#: The longest label (in words) above a title that is dropped as page chrome.
_LABEL_WORDS = 6
#: A first paragraph shorter than this takes the next one into the summary too.
_SHORT_SUMMARY = 160


def normalize(text: str) -> str:
    """Lower-case *text*, strip accents and punctuation, and fold spaces, for matching."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"[’‘`ʼ´]", "'", text)
    text = re.sub(r"[^\w']+|_", " ", text)
    return " ".join(text.split())


def _matches(text: str) -> list[tuple[int, int, str, frozenset[str]]]:
    normalized = normalize(text)
    found = []
    for order, (key, langs, pattern) in enumerate(_COMPILED):
        match = pattern.search(normalized)
        if match:
            found.append((match.start(), order, key, langs))
    if not found:
        for order, (key, langs, pattern) in enumerate(_QUESTIONS):
            match = pattern.search(normalized)
            if match:
                found.append((match.start(), order, key, langs))
    return sorted(found)


def match_heading(text: str) -> str | None:
    """Return the section key a heading names (the earliest word wins), or None."""
    found = _matches(text)
    return found[0][2] if found else None


def guess_language(headings: list[str]) -> str | None:
    """Return the one language every recognised heading is written in, or None.

    Deliberately conservative: at least two headings must be recognised and
    exactly one language must fit them all ("Symptoms" alone could be English,
    French or German), otherwise the caller asks for --lang.
    """
    candidates: set[str] | None = None
    recognised = 0
    for heading in headings:
        found = _matches(heading)
        if not found:
            continue
        recognised += 1
        langs = set(found[0][3])
        candidates = langs if candidates is None else candidates & langs
    if recognised >= 2 and candidates is not None and len(candidates) == 1:
        return next(iter(candidates))
    return None


def find_specialty(markdown: str) -> str | None:
    """Return the specialty a "which specialist" section names first, or None."""
    normalized = normalize(markdown)
    found = []
    for name, pattern in SPECIALTIES:
        match = re.search(pattern, normalized)
        if match:
            found.append((match.start(), name))
    return min(found)[1] if found else None


@dataclass
class Arrangement:
    """An article's blocks sorted into sections, and what happened to each heading."""

    sections: dict[str, list[str]] = field(default_factory=dict)
    mapped: list[tuple[str, str]] = field(default_factory=list)
    unmapped: list[tuple[str, str]] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    summary: str = ""

    def markdown(self, key: str) -> str:
        """Return the Markdown of one section."""
        return "\n\n".join(self.sections.get(key, []))


#: How text before the first heading shows in the report of mapped headings.
LEADING_TEXT = "(text before the first heading)"


def arrange(page: Page) -> Arrangement:
    """Sort *page*'s blocks into sections; unmapped headings become ### sub-sections.

    Our format has no "other" section, so a heading that names no key is kept
    as a ### sub-section of the section it follows (what_it_is for material
    before any recognised heading) and listed in the report: nothing is lost.
    """
    result = Arrangement()
    blocks = _drop_title(page, result)
    levels = [block.level for block in blocks if block.is_heading and block.level > 0]
    top = min(levels, default=0)
    current = "what_it_is"
    opened: set[str] = set()
    extra = 0
    for block in blocks:
        if not block.is_heading:
            if current == "what_it_is" and current not in opened and not result.sections:
                result.mapped.append((LEADING_TEXT, current))
            result.sections.setdefault(current, []).append(block.text)
            continue
        if block.level != top:
            depth = block.level - top - 1 if block.level and top else 0
            hashes = "#" * min(6, 3 + extra + depth)
            result.sections.setdefault(current, []).append(f"{hashes} {escape_inline(block.text)}")
            continue
        key = match_heading(block.text) or (match_heading(block.anchor) if block.anchor else None)
        if key is None:
            result.sections.setdefault(current, []).append(f"### {escape_inline(block.text)}")
            result.unmapped.append((block.text, current))
            extra = 1
        elif key in opened:
            result.sections[key].append(f"### {escape_inline(block.text)}")
            result.mapped.append((block.text, f"{key} (as ### under the first)"))
            current, extra = key, 1
        else:
            opened.add(key)
            result.sections.setdefault(key, [])
            result.mapped.append((block.text, key))
            current, extra = key, 0
    _drop_empty(result)
    result.summary = _summary(result.sections.get("what_it_is", []))
    ordered = {key: result.sections[key] for key in SECTION_KEYS if key in result.sections}
    result.sections = ordered
    return result


def _drop_title(page: Page, result: Arrangement) -> list[Block]:
    """Remove the title where the article repeats it, and short labels above it."""
    blocks = list(page.blocks)
    title = normalize(page.title)
    for index, block in enumerate(blocks):
        if block.is_heading and normalize(block.text) == title:
            result.mapped.append((block.text, "title"))
            kept = []
            for earlier in blocks[:index]:
                if not earlier.is_heading and _is_label(earlier.text):
                    result.removed.append(Removal("label above the title", earlier.text))
                else:
                    kept.append(earlier)
            return kept + blocks[index + 1 :]
    return blocks


def _is_label(markdown: str) -> bool:
    text = markdown.strip()
    return (
        "\n" not in text
        and len(text.split()) <= _LABEL_WORDS
        and not text.endswith((".", "!", "?", ":"))
        and not text.startswith(("- ", "1. "))
    )


def _drop_empty(result: Arrangement) -> None:
    """Drop sections with no text under their headings, reporting each."""
    for key in list(result.sections):
        chunks = result.sections[key]
        if any(not chunk.startswith("#") for chunk in chunks):
            continue
        del result.sections[key]
        names = [text for text, mapped in result.mapped if mapped.split()[0] == key]
        result.mapped = [pair for pair in result.mapped if pair[1].split()[0] != key]
        result.removed.append(Removal("heading with no text under it", " · ".join(names) or key))


def _summary(chunks: list[str]) -> str:
    """Return the first paragraph(s) of the definition, as one line of inline Markdown."""
    paragraphs: list[str] = []
    for chunk in chunks:
        if chunk.startswith(("#", "- ", ">", "~~~")) or re.match(r"\d+\. ", chunk):
            break
        paragraphs.append(" ".join(chunk.replace("\\\n", " ").split()))
        if len(" ".join(paragraphs)) >= _SHORT_SUMMARY or len(paragraphs) == 2:
            break
    return " ".join(paragraphs) or SUMMARY_PLACEHOLDER
