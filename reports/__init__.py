"""Reports: the Decree 30 minutes PDF, leader summaries and rankings, exports, public verification."""
