"""Vega-Lite chart specifications, defined once for the web pages and the printed report.

Each function is pure: rows and already translated labels in, a plain dict out, data inline.
The pages embed a spec with vega-embed; :func:`hashwatch.documents.render.chart_svg` renders
the same spec offline to SVG for the PDF.
"""
