"""Documents for readers: charts rendered offline to SVG, HTML pages printed to PDF."""
