"""The reporting core: registry, notices, submissions, validation, review, receipts, audit."""
