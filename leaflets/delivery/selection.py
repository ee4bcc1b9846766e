"""What a patient is given: some conditions in one language, as some templates, in a variant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..config import STANDARD, TEMPLATES, VARIANTS
from ..engine.library import Library, Project
from ..exceptions import LeafletsError, PacketError, display_path


@dataclass(frozen=True)
class Selection:
    """The leaflets chosen for one patient: each condition once, each template once."""

    conditions: tuple[str, ...]
    lang: str
    templates: tuple[str, ...]
    variant: str = STANDARD

    @classmethod
    def of(
        cls,
        *,
        conditions: Sequence[str],
        lang: str,
        templates: Sequence[str],
        variant: str = STANDARD,
    ) -> Selection:
        """Return the selection, each condition and template once, in the order given."""
        return cls(tuple(dict.fromkeys(conditions)), lang, tuple(dict.fromkeys(templates)), variant)

    def job_names(self) -> set[str]:
        """Return the names of the outputs it is made of (``slug.lang.template``)."""
        from ..engine.library import job_name

        return {
            job_name(slug, self.lang, template, self.variant)
            for slug in self.conditions
            for template in self.templates
        }


def check_variant(variant: str) -> None:
    """Raise LeafletsError unless *variant* is a known print variant."""
    if variant not in VARIANTS:
        raise LeafletsError(
            f"unknown variant {variant[:80]!r} (expected one of: {', '.join(VARIANTS)})"
        )


def check_selection(library: Library, selection: Selection) -> None:
    """Raise LeafletsError unless one language and at least one condition are chosen."""
    check_variant(selection.variant)
    config = library.config
    if not selection.conditions:
        raise LeafletsError("choose the leaflets with -c/--condition (at least one)")
    if selection.lang not in config.languages:
        raise LeafletsError(
            f"unknown language {selection.lang!r} (expected one of: {', '.join(config.languages)})"
        )
    if not selection.templates:
        raise LeafletsError("choose at least one template")
    for name in selection.templates:
        if name not in config.templates:
            raise LeafletsError(
                f"unknown template {name!r} (expected one of: {', '.join(config.templates)})"
            )


def load_selection(library: Library, selection: Selection) -> Project:
    """Load and validate what the chosen leaflets need; raise when any cannot be made."""
    check_selection(library, selection)
    project = library.load(
        conditions=list(selection.conditions),
        languages=[selection.lang],
        templates=selection.templates,
    )
    _, blocked = library.plan(project)
    reasons = [f"{outcome.job.name}: {outcome.reason}" for outcome in blocked]
    missing = sorted(set(selection.conditions) - {c.slug for c in project.conditions})
    data_dir = library.config.data_dir
    reasons += [
        f"{display_path(data_dir / name, library.root)}: no such condition" for name in missing
    ]
    if reasons:
        raise PacketError("\n".join(reasons))
    return project


def template_label(project: Project, lang: str, template: str) -> str:
    """Return what a kind of leaflet is called in *lang* ("Clinic handout")."""
    labels = {"leaflet": "Information for patients", "handout": "Clinic handout"}
    message = labels.get(template, TEMPLATES[template]["label"])
    return str(project.catalogs[lang].translations.gettext(message))


def in_variant(project: Project, selection: Selection, name: str) -> str:
    """Return *name* marked with its print variant: "Emispasmo facciale (caratteri grandi)"."""
    if selection.variant == STANDARD:
        return name
    message = project.catalogs[selection.lang].translations.gettext("%(kind)s (large print)")
    return str(message) % {"kind": name}
