"""Inspection plans: sealed plans, the weighted random draw of target units and its commitment."""
