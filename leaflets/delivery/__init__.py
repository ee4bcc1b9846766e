"""Deliver built leaflets to patients: packets of several leaflets and emails with PDFs attached."""
