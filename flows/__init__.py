"""Prefect flows that carry submissions through the preparation process.

Empty until the workflow issue: until then the served app's retry loop, `beredning worker` and
`beredning retry` process submissions (see `intake.services.submissions`).
"""
