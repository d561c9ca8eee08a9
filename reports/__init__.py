"""Reports: the Decree 30 minutes PDF, leader summaries and rankings, exports, public verification;
PDFs render in a bounded pool of worker processes.

May import: the kernel, checklists and the domain packages (never the phone API or the composition
root). Enforced by the contracts in ``.importlinter``.
"""
