"""One module per report type; `registry.reports.catalog` gathers them."""
