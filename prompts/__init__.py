"""Prompt texts for the drafting model, versioned by content hash.

Empty until the drafting issue; nothing in the service calls a language model yet.
"""
