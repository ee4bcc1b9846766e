"""The build: plan what is out of date, fill templates, render PDFs in parallel, keep a manifest."""
