"""The submitter's follow pages: a link instead of an account."""
