"""Evaluation: held-out multimodal QA (mmcurate.eval.qa), a held-out set from demo data
(heldout), selection diagnostics (diagnostics) and `curate eval` (cli)."""
