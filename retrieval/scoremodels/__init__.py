"""Fitted score models, one JSON file per embedder id (written by `beredning eval fit`)."""
