"""Bias and fairness audit: do customer segments get the same service from the AI and people?"""
