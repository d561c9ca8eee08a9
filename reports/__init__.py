"""Reports: the Decree 30 minutes PDF, leader summaries and rankings, exports, public verification;
PDFs render in a bounded pool of worker processes. Summaries and rankings are a few aggregate
queries over rows (``summary_queries``); the summary PDF is built and rendered in the pool
(``summary_document``), and one with the same figures is served again for a few minutes from a
small per-process cache.

May import: the kernel, checklists and the domain packages (never the phone API or the composition
root). Enforced by the contracts in ``.importlinter``.
"""
