"""The submitter's follow pages (issue 7): a link instead of an account."""
