"""The streaming PHI scanner, one job a module; :mod:`engine.phi.scanner` puts them together.

- :mod:`.findings`: what a scan yields (hash-only findings) and how they are counted.
- :mod:`.context`: what the format scanners share: patterns, labelled columns, the digest cache.
- :mod:`.rows`: where rows and fields of a block of bytes begin and end (quote-aware).
- :mod:`.chunks`: reading a file as chunks of whole rows, its format and its header.
- :mod:`.text`, :mod:`.table`, :mod:`.jsonl`: one chunk scanner per format.
- :mod:`.ranges`: splitting a file into row-aligned byte ranges.
"""
