"""The graph's nodes: one module per role (navigator, extractor, analyzer, visualizer) and
the tool steps (score, propose, run) in :mod:`mmcurate.agent.nodes.act`."""
